"""Telegram end to end: recorded Bot API updates posted to the app's webhook; the bot's calls go over HTTP
to a fake Bot API started here, through python-telegram-bot itself (no mocked PTB, no patched sends)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fake_bot_api import FakeBotApi
from fixtures_store import count_rows
from sqlalchemy import func, select
from telegram_helpers import CUSTOMER, SECRET, buttons, jpeg, press_update, telegram_app, text_update, update

from bot.store.models import (
    CallbackRef,
    Conversation,
    Evidence,
    Message,
    OutboxMessage,
    ProcessedMessage,
    Ticket,
)

INTAKE = "我在焦作温县建设路12号4栋201，丹斯提尼保险柜密码忘了，电话13812345678"


@pytest.fixture
def api():
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def tg(store, api, monkeypatch):
    async with telegram_app(store, api, monkeypatch) as app:
        yield app


async def test_secret_wrong_or_missing_is_403_and_nothing_is_processed(tg, store):
    for secret in ("wrong", None, SECRET + "x", ""):
        response = await tg.post(update("start"), secret=secret)
        assert response.status_code == 403
    assert tg.api.sent() == []
    assert count_rows(store, Conversation) == 0
    assert count_rows(store, ProcessedMessage) == 0


async def test_start_is_answered_through_the_bot_api(tg):
    response = await tg.post(update("start"))
    assert response.status_code == 200
    sent = tg.api.sent(CUSTOMER)
    assert len(sent) == 1 and "报修" in sent[0]["text"]
    assert tg.api.called("getMe"), "PTB was initialised against the fake Bot API"


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'"text"', b"{}", b'{"update_id": "7"}', b'{"update_id": true}', b"\xff\xfe",
    b'{"update_id": 5, "message": {"chat": "not an object"}}', b"[" * 5000,
])
async def test_malformed_update_is_400_never_500(tg, body):
    response = await tg.post(body)
    assert response.status_code == 400
    assert tg.api.sent() == []


async def test_oversized_update_is_413(tg):
    response = await tg.post(b'{"update_id": 1, "pad": "' + b"x" * 2_000_000 + b'"}')
    assert response.status_code == 413


async def test_redelivered_update_is_processed_once(tg, store):
    body = text_update(9001, INTAKE)
    first = await tg.post(body)
    second = await tg.post(body)
    assert first.status_code == second.status_code == 200
    assert len(tg.api.sent(CUSTOMER)) == 1
    assert count_rows(store, Message, Message.direction == "in") == 1


async def test_full_booking_with_inline_buttons(tg, store):
    await tg.post(text_update(9101, INTAKE))
    offers = tg.api.sent(CUSTOMER)[-1]
    keyboard = buttons(offers)
    assert len(keyboard) >= 2 and all(len(b["callback_data"].encode()) <= 64 for b in keyboard)
    assert keyboard[0]["callback_data"].startswith("预约")
    await tg.post(press_update(9102, keyboard[0]["callback_data"]))
    answered = tg.api.called("answerCallbackQuery")
    assert answered and answered[-1]["callback_query_id"] == "q9102" and "text" not in answered[-1]
    assert "预约成功" in tg.api.texts(CUSTOMER)[-1]
    with store.session(readonly=True) as s:
        ticket = s.scalars(select(Ticket)).one()
        assert ticket.status == "booked"


async def test_stale_or_forged_button_gets_expired_notice_and_the_current_prompt(tg, store):
    await tg.post(text_update(9201, INTAKE))
    shown = buttons(tg.api.sent(CUSTOMER)[-1])
    await tg.post(press_update(9202, "ref:forgedKey123456"))
    notice = tg.api.called("answerCallbackQuery")[-1]
    assert "过期" in notice["text"]
    fresh = tg.api.sent(CUSTOMER)[-1]
    assert fresh["text"].startswith("这个选项已过期")
    assert [b["text"] for b in buttons(fresh)] == [b["text"] for b in shown]
    with store.session(readonly=True) as s:
        ticket = s.scalars(select(Ticket)).one()
        assert ticket.status == "collecting"  # nothing was pressed
    # the same stale press redelivered: answered once only
    before = len(tg.api.sent(CUSTOMER))
    await tg.post(press_update(9202, "ref:forgedKey123456"))
    assert len(tg.api.sent(CUSTOMER)) == before


async def test_long_button_values_travel_as_references_bound_to_the_chat(tg, store):
    """察布查尔锡伯自治县's full name is far over 64 bytes: the location button carries a reference."""
    await tg.post(update("location", 9301, location={"latitude": 43.84, "longitude": 81.15}))
    confirm = tg.api.sent(CUSTOMER)[-1]
    data = buttons(confirm)[0]["callback_data"]
    assert data.startswith("ref:") and len(data.encode()) <= 64
    assert "察布查尔" in confirm["text"]
    # another chat pressing this chat's reference: stale
    await tg.post(press_update(9302, data, chat=5550099))
    assert tg.api.sent(5550099)[-1]["text"].startswith("这个选项已过期")
    # the customer pressing it: the place is used
    await tg.post(press_update(9303, data))
    with store.session(readonly=True) as s:
        conv = s.scalars(select(Conversation).where(Conversation.chat_id == str(CUSTOMER))).one()
        assert (conv.state.get("place") or {}).get("adcode") == "654022"
        assert s.scalar(select(func.count()).select_from(CallbackRef)) == 1


async def test_location_is_confirmed_before_it_is_used(tg, store):
    await tg.post(update("location", 9401))
    confirm = tg.api.sent(CUSTOMER)[-1]
    assert "温县" in confirm["text"]
    (button,) = buttons(confirm)
    assert button["callback_data"] == "河南省焦作市温县"
    with store.session(readonly=True) as s:
        conv = s.scalars(select(Conversation)).one()
        assert not (conv.state or {}).get("place"), "not used before the customer confirms"
    await tg.post(press_update(9402, button["callback_data"]))
    with store.session(readonly=True) as s:
        conv = s.scalars(select(Conversation)).one()
        assert conv.state["place"]["adcode"] == "410825"


async def test_venue_resolves_to_its_county(tg):
    await tg.post(update("venue", 9451))
    assert "福田区" in tg.api.sent(CUSTOMER)[-1]["text"]


async def test_photo_largest_size_is_downloaded_stored_and_acknowledged(tg, store):
    tg.api.files["photos/AgACAgUAAxkBAAIBY2large.jpg"] = jpeg()
    response = await tg.post(update("photo", 9501))
    assert response.status_code == 200
    assert [c["file_id"] for c in tg.api.called("getFile")] == ["AgACAgUAAxkBAAIBY2large"]
    texts = tg.api.texts(CUSTOMER)
    assert any("收到您的照片" in t for t in texts)
    with store.session(readonly=True) as s:
        photo = s.scalars(select(Evidence)).one()
        assert photo.media_type == "image/jpeg" and photo.conversation_id is not None
        history = [m.text for m in s.scalars(select(Message).where(Message.direction == "in"))]
    assert history == ["面板坏了\n[图片]"]
    # redelivery: no second download, no second row
    await tg.post(update("photo", 9501))
    assert len(tg.api.called("getFile")) == 1
    assert count_rows(store, Evidence) == 1


async def test_a_file_that_is_not_an_image_gets_a_clear_reply_and_is_not_kept(tg, store):
    tg.api.files["photos/AgACAgUAAxkBAAIBY2large.jpg"] = b"%PDF-1.7 not a picture at all"
    await tg.post(update("photo", 9601, caption=None))
    assert any("无法识别为图片" in t for t in tg.api.texts(CUSTOMER))
    assert count_rows(store, Evidence) == 0


async def test_a_photo_over_the_limit_is_not_downloaded(tg, store):
    data = update("photo", 9651)
    data["message"]["photo"][-1]["file_size"] = 11 * 1024 * 1024
    await tg.post(data)
    assert tg.api.called("getFile") == []
    assert any("超过了 10 MB" in t for t in tg.api.texts(CUSTOMER))


async def test_stickers_get_a_clear_reply_groups_and_edits_are_ignored(tg, store):
    await tg.post(update("sticker", 9701))
    assert "只能看懂文字、照片和位置" in tg.api.texts(CUSTOMER)[-1]
    before = len(tg.api.sent())
    for name, uid in (("group_message", 9702), ("edited_message", 9703)):
        assert (await tg.post(update(name, uid))).status_code == 200
    assert len(tg.api.sent()) == before


async def test_help_cancel_and_delete_commands(tg, store):
    await tg.post(update("start", 9801, text="/help@repair_test_bot", entities=[]))
    assert "/delete" in tg.api.texts(CUSTOMER)[-1]
    await tg.post(text_update(9802, INTAKE))
    await tg.post(update("start", 9803, text="/cancel"))
    assert "取消" in tg.api.texts(CUSTOMER)[-1]
    await tg.post(update("start", 9804, text="/delete"))
    ask = tg.api.sent(CUSTOMER)[-1]
    yes = next(b for b in buttons(ask) if "确认" in b["text"])
    await tg.post(press_update(9805, yes["callback_data"]))
    assert "已删除" in tg.api.texts(CUSTOMER)[-1]


async def test_429_retry_after_is_honoured_through_the_outbox(tg, store):
    tg.api.fail("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    response = await tg.post(text_update(9901, INTAKE))
    assert response.status_code == 200, "the update is handled: Telegram must not redeliver it"
    with store.session(readonly=True) as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert row.kind == "reply" and row.status == "pending"
        assert row.available_at == tg.clock.now + timedelta(seconds=30)
    early = await tg.dispatcher.drain(tg.clock.now + timedelta(seconds=29))
    assert early.claimed == 0
    sent_before = len(tg.api.sent(CUSTOMER))
    late = await tg.dispatcher.drain(tg.clock.now + timedelta(seconds=30))
    assert late.sent == 1
    assert len(tg.api.sent(CUSTOMER)) == sent_before + 1 and "以下是最早可以上门的时间" in tg.api.texts(CUSTOMER)[-1]
    assert buttons(tg.api.sent(CUSTOMER)[-1]), "the keyboard goes with the delayed reply"
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Message).where(Message.direction == "out")) == 1, \
            "delivered late, but recorded once"


async def test_a_blocked_bot_fails_the_reply_for_operators(tg, store):
    tg.api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    tg.api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await tg.post(update("start", 9951))
    stats = await tg.dispatcher.drain(tg.clock.now)
    assert stats.failed == 1
    with store.session(readonly=True) as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert row.status == "failed" and "blocked" in (row.last_error or "")


async def test_messages_of_one_chat_arriving_together_are_all_answered(tg, store):
    responses = await asyncio.gather(*(tg.post(text_update(9960 + i, f"你好{i}")) for i in range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    assert len(tg.api.sent(CUSTOMER)) == 4
    assert count_rows(store, Message, Message.direction == "in") == 4


async def test_emoji_control_characters_and_long_text_are_answered(tg, store):
    for i, body in enumerate(["🔐🔐 保险柜打不开了 😭", "\u0000\u0007丹斯提尼\u202e保险柜\u200b", "密码忘了" * 1000]):
        response = await tg.post(text_update(9970 + i, body))
        assert response.status_code == 200
    assert len(tg.api.sent(CUSTOMER)) >= 3
    assert any("超过了" in t for t in tg.api.texts(CUSTOMER)), "the long one is told it was cut"
