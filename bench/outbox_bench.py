"""Outbox dispatch throughput: 10,000 due follow-ups, two dispatcher processes, each row sent once.

The anchors this is measured against (same machine, PostgreSQL, 10,000 due jobs, two workers):
pgqueuer 2.5 s, APScheduler's SQLAlchemyJobStore 8.4 s (and it ran a job twice), procrastinate 18 s;
a bare ``FOR UPDATE SKIP LOCKED`` batch loop 0.36 s is the floor.

The rows are real follow-ups to web chats (the channel whose delivery is the history row, so the
measure is the whole dispatcher: claim, decide, decrypt, record the encrypted history, settle).
Each worker process is started and connected first, then both are released together; ``seconds`` runs
from that release to the last row settled, ``with_startup_s`` adds the processes' start-up. Duplicates
are counted from the history: every chat must have received exactly one message.

``python -m bench.outbox_bench worker URL NOW`` is the worker side (reads "go" on stdin).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.booking_bench import pg_database, private_data_dir

ROWS = 10_000
WORKERS = 2
NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 in Beijing: outside quiet hours
ROOT = Path(__file__).resolve().parent.parent


def _fill(url: str, rows: int) -> None:
    """Migrate and plant ``rows`` due follow-ups, one per web chat (bulk, not part of the measure)."""
    from sqlalchemy import insert, select

    from bot.store.db import Database
    from bot.store.models import Conversation, OutboxMessage
    from bot.store.types import utcnow

    db = Database(url)
    try:
        db.upgrade()
        now = utcnow()
        with db.session() as s:
            s.execute(insert(Conversation), [
                {"channel": "web", "chat_id": f"bench-{i}", "state": {}, "misunderstood_count": 0,
                 "created_at": now, "updated_at": now} for i in range(rows)])
            ids = dict(s.execute(select(Conversation.chat_id, Conversation.id)).all())
            due = NOW - timedelta(minutes=5)
            s.execute(insert(OutboxMessage), [
                {"idempotency_key": f"bench:{i}", "conversation_id": ids[f"bench-{i}"], "channel": "web",
                 "chat_id": f"bench-{i}", "kind": "reminder_hour", "essential": True,
                 "payload": {"text": f"温馨提醒：师傅约一小时后上门（{i}）", "buttons": []}, "due_at": due,
                 "available_at": due, "expires_at": NOW + timedelta(hours=1), "status": "pending", "attempts": 0,
                 "created_at": now} for i in range(rows)])
    finally:
        db.dispose()


def _check(url: str, rows: int) -> dict[str, int]:
    from sqlalchemy import func, select

    from bot.store.db import Database
    from bot.store.models import Message, OutboxMessage

    db = Database(url)
    try:
        with db.session(readonly=True) as s:
            sent = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent"))
            messages = s.scalar(select(func.count()).select_from(Message))
            chats = s.scalar(select(func.count(func.distinct(Message.conversation_id))))
    finally:
        db.dispose()
    return {"rows": rows, "sent": int(sent or 0), "history_rows": int(messages or 0),
            "duplicates": int((messages or 0) - (chats or 0)), "missing": rows - int(sent or 0)}


def _measure(url: str, rows: int = ROWS, workers: int = WORKERS) -> dict[str, Any]:
    _fill(url, rows)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "bench.outbox_bench", "worker", url, NOW.isoformat()],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, cwd=ROOT) for _ in range(workers)]
    for p in procs:  # wait until every worker has imported, connected and warmed up
        assert p.stdout is not None
        line = p.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"worker failed to start: {line!r} {p.stderr.read() if p.stderr else ''}")
    go = time.time()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        if p.returncode != 0:
            raise RuntimeError(err[-2000:])
        reports.append(json.loads(out.strip().splitlines()[-1]))
    finished = max(r["finished"] for r in reports)
    return {
        "seconds": round(finished - go, 3),
        "with_startup_s": round(time.perf_counter() - started, 3),
        "rows_per_s": round(rows / max(finished - go, 1e-9)),
        "per_worker_sent": [r["sent"] for r in reports],
        **_check(url, rows),
    }


def _worker(url: str, now: str) -> int:
    import asyncio

    from bot.config import load_config
    from bot.outbox import Dispatcher
    from bot.store.db import Database
    from dialogs import proactive  # noqa: F401  - imported before the clock starts, like a warm server

    db = Database(url)
    dispatcher = Dispatcher(db, config=load_config())
    with db.session(readonly=True) as s:  # connect now, not inside the measure
        from sqlalchemy import text

        s.execute(text("SELECT 1"))
    print("ready", flush=True)
    sys.stdin.readline()
    stats = asyncio.run(dispatcher.drain(datetime.fromisoformat(now)))
    print(json.dumps({"finished": time.time(), **stats.to_json()}), flush=True)
    db.dispose()
    return 0


def run() -> dict[str, object]:
    """Dispatch throughput on PostgreSQL (the anchor's setting) and, for reference, SQLite."""
    results: dict[str, object] = {"anchors_s": {"pgqueuer": 2.5, "apscheduler_sqlalchemy_jobstore": 8.4,
                                                "procrastinate": 18, "skip_locked_floor": 0.36}}
    with private_data_dir():
        with pg_database() as pg_url:
            results["postgresql"] = _measure(pg_url) if pg_url else "skipped: PostgreSQL unreachable"
        sqlite_path = Path(os.environ["REPAIRBOT_DATA"]) / "outbox.sqlite3"
        results["sqlite"] = _measure(f"sqlite:///{sqlite_path}")
    return results


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "worker":
        raise SystemExit(_worker(sys.argv[2], sys.argv[3]))
    print(json.dumps(run(), indent=2))
