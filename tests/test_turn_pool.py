"""Turn workers, the pool sized to them, pinging only idle connections, and the retry after a dead one."""

from __future__ import annotations

import asyncio

import pytest
from engine_helpers import ChatUser, make_engine
from sqlalchemy.exc import OperationalError

from bot.app import POOL_SPARE, pool_size
from bot.engine import DEFAULT_TURN_WORKERS, turn_workers
from bot.messages import InboundMessage
from bot.store import db as db_module
from bot.store.db import Database


def test_turn_workers_and_pool_size_come_from_the_config() -> None:
    assert turn_workers({}) == DEFAULT_TURN_WORKERS
    assert turn_workers({"server": {"turn_workers": 3}}) == 3
    assert pool_size({"server": {"turn_workers": 3}}) == 3 + POOL_SPARE
    with pytest.raises(ValueError):
        turn_workers({"server": {"turn_workers": -1}})


def test_turns_run_on_the_engines_own_workers(store) -> None:
    engine = make_engine(store)
    engine.turn_workers = 2

    async def main() -> list:
        return await asyncio.gather(*(engine.respond(InboundMessage("web", f"w{i}", f"w{i}", "你好"))
                                      for i in range(6)))

    try:
        assert all(o.replies for o in asyncio.run(main()))
        assert engine.executor._max_workers == 2
    finally:
        engine.close()


def test_only_idle_postgresql_connections_are_pinged(db_url, monkeypatch) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no connection pool to ping")
    pings: list[object] = []
    db = Database(db_url)
    original = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(conn) or original(conn))
    try:
        for _ in range(3):  # back-to-back use: no ping
            with db.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        assert pings == []
        monkeypatch.setattr(db_module, "PING_IDLE_S", 0.0)
        db.engine.dispose()
        db2 = Database(db_url)  # listeners read the idle limit when installed
        monkeypatch.setattr(db2.engine.dialect, "do_ping", lambda conn: pings.append(conn) or original(conn))
        for _ in range(2):
            with db2.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        assert len(pings) == 1  # the second checkout found a connection that had been idle
        db2.dispose()
    finally:
        db.dispose()


def test_a_turn_that_meets_a_dead_connection_runs_again_once(store, monkeypatch) -> None:
    engine = make_engine(store)
    calls: list[str] = []
    real = engine._process

    def flaky(msg):
        calls.append(msg.message_id)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"),
                                   connection_invalidated=True)
        return real(msg)

    monkeypatch.setattr(engine, "_process", flaky)
    chat = ChatUser(engine)
    outcome = chat.say("你好", message_id="dead-1")
    assert calls == ["dead-1", "dead-1"] and outcome.replies and not outcome.duplicate


def test_the_pool_size_given_is_kept_on_both_backends(db_url) -> None:
    """Many threads on one file database need more than SQLAlchemy's default five connections."""
    db = Database(db_url, pool_size=12, max_overflow=0)
    try:
        assert db.engine.pool.size() == 12
    finally:
        db.dispose()
