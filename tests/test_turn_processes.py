"""Turns on worker processes (``server.turn_processes``): the setting, real turns in real spawned
processes on PostgreSQL, per-chat order, and a worker that dies."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from sqlalchemy import select

from bot.config import load_config
from bot.engine import Engine
from bot.messages import InboundMessage
from bot.store.db import Database
from bot.store.models import Booking, Conversation, Message, Ticket
from bot.turn_processes import turn_processes
from dialogs.texts import say

# -- the setting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "dialect", "cpus", "expected"), [
    ("auto", "postgresql", 2, 2),
    ("auto", "postgresql", 8, 8),
    ("auto", "postgresql", 1, 0),
    ("auto", "sqlite", 8, 0),
    (None, "postgresql", 4, 4),
    (3, "postgresql", 1, 3),
    (0, "postgresql", 8, 0),
    (0, "sqlite", 8, 0),
])
def test_setting(value, dialect, cpus, expected) -> None:
    assert turn_processes({"server": {"turn_processes": value}}, dialect, cpus=cpus) == expected


def test_default_is_auto() -> None:
    assert turn_processes({}, "postgresql", cpus=2) == 2
    assert load_config()["server"]["turn_processes"] == "auto"


@pytest.mark.parametrize(("value", "dialect", "message"), [
    (2, "sqlite", "needs PostgreSQL"),
    (-1, "postgresql", "must not be negative"),
    ("many", "postgresql", "whole number or 'auto'"),
])
def test_bad_setting_is_refused(value, dialect, message) -> None:
    with pytest.raises(ValueError, match=message):
        turn_processes({"server": {"turn_processes": value}}, dialect, cpus=2)


def test_engine_with_its_own_clock_keeps_turns_in_process(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        engine = Engine(db, clock=lambda: None)  # type: ignore[arg-type, return-value]
        assert engine.start_turn_processes(2) == 0
        assert engine.turn_process_count == 0
    finally:
        db.dispose()


# -- real worker processes on PostgreSQL ---------------------------------------------------------------


@pytest.fixture
def pg_engine(pg_database_url):
    from fixtures_store import reset_database

    from bot.technicians import sync_roster

    db = Database(pg_database_url)
    reset_database(db)
    with db.session() as session:
        sync_roster(session, load_config())  # as `repairbot serve` starts: config technicians and the demo roster
    engine = Engine(db)
    try:
        yield engine
    finally:
        engine.close()
        db.dispose()


def _in_process_turns_forbidden(msg: InboundMessage):  # noqa: ANN202 - replaces Engine.process
    raise AssertionError(f"turn for {msg.chat_id} ran in the serving process")


# Far apart, so no two chats are offered the same technician's window (and none loses it to another).
PLACES = ["焦作市温县", "湛江市赤坎区", "铜陵市铜官区", "东莞市虎门镇"]


def _script(place: str) -> list[str | None]:
    return ["你好", "丹斯提尼保险柜打不开了", place, "建设路12号4栋201", "13912345678", None, "师傅到哪了"]


async def _converse(engine: Engine, chat: str, place: str = PLACES[0]) -> list[str]:
    texts, last = [], None
    for n, text in enumerate(_script(place)):
        if text is None:
            text = [b for r in last.replies for b in r.buttons][0].value
        last = await engine.respond(InboundMessage("web", chat, f"{chat}-{n}", text))
        assert last.replies and last.replies[0].text != say("internal_error"), (chat, text)
        texts.append(last.replies[0].text)
    return texts


@pytest.mark.postgres
def test_turns_run_on_workers_and_book(pg_engine: Engine) -> None:
    assert pg_engine.start_turn_processes(2) == 2
    pg_engine.process = _in_process_turns_forbidden  # type: ignore[method-assign]

    async def main() -> None:
        await asyncio.gather(*(_converse(pg_engine, f"proc-{i}", place) for i, place in enumerate(PLACES)))

    asyncio.run(main())
    with pg_engine.db.session(readonly=True) as session:
        booked = session.scalars(select(Ticket).join(Booking).where(Booking.status == "confirmed")).all()
        assert len(booked) == 4
        assert {t.address for t in booked} == {"建设路12号4栋201"}  # decrypted with the shared key


@pytest.mark.postgres
def test_one_chat_keeps_its_order_across_workers(pg_engine: Engine) -> None:
    pg_engine.start_turn_processes(2)
    texts = [f"第{i}条消息" for i in range(12)]

    async def main() -> None:
        await asyncio.gather(*(pg_engine.respond(InboundMessage("web", "ordered", f"o-{i}", t))
                               for i, t in enumerate(texts)))

    asyncio.run(main())
    with pg_engine.db.session(readonly=True) as session:
        conv = session.scalars(select(Conversation).where(Conversation.chat_id == "ordered")).one()
        inbound = session.scalars(select(Message.text).where(Message.conversation_id == conv.id,
                                                             Message.direction == "in").order_by(Message.id)).all()
    assert inbound == texts


@pytest.mark.postgres
def test_a_dead_worker_hands_turns_back_to_the_serving_process(pg_engine: Engine) -> None:
    pg_engine.start_turn_processes(2)
    pids = pg_engine._processes.start()  # type: ignore[union-attr]  # the workers' pids
    assert len(pids) == 2 and os.getpid() not in pids
    os.kill(pids[0], signal.SIGKILL)

    async def main() -> list[str]:
        return await _converse(pg_engine, "survivor")

    replies = asyncio.run(main())
    assert len(replies) == len(_script(PLACES[0]))
    assert pg_engine.turn_process_count == 0
    with pg_engine.db.session(readonly=True) as session:
        assert session.scalars(select(Ticket).join(Booking)).one().status == "booked"


def test_workers_that_cannot_start_leave_turns_on_threads(tmp_path, caplog) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        from fixtures_store import reset_database

        reset_database(db)
        engine = Engine(db)
        db.url = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"  # what the workers will fail to reach
        assert engine.start_turn_processes(1) == 0
        assert engine.turn_process_count == 0
        assert "could not start" in caplog.text
        outcome = asyncio.run(engine.respond(InboundMessage("web", "after", "a-1", "你好")))
        assert outcome.replies and outcome.replies[0].text != say("internal_error")
    finally:
        engine.close()
        db.dispose()
