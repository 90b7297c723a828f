"""The WeChat API client and sender against a fake WeChat API: the shared access_token (one refresher at a
time, refreshed once on 40001), every call with a timeout, the 48-hour window, templates, follow-ups."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import httpx
import pytest
from engine_helpers import Clock
from fake_wechat_api import APP_ID, APP_SECRET, FakeWeChatApi
from sqlalchemy import select, text
from wechat_helpers import OPENID, wechat_app, xml

from bot.channels.settings import WeChatSettings
from bot.channels.wechat_api import WeChatApi, WeChatSender
from bot.config import load_config
from bot.outbox import queue
from bot.outbox.senders import PermanentSendError, TransientSendError
from bot.store.models import Conversation, OutboxMessage, PlatformToken
from dialogs import proactive
from dialogs.replies import Button, Reply


@pytest.fixture
def api():
    with FakeWeChatApi() as fake:
        yield fake


def settings(api: FakeWeChatApi, **changes) -> WeChatSettings:
    base = WeChatSettings.from_env(load_config(), {"WECHAT_TOKEN": "t", "WECHAT_APP_ID": APP_ID,
                                                   "WECHAT_APP_SECRET": APP_SECRET,
                                                   "WECHAT_API_BASE_URL": api.base_url})
    return dataclasses.replace(base, **changes)


async def test_token_is_stored_encrypted_and_reused(store, api):
    clock = Clock()
    client = WeChatApi(settings(api), store, clock=clock)
    try:
        await client.send_text(OPENID, "一")
        await client.send_text(OPENID, "二")
    finally:
        await client.aclose()
    assert api.token_fetches == 1
    with store.session(readonly=True) as s:
        row = s.get(PlatformToken, f"wechat:{APP_ID}")
        assert row.token == "TOKEN-1" and row.expires_at == clock.now + timedelta(seconds=7200)
        raw = s.execute(text("SELECT token FROM platform_token")).scalar()
    assert b"TOKEN-1" not in bytes(raw), "encrypted at rest"
    # a second process reads the stored token instead of fetching (which would invalidate the first)
    other = WeChatApi(settings(api), store, clock=clock)
    try:
        await other.send_text(OPENID, "三")
    finally:
        await other.aclose()
    assert api.token_fetches == 1


async def test_invalid_token_is_refreshed_once_and_the_call_retried(store, api):
    client = WeChatApi(settings(api), store, clock=Clock())
    try:
        await client.send_text(OPENID, "一")
        api.invalidate()  # e.g. someone fetched a token with our AppSecret elsewhere
        await client.send_text(OPENID, "二")
    finally:
        await client.aclose()
    assert api.token_fetches == 2
    assert api.texts(OPENID) == ["一", "二"]
    errors = [q["access_token"] for path, q, _ in api.calls if path == "/cgi-bin/message/custom/send"]
    assert errors == ["TOKEN-1", "TOKEN-1", "TOKEN-2"]


async def test_expired_token_is_refreshed(store, api):
    clock = Clock()
    client = WeChatApi(settings(api), store, clock=clock)
    try:
        await client.send_text(OPENID, "一")
        clock.now += timedelta(hours=2)
        await client.send_text(OPENID, "二")
    finally:
        await client.aclose()
    assert api.token_fetches == 2


async def test_one_refresher_at_a_time_across_clients(store, api):
    """Eight processes' clients asking at once: WeChat is asked for a token exactly once."""
    clock = Clock()
    clients = [WeChatApi(settings(api), store, clock=clock) for _ in range(8)]
    try:
        tokens = await asyncio.gather(*(c.access_token() for c in clients))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    assert set(tokens) == {"TOKEN-1"} and api.token_fetches == 1


async def test_every_call_has_a_timeout(store):
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={"access_token": "T", "expires_in": 7200} if "token" in request.url.path
                              else {"errcode": 0})

    client = WeChatApi(dataclasses.replace(settings(FakeWeChatApi()), request_timeout_s=3.0), store, clock=Clock(),
                       transport=httpx.MockTransport(handler))
    try:
        await client.send_text(OPENID, "x")
    finally:
        await client.aclose()
    assert seen and all(t == {"connect": 3.0, "read": 3.0, "write": 3.0, "pool": 3.0} for t in seen)


def _chat(store, last_message_at) -> None:
    with store.session() as s:
        s.add(Conversation(channel="wechat", chat_id=OPENID, state={}, last_message_at=last_message_at))


async def test_48_hour_window_closed_without_template_is_permanent(store, api):
    clock = Clock()
    _chat(store, clock.now - timedelta(hours=49))
    sender = WeChatSender(settings(api), store, clock=clock)
    with pytest.raises(PermanentSendError, match="48-hour"):
        await sender.send(OPENID, Reply("回访"))
    await sender.stop()
    assert api.custom == []


async def test_48_hour_window_closed_with_template_sends_a_template(store, api):
    clock = Clock()
    _chat(store, clock.now - timedelta(hours=49))
    sender = WeChatSender(settings(api, template_id="TPL_1"), store, clock=clock)
    msgid = await sender.send(OPENID, Reply("请为服务打分", (Button("5 星", "5"),)))
    await sender.stop()
    (template,) = api.templates
    assert msgid == "200228332" and template["template_id"] == "TPL_1"
    assert "请为服务打分" in template["data"]["content"]["value"] and "1. 5 星" in template["data"]["content"]["value"]


async def test_45015_from_wechat_is_the_window_too(store, api):
    clock = Clock()
    _chat(store, clock.now - timedelta(hours=1))  # we think it is open; WeChat knows better
    api.fail("/cgi-bin/message/custom/send", 45015, "response out of time limit or subscription is canceled")
    sender = WeChatSender(settings(api), store, clock=clock)
    await sender.api.access_token()
    with pytest.raises(PermanentSendError, match="45015"):
        await sender.send(OPENID, Reply("提醒"))
    await sender.stop()


async def test_busy_and_network_errors_are_transient(store, api):
    sender = WeChatSender(settings(api), store, clock=Clock())
    await sender.api.access_token()
    api.fail("/cgi-bin/message/custom/send", -1, "system error")
    with pytest.raises(TransientSendError):
        await sender.send(OPENID, Reply("x"))
    await sender.stop()
    down = WeChatSender(settings(api, api_base_url="http://127.0.0.1:9"), store, clock=Clock())
    with pytest.raises(TransientSendError):
        await down.send(OPENID, Reply("x"))
    await down.stop()


async def test_follow_up_reaches_wechat_with_numbered_choices_and_the_number_answers(store, api, monkeypatch):
    async with wechat_app(store, api, monkeypatch) as wc:
        wc.wx.reply(await wc.wx.post(xml("text", content="我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678",
                                         msgid="3001")))
        with store.session() as s:
            conv = s.scalars(select(Conversation)).one()
            queue.enqueue(s, key="survey:test", channel="wechat", chat_id=OPENID, kind="survey",
                          reply=proactive.survey(), due_at=wc.clock.now, conversation_id=conv.id,
                          ticket_id=conv.state["ticket_id"])
        stats = await wc.dispatcher.drain(wc.clock.now.replace(hour=11))
        assert stats.sent == 1
        survey = api.texts(OPENID)[-1]
        assert "1. 1 ★ 很不满意" in survey and "5. 5 ★★★★★ 非常满意" in survey and "回复数字即可选择" in survey
        with store.session(readonly=True) as s:
            assert s.scalars(select(OutboxMessage)).one().status == "sent"
        answer = wc.wx.reply(await wc.wx.post(xml("text", content="5", msgid="3002")))
        assert "感谢您的评分" in answer
