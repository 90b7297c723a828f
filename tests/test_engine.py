"""The engine's guarantees on both backends: duplicates dropped, concurrent messages of one chat all
kept and serialised, bad input answered clearly, operator-held chats left to the operator."""

from __future__ import annotations

import asyncio
import threading

from engine_helpers import ChatUser, make_engine
from sqlalchemy import func, select

from bot.engine import Engine
from bot.messages import InboundMessage
from bot.store.db import lock_conversation
from bot.store.models import Conversation, Message, Operator
from dialogs import ConversationState


def _count(store, direction: str) -> int:
    with store.session(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(Message).where(Message.direction == direction))


def _state(store, chat_id: str, channel: str = "web") -> ConversationState:
    with store.session(readonly=True) as s:
        conv = s.scalars(select(Conversation).where(Conversation.chat_id == chat_id,
                                                    Conversation.channel == channel)).one()
        return ConversationState.from_json(conv.state)


def test_duplicate_message_id_is_processed_once(store) -> None:
    chat = ChatUser(make_engine(store))
    first = chat.say("你好", message_id="tg-1")
    again = chat.say("你好", message_id="tg-1")
    assert first.replies and not again.replies and again.duplicate
    assert _count(store, "in") == 1 and _count(store, "out") == 1
    assert _state(store, "u1").turns == 1


def test_ticket_is_null_before_any_intake_and_an_object_after(store) -> None:
    chat = ChatUser(make_engine(store))
    assert chat.say("你好").ticket is None
    ticket = chat.say("保险柜打不开").ticket
    assert ticket is not None and set(ticket) == {
        "id", "status", "brand", "product", "fault", "adcode", "town", "covered", "phone_masked", "slot"}


def test_concurrent_messages_of_one_chat_are_all_kept_asyncio(store) -> None:
    engine = make_engine(store)
    texts = ["你好", "保险柜打不开", "丹斯提尼", "谢谢", "你好", "在吗", "保险柜", "谢谢", "你好", "hello"]

    async def main() -> list:
        return await asyncio.gather(*(
            engine.respond(InboundMessage("web", "same", f"a{i}", t)) for i, t in enumerate(texts)))

    outcomes = asyncio.run(main())
    assert all(o.replies for o in outcomes)
    assert _count(store, "in") == len(texts)
    assert _state(store, "same").turns == len(texts)


def test_concurrent_messages_from_two_engines_in_threads_are_serialised(store) -> None:
    """Two engines stand for two server processes sharing the database."""
    engines = [make_engine(store), Engine(store, clock=make_engine(store).clock)]
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            outcome = engines[i % 2].process(InboundMessage("telegram", "42", f"t{i}", "你好"))
            assert outcome.replies
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _count(store, "in") == 12 and _count(store, "out") == 12
    assert _state(store, "42", "telegram").turns == 12


def test_empty_message_gets_a_clear_answer(store) -> None:
    chat = ChatUser(make_engine(store))
    out = chat.say("   \u200b\x00  ")
    assert "没有收到文字内容" in out.replies[0].text
    assert _count(store, "in") == 1


def test_huge_message_is_capped_said_so_and_stored_whole(store) -> None:
    chat = ChatUser(make_engine(store))
    huge = "丹斯提尼保险柜打不开，" + "很着急" * 5000
    out = chat.say(huge)
    assert "超过了 500 字" in out.replies[0].text
    assert out.ticket["brand"] == "丹斯提尼"  # the first part was still understood
    with store.session(readonly=True) as s:
        assert s.scalar(select(Message.text).where(Message.direction == "in")) == huge


def test_control_characters_and_emoji_do_not_break_anything(store) -> None:
    chat = ChatUser(make_engine(store))
    out = chat.say("丹斯提尼\x07保险柜\u202e打不开😭😭\r\n")
    assert out.ticket["brand"] == "丹斯提尼" and out.ticket["product"] == "safe"
    out = chat.say("😭")
    assert out.replies and "没太明白" in out.replies[0].text


def test_operator_held_chat_is_stored_but_not_answered(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("保险柜打不开")
    with store.session() as s:
        op = Operator(username="ops1", display_name="小王")
        s.add(op)
        s.flush()
        lock_conversation(s, "web", "u1").operator_id = op.id
    out = chat.say("人呢？")
    assert out.replies == [] and out.ticket["status"] == "collecting"
    assert _count(store, "in") == 2 and _count(store, "out") == 1


def test_a_failing_turn_keeps_the_message_and_apologises(store) -> None:
    def broken_nlu(text, **kwargs):
        raise RuntimeError("boom")

    engine = Engine(store, nlu=broken_nlu, clock=make_engine(store).clock)
    out = engine.process(InboundMessage("web", "x", "m-1", "保险柜打不开"))
    assert "已经收到" in out.replies[0].text
    assert _count(store, "in") == 1
    # A retry that fails again apologises again but keeps the words only once.
    engine.process(InboundMessage("web", "x", "m-1", "保险柜打不开"))
    assert _count(store, "in") == 1 and _count(store, "out") == 2
    # Not marked as processed: a retry of the same id is handled again once things work.
    fixed = make_engine(store)
    again = fixed.process(InboundMessage("web", "x", "m-1", "保险柜打不开"))
    assert again.replies and not again.duplicate
    assert again.ticket["product"] == "safe"
    # ... and its words are still stored once; the next message is stored as usual.
    assert _count(store, "in") == 1
    fixed.process(InboundMessage("web", "x", "m-2", "丹斯提尼"))
    assert _count(store, "in") == 2
    assert fixed.process(InboundMessage("web", "x", "m-1", "保险柜打不开")).duplicate


def test_warm_up_loads_everything_and_freezes_it_out_of_the_gc(store) -> None:
    import gc

    engine = make_engine(store)
    try:
        engine.warm_up()
        assert gc.get_freeze_count() > 10000
    finally:
        gc.unfreeze()
    assert ChatUser(engine).say("你好").replies


def test_twenty_chats_pressing_the_same_window_at_once_book_it_exactly_once(store) -> None:
    """Full stack: 20 conversations are offered the same first window and press it concurrently."""
    from bot.store.models import Booking, Slot

    engines = [make_engine(store), make_engine(store)]  # as if two server processes
    users = [ChatUser(engines[i % 2], f"race-{i}") for i in range(20)]
    for i, user in enumerate(users):
        user.say(f"我在焦作温县，丹斯提尼保险柜密码忘了，电话138{i:08d}")
        user.say("建设路12号4栋201")
    first = {u.buttons()[0]["value"] for u in users}
    assert len(first) == 1, "everyone was offered the same earliest window"
    value = first.pop()
    barrier = threading.Barrier(len(users))
    results: dict[int, object] = {}

    def press(i: int) -> None:
        barrier.wait()
        results[i] = users[i].say(value)

    threads = [threading.Thread(target=press, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    booked = [u for u in users if u.ticket["status"] == "booked"]
    apologised = [u for u in users if "约不上了" in u.text()]
    assert len(booked) == 1 and len(apologised) == 19
    assert all(u.buttons() for u in apologised), "fresh windows offered to everyone else"
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.status == "confirmed")) == 1
        assert all(slot.booked <= slot.capacity for slot in s.scalars(select(Slot)))


def test_when_even_keeping_the_message_fails_the_reply_does_not_claim_it_was_received(tmp_path) -> None:
    from bot.store.db import Database

    unmigrated = Database(f"sqlite:///{tmp_path / 'no-tables.sqlite3'}")  # every statement fails
    try:
        engine = Engine(unmigrated, nlu=lambda text, **kw: None)
        out = engine.process(InboundMessage("web", "x", "m-1", "保险柜打不开"))
    finally:
        unmigrated.dispose()
    assert "已经收到" not in out.replies[0].text and "再发一次" in out.replies[0].text


def test_one_clock_for_the_turn_messages_ticket_audit_and_cancellation(store) -> None:
    """A demo or test at --now keeps one timeline: nothing a turn writes takes the wall clock (the roster
    sync before the chat is not a turn)."""
    from datetime import timedelta

    from engine_helpers import MONDAY_10AM, Clock

    from bot.store.models import AuditLog, Booking, Ticket

    clock = Clock(MONDAY_10AM - timedelta(days=400))  # far from today's wall clock
    chat = ChatUser(make_engine(store, clock), "clock-1")
    chat.book("我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678")
    chat.say("取消预约")
    chat.press("确认")
    with store.session(readonly=True) as s:
        stamps = list(s.scalars(select(Message.created_at))) + list(s.scalars(select(Ticket.created_at)))
        stamps += list(s.scalars(select(AuditLog.at).where(AuditLog.action != "technicians.sync"))) + list(s.scalars(select(Booking.cancelled_at)))
        assert s.scalar(select(Booking.status)) == "cancelled"
    assert len(stamps) >= 6 and {stamp.astimezone(clock.now.tzinfo) for stamp in stamps} == {clock.now}


def test_booking_press_shows_the_visit_as_stored_and_plans_its_reminders(store) -> None:
    """The press shows the visit it booked without reading it back: the same as a fresh read."""
    from bot.store.models import Booking, OutboxMessage

    engine = make_engine(store)
    chat = ChatUser(engine, "press-view")
    pressed = chat.book("丹斯提尼保险柜打不开了，焦作温县，13812345678")
    assert pressed.ticket["status"] == "booked" and pressed.ticket["slot"] is not None
    assert pressed.ticket == engine.ticket_for("web", "press-view")
    with store.session(readonly=True) as session:
        booking_id = session.scalars(select(Booking.id)).one()
        keys = set(session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.kind.like("reminder%"))))
    assert keys and all(key.endswith(f":booking:{booking_id}") for key in keys)
