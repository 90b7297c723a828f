"""Telegram and the outbox: the survey with its 1…5 keyboard, operator alerts, the digest picture, polling,
set-webhook, and erasure of a customer's photos. Outbound calls go to the fake Bot API over HTTP."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi
from sqlalchemy import func, select
from telegram_helpers import CUSTOMER, buttons, jpeg, press_update, telegram_app, text_update, update

from bot.channels.settings import TelegramSettings
from bot.channels.telegram_sender import TelegramSender
from bot.config import data_dir, load_config
from bot.evidence import EvidenceSettings, read_photo
from bot.store.models import CallbackRef, Evidence, OutboxMessage, Ticket
from dialogs.replies import Button, Reply

INTAKE = "我在焦作温县建设路12号4栋201，丹斯提尼保险柜密码忘了，电话13812345678"


@pytest.fixture
def api():
    with FakeBotApi() as fake:
        yield fake


async def _book(tg) -> int:
    await tg.post(text_update(8001, INTAKE))
    first = buttons(tg.api.sent(CUSTOMER)[-1])[0]
    await tg.post(press_update(8002, first["callback_data"]))
    with tg.engine.db.session(readonly=True) as s:
        ticket = s.scalars(select(Ticket)).one()
        assert ticket.status == "booked"
        return ticket.id


async def test_survey_reaches_telegram_with_a_keyboard_pressing_1_to_5(store, api, monkeypatch):
    from bot.visit_report import mark_done

    async with telegram_app(store, api, monkeypatch) as tg:
        ticket_id = await _book(tg)
        visit_end = tg.clock.now + timedelta(days=3)
        with store.session() as s:
            mark_done(s, ticket_id, now=visit_end, config=load_config())
        stats = await tg.dispatcher.drain(visit_end.replace(hour=11) + timedelta(days=1))
        assert stats.sent >= 1
        survey = next(c for c in tg.api.sent(CUSTOMER) if "打个分" in c["text"])
        assert [b["callback_data"] for b in buttons(survey)] == ["1", "2", "3", "4", "5"]
        await tg.post(press_update(8003, "5"))
        assert "感谢您的评分" in tg.api.texts(CUSTOMER)[-1]


async def test_escalation_alerts_the_operators_group(store, api, monkeypatch):
    async with telegram_app(store, api, monkeypatch, TELEGRAM_OPERATOR_CHAT_ID="-1001234567890") as tg:
        await tg.post(text_update(8101, INTAKE))
        await tg.post(text_update(8102, "转人工"))
        with store.session(readonly=True) as s:
            alert = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "operator_alert")).one()
            assert alert.chat_id == "-1001234567890" and alert.conversation_id is None
        late_night = tg.clock.now.replace(hour=23)  # quiet hours do not hold an alert
        await tg.dispatcher.drain(late_night)
        (sent,) = tg.api.sent(-1001234567890)
        assert "工单 #" in sent["text"] and "客户要求人工" in sent["text"] and "丹斯提尼保险柜" in sent["text"]
        assert "13812345678" not in sent["text"] and "5678" not in sent["text"]


async def test_reply_with_image_is_send_photo_with_caption(store, api):
    settings = TelegramSettings.from_env(load_config(), {"TELEGRAM_BOT_TOKEN": api.token,
                                                         "TELEGRAM_API_BASE_URL": api.base_url})
    sender = TelegramSender(settings, store)
    chart = data_dir() / "digests" / "csat.png"
    chart.parent.mkdir(parents=True)
    chart.write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="))
    try:
        message_id = await sender.send("-100777", Reply("本周满意度 4.6 分", image=str(chart)))
        (call,) = api.called("sendPhoto")
        assert call["caption"] == "本周满意度 4.6 分" and call["photo"].startswith(b"\x89PNG")
        assert message_id is not None
        with pytest.raises(Exception, match="under the data directory"):
            await sender.send("-100777", Reply("x", image="/etc/passwd"))
    finally:
        await sender.stop()


async def test_sender_keeps_long_values_as_references(store, api):
    settings = TelegramSettings.from_env(load_config(), {"TELEGRAM_BOT_TOKEN": api.token,
                                                         "TELEGRAM_API_BASE_URL": api.base_url})
    sender = TelegramSender(settings, store)
    long_value = "预约 " + "很长的选项" * 10
    try:
        await sender.send("123", Reply("选一个", (Button("短", "ok"), Button("长", long_value), Button("怪", "ref:x"))))
    finally:
        await sender.stop()
    data = [b["callback_data"] for b in buttons(api.sent("123")[0])]
    assert data[0] == "ok" and data[1].startswith("ref:") and data[2].startswith("ref:") and data[2] != "ref:x"
    with store.session(readonly=True) as s:
        assert sorted(s.scalars(select(CallbackRef.value))) == sorted([long_value, "ref:x"])


async def test_polling_mode_answers_updates_without_a_webhook(store, api, monkeypatch):
    from bot.cli.telegram_cmd import run_polling

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", api.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    monkeypatch.setenv("TELEGRAM_MODE", "polling")
    api.updates.append([update("start", 8201), text_update(8202, "丹斯提尼保险柜")])
    handled = await run_polling(store.url, stop=asyncio.Event(), max_rounds=1)
    assert handled == 2
    assert api.called("deleteWebhook") and api.called("getUpdates")
    assert len(api.sent(CUSTOMER)) == 2


async def test_polling_mode_mounts_no_webhook(store, api, monkeypatch):
    async with telegram_app(store, api, monkeypatch, TELEGRAM_MODE="polling") as tg:
        response = await tg.post(update("start"))
        assert response.status_code == 404


def test_set_webhook_registers_url_and_secret(api, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", api.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "abc_DEF-123")
    assert main(["telegram", "set-webhook", "https://bot.example.cn/telegram/webhook"]) == 0
    (call,) = api.called("setWebhook")
    assert call["url"] == "https://bot.example.cn/telegram/webhook" and call["secret_token"] == "abc_DEF-123"
    assert main(["telegram", "set-webhook", "http://insecure.example.cn/hook"]) == 2
    assert api.token not in capsys.readouterr().out


async def test_erasure_deletes_the_customers_photos(store, api, monkeypatch):
    async with telegram_app(store, api, monkeypatch) as tg:
        api.files["photos/AgACAgUAAxkBAAIBY2large.jpg"] = jpeg()
        await tg.post(text_update(8301, INTAKE))
        await tg.post(update("photo", 8302))
        settings = EvidenceSettings.from_config(load_config())
        with store.session(readonly=True) as s:
            photo = s.scalars(select(Evidence)).one()
            assert photo.ticket_id is not None
            assert read_photo(photo, settings) == api.files["photos/AgACAgUAAxkBAAIBY2large.jpg"]
            path = settings.root / photo.path
        assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
        assert b"\xff\xd8" not in path.read_bytes()[:4], "stored encrypted, not as a JPEG"
        await tg.post(update("start", 8303, text="/delete"))
        yes = next(b for b in buttons(api.sent(CUSTOMER)[-1]) if "确认" in b["text"])
        await tg.post(press_update(8304, yes["callback_data"]))
        with store.session(readonly=True) as s:
            assert s.scalar(select(func.count()).select_from(Evidence)) == 0
        assert not path.exists()
        assert not Path(path).parent.joinpath(path.name).exists()
