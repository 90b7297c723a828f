"""WeChat Official Account end to end: XML signed (and in safe mode encrypted) the way WeChat builds it,
posted to the app's /wechat; outbound calls go over HTTP to a fake WeChat API started here."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from fake_wechat_api import FakeWeChatApi
from fixtures_store import count_rows
from sqlalchemy import func, select
from telegram_helpers import jpeg
from wechat_helpers import OPENID, TOKEN, sign, wechat_app, xml

from bot.channels.wechat_xml import BadMessage, parse_xml
from bot.store.models import Conversation, Evidence, Message, OutboxMessage, ProcessedMessage, Ticket

INTAKE = "我在焦作温县建设路12号4栋201，丹斯提尼保险柜密码忘了，电话13812345678"


@pytest.fixture
def api():
    with FakeWeChatApi() as fake:
        yield fake


@pytest.fixture
async def wc(store, api, monkeypatch):
    async with wechat_app(store, api, monkeypatch) as app:
        yield app


def text(content: str, msgid: int) -> str:
    return xml("text", content=content, msgid=str(msgid))


async def test_url_verification_echoes_only_with_a_valid_signature(wc):
    ts, nonce = str(int(time.time())), "n0nce"
    good = {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "e42"}
    ok = await wc.client.get("/wechat", params=good)
    assert ok.status_code == 200 and ok.text == "e42"
    for bad in ({**good, "signature": "0" * 40}, {k: v for k, v in good.items() if k != "signature"},
                {**good, "timestamp": "1600000000", "signature": sign(TOKEN, "1600000000", nonce)}):
        assert (await wc.client.get("/wechat", params=bad)).status_code == 403


async def test_bad_signature_is_403_and_nothing_is_processed(wc, store):
    response = await wc.wx.post(text("你好", 1001), signature="f" * 40)
    assert response.status_code == 403
    assert count_rows(store, ProcessedMessage) == 0 and count_rows(store, Conversation) == 0


@pytest.mark.parametrize("body", [
    b"", b"not xml", b"<xml><FromUserName>a</FromUserName>", b"<root><MsgType>text</MsgType></root>",
    b"<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType></xml>",  # no sender, no MsgId
    b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><MsgType>text</MsgType><MsgId>x1</MsgId></xml>",
    b"\xff\xfe<\x00x\x00",
])
async def test_malformed_xml_is_400(wc, body):
    assert (await wc.wx.post(body)).status_code == 400


async def test_oversized_body_is_400(wc):
    big = text("长" * 200_000, 1002)
    assert (await wc.wx.post(big)).status_code == 400


@pytest.mark.parametrize("name", ["billion_laughs", "external_entity"])
async def test_hostile_xml_is_refused_without_expansion(wc, store, name):
    response = await wc.wx.post(xml(name))
    assert response.status_code == 400
    assert count_rows(store, Conversation) == 0


def test_billion_laughs_is_refused_at_the_doctype_before_any_entity_is_expanded():
    """A parser that expanded &lol9; would build a 10⁹-character string; ours stops at the DOCTYPE."""
    import defusedxml

    with pytest.raises(BadMessage, match="DTDForbidden"):
        parse_xml(xml("billion_laughs").encode())
    with pytest.raises(BadMessage, match="DTDForbidden"):
        parse_xml(xml("external_entity").encode())
    # and the hardened parser really is the one doing it (not a lucky syntax error)
    import defusedxml.ElementTree as SafeET

    with pytest.raises(defusedxml.DTDForbidden):
        SafeET.fromstring(xml("billion_laughs"), forbid_dtd=True)


async def test_text_is_answered_passively_with_numbered_choices_and_a_number_presses(wc, store):
    reply = wc.wx.reply(await wc.wx.post(text(INTAKE, 2001)))
    assert "1. " in reply and "2. " in reply and "回复数字即可选择" in reply
    booked = wc.wx.reply(await wc.wx.post(text("1", 2002)))
    assert "预约成功" in booked
    with store.session(readonly=True) as s:
        assert s.scalars(select(Ticket)).one().status == "booked"
        inbound = [m.text for m in s.scalars(select(Message).where(Message.direction == "in").order_by(Message.id))]
    assert inbound[-1].startswith("预约 "), "the engine saw the button's value, not the number"


async def test_typing_a_label_presses_its_button(wc):
    reply = wc.wx.reply(await wc.wx.post(text(INTAKE, 2101)))
    last_label = reply.split("\n")[-2].split(". ", 1)[1]
    assert last_label == "都不合适，换个时间"
    again = wc.wx.reply(await wc.wx.post(text(last_label, 2102)))
    assert "什么时间" in again


async def test_wechat_retries_of_one_message_are_processed_once(wc, store):
    body = text(INTAKE, 2201)
    first = wc.wx.reply(await wc.wx.post(body))
    second = await wc.wx.post(body)  # WeChat retries after 5 s without an answer, with the same MsgId
    third = await wc.wx.post(body)
    assert first and second.text == third.text == "success"
    assert count_rows(store, Message, Message.direction == "in") == 1


async def test_subscribe_greets_once_and_unsubscribe_is_quiet(wc, store):
    event = xml("subscribe", created="1795410500")
    assert "报修" in wc.wx.reply(await wc.wx.post(event))
    assert (await wc.wx.post(event)).text == "success"
    assert (await wc.wx.post(xml("unsubscribe", created="1795410600"))).text == "success"
    assert wc.api.custom == []


async def test_voice_is_read_from_its_recognition_text(wc):
    reply = wc.wx.reply(await wc.wx.post(xml("voice", recognition="丹斯提尼保险柜密码忘了", msgid="2301")))
    assert "哪个城市" in reply or "区县" in reply
    blank = wc.wx.reply(await wc.wx.post(xml("voice", recognition="", msgid="2302")))
    assert "语音没能识别" in blank


async def test_location_is_confirmed_by_number(wc, store):
    reply = wc.wx.reply(await wc.wx.post(xml("location", msgid="2401")))
    assert "温县" in reply and "1. 是的，在河南省焦作市温县" in reply
    wc.wx.reply(await wc.wx.post(text("1", 2402)))
    with store.session(readonly=True) as s:
        assert s.scalars(select(Conversation)).one().state["place"]["adcode"] == "410825"


async def test_unsupported_messages_get_a_clear_answer(wc):
    assert "只能看懂文字、照片和位置" in wc.wx.reply(await wc.wx.post(xml("video", msgid="2501")))


async def test_image_is_fetched_with_media_get_and_kept(wc, store):
    wc.api.media["MEDIA_1"] = jpeg()
    reply = wc.wx.reply(await wc.wx.post(xml("image", media="MEDIA_1", msgid="2601")))
    assert "收到您的照片" in reply
    assert [q["media_id"] for path, q, _ in wc.api.calls if path == "/cgi-bin/media/get"] == ["MEDIA_1"]
    assert count_rows(store, Evidence) == 1


async def test_slow_answer_goes_through_the_customer_service_api(wc, store):
    """Past the passive-reply budget WeChat gets "success" and the answer follows as a CS message."""
    wc.channel.settings = dataclasses.replace(wc.channel.settings, passive_reply_s=0.05)
    gate = wc.api.gate["MEDIA_SLOW"] = threading.Event()
    wc.api.media["MEDIA_SLOW"] = jpeg()
    response = await wc.wx.post(xml("image", media="MEDIA_SLOW", msgid="2701"))
    assert response.text == "success"
    assert wc.api.custom == []
    gate.set()
    await wc.channel.idle()
    (sent,) = wc.api.custom
    assert sent["touser"] == OPENID and sent["msgtype"] == "text" and "收到您的照片" in sent["text"]["content"]
    with store.session(readonly=True) as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert row.kind == "reply" and row.status == "sent"
        assert s.scalar(select(func.count()).select_from(Message).where(Message.direction == "out")) == 1


async def test_safe_mode_decrypts_and_answers_encrypted(store, api, monkeypatch):
    async with wechat_app(store, api, monkeypatch, safe=True) as wc:
        reply = wc.wx.reply(await wc.wx.post(text(INTAKE, 2801)))
        assert "1. " in reply
        # a valid outer signature but a forged msg_signature
        assert (await wc.wx.post(text("你好", 2802), msg_signature="0" * 40)).status_code == 403
        # plain XML in safe mode (no Encrypt element) is refused
        params, _ = wc.wx.params("")
        plain = await wc.client.post("/wechat", params=params, content=text("你好", 2803).encode())
        assert plain.status_code == 400


async def test_emoji_and_long_text_are_answered_and_a_long_answer_still_arrives(wc):
    assert wc.wx.reply(await wc.wx.post(text("🔐保险柜打不开了😭", 2901)))
    long_answer = await wc.wx.post(text("丹斯提尼" * 3000, 2902))
    assert long_answer.status_code == 200
    await wc.channel.idle()
    reply = wc.wx.reply(long_answer)
    assert reply is not None or wc.api.custom, "answered passively or through the customer-service API"
