"""The outbox across processes: a dispatcher killed between claim and send, two dispatchers at once on
PostgreSQL, the ``repairbot followups`` and ``repairbot visit`` commands, and catching up at start-up.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from engine_helpers import ChatUser, Clock, make_engine
from sqlalchemy import func, select

from bot.app import create_app
from bot.config import load_config
from bot.outbox import Dispatcher, enqueue
from bot.outbox.settings import OutboxSettings
from bot.store.db import lock_conversation
from bot.store.models import Message, OutboxMessage
from dialogs.replies import Reply

ROOT = Path(__file__).resolve().parent.parent
CST = timezone(timedelta(hours=8))
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=CST)
CONFIG = load_config()


def _env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, DATABASE_URL=db_url, REPAIRBOT_DATA=str(tmp_path / "data"), PYTHONIOENCODING="utf-8",
                PYTHONPATH=str(ROOT))


def _plan_many(store, n: int, channel: str, due: datetime = NOON) -> None:
    with store.session() as s:
        for i in range(n):
            conv = lock_conversation(s, channel, f"{channel}-{i}")
            enqueue(s, key=f"{channel}:{i}", channel=channel, chat_id=conv.chat_id, kind="reminder_hour",
                    reply=Reply(f"提醒 {i}"), due_at=due, conversation_id=conv.id)


class RecordingTelegram:
    records_only = False

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        self.sent.append(chat_id)
        return None


def test_a_dispatcher_killed_after_claiming_leaves_rows_that_are_sent_once_after_restart(store, db_url, tmp_path) -> None:
    _plan_many(store, 40, "telegram")
    worker = subprocess.Popen([sys.executable, str(ROOT / "tests" / "outbox_worker.py"), db_url, NOON.isoformat(), "stall"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(db_url, tmp_path), text=True)
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "CLAIMED", worker.stderr.read() if worker.stderr else ""
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    with store.session(readonly=True) as s:
        assert set(s.scalars(select(OutboxMessage.status))) == {"sending"}  # claimed, never settled
    telegram = RecordingTelegram()
    lease = timedelta(seconds=OutboxSettings.from_config(CONFIG).lease_s)
    # Restarted before the lease ran out: nothing to do yet (the dead process still "holds" them).
    assert Dispatcher(store, config=CONFIG, senders={"telegram": telegram}).drain_sync(NOON + timedelta(seconds=5)).claimed == 0
    stats = Dispatcher(store, config=CONFIG, senders={"telegram": telegram}).drain_sync(NOON + lease)
    assert stats.sent == 40
    assert sorted(telegram.sent) == sorted(f"telegram-{i}" for i in range(40))  # each exactly once
    with store.session(readonly=True) as s:
        assert set(s.scalars(select(OutboxMessage.status))) == {"sent"}
        assert s.scalar(select(func.count()).select_from(Message)) == 40


@pytest.mark.postgres
def test_two_dispatcher_processes_on_postgresql_send_2000_rows_exactly_once(pg_database_url, tmp_path) -> None:
    from fixtures_store import reset_database

    from bot.store.db import Database

    store = Database(pg_database_url)
    try:
        reset_database(store)
        _plan_many(store, 2000, "web")
        # Small batches, and both released at once, so the two really interleave their claims.
        config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
        config["followups"]["outbox"]["batch_size"] = 50
        (tmp_path / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        env = dict(_env(pg_database_url, tmp_path), REPAIRBOT_CONFIG=str(tmp_path / "config.yml"))
        cmd = [sys.executable, str(ROOT / "tests" / "outbox_worker.py"), pg_database_url, NOON.isoformat(), "web"]
        procs = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env) for _ in range(2)]
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = [p.communicate(timeout=300) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
        stats = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
        assert sum(s["sent"] for s in stats) == 2000 and sum(s["claimed"] for s in stats) == 2000
        assert all(s["sent"] > 0 for s in stats), stats  # both took part
        with store.session(readonly=True) as s:
            assert set(s.scalars(select(OutboxMessage.status))) == {"sent"}
            per_chat = s.execute(select(Message.conversation_id, func.count()).group_by(Message.conversation_id)).all()
            assert len(per_chat) == 2000 and {n for _, n in per_chat} == {1}
    finally:
        store.dispose()


def test_followups_dispatch_and_visit_done_commands(store, db_url, tmp_path) -> None:
    clock = Clock()
    chat = ChatUser(make_engine(store, clock))
    chat.say("我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678")
    if not chat.buttons():
        chat.say("建设路12号4栋201")
    chat.press(0)
    ticket = chat.ticket
    end = datetime.fromisoformat(ticket["slot"]["end"])
    env = _env(db_url, tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=120)

    bad = run("visit", "done", str(ticket["id"]), "--check", "battery=lots")
    assert bad.returncode == 2 and "whole number" in bad.stderr
    assert run("visit", "done", "424242").returncode == 1
    done = run("visit", "done", str(ticket["id"]), "--now", end.isoformat(), "--notes", "换锁芯", "--check", "cycles=12")
    assert done.returncode == 0 and "survey planned" in done.stdout, done.stderr
    again = run("visit", "done", str(ticket["id"]))
    assert again.returncode == 0 and "already" in again.stdout
    out = run("followups", "dispatch", "--now", (end + timedelta(hours=2)).isoformat(), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"claimed": 1, "sent": 1, "failed": 0, "held": 0, "dropped": 0, "retried": 0}
    # A moment given without an offset is Beijing time.
    out = run("followups", "dispatch", "--now", (end + timedelta(hours=26)).strftime("%Y-%m-%dT%H:%M"), "--json")
    assert json.loads(out.stdout)["sent"] == 1  # the nudge
    status = run("followups", "status", "--json")
    assert json.loads(status.stdout)["sent"] == 2


def test_rows_that_fell_due_while_the_bot_was_down_go_out_at_start_up(store) -> None:
    """APScheduler's first run is at start-up and late runs are never skipped (misfire grace None)."""
    clock = Clock(NOON)
    _plan_many(store, 3, "web", due=NOON - timedelta(hours=5))  # due while "down"
    app = create_app(make_engine(store, clock), background=True)

    def sent() -> int:
        with store.session(readonly=True) as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent"))

    async def start_and_wait() -> int:
        async with app.router.lifespan_context(app):  # what uvicorn does when `repairbot serve` starts
            deadline = asyncio.get_running_loop().time() + 30
            while sent() < 3 and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.05)
        return sent()

    assert asyncio.run(start_and_wait()) == 3, "the start-up dispatch did not send the overdue rows"


def test_the_scheduler_never_drops_a_late_run() -> None:
    from zoneinfo import ZoneInfo

    from bot.scheduler import Scheduler

    async def nothing() -> None:
        return None

    async def inspect() -> dict:
        scheduler = Scheduler(ZoneInfo("Asia/Shanghai"))
        scheduler.every("outbox", 5, nothing)
        scheduler.start()
        try:
            job = scheduler._scheduler.get_job("outbox")
            return {"misfire": job.misfire_grace_time, "coalesce": job.coalesce, "max": job.max_instances}
        finally:
            scheduler.shutdown()

    assert asyncio.run(inspect()) == {"misfire": None, "coalesce": True, "max": 1}


def test_serve_schedules_the_dispatcher_and_the_daily_retention(store) -> None:
    """`repairbot serve` (background=True) runs both jobs; a bad retention time stops start-up naming the key."""
    from bot.app import retention_job
    from bot.config_values import ConfigError

    app = create_app(make_engine(store, Clock(NOON)), background=True)
    seen: list[str] = []

    async def start() -> None:
        async with app.router.lifespan_context(app):
            seen.extend(app.state.scheduler.job_names)

    asyncio.run(start())
    assert {"outbox", "retention"} <= set(seen)
    engine = make_engine(store, Clock(NOON))
    engine.config = {**engine.config, "privacy": {"retention": {"run_at": "3am"}}}
    with pytest.raises(ConfigError, match=r"privacy\.retention\.run_at"):
        retention_job(engine)
