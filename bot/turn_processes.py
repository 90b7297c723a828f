"""Customer turns on worker processes, so one ``repairbot serve`` on PostgreSQL uses more than one core.

A turn is mostly Python (SQLAlchemy, decryption, the NLU, the dialog), and Python runs one thread of a
process at a time (the GIL). Threads let one turn's database round trips overlap another's work, but
under a burst every thread that comes back from the database waits for the GIL, so a turn of 5 ms CPU
takes 50 ms or more. Processes do not share a GIL: with ``server.turn_processes`` > 0 the engine hands
each turn to one of that many spawned processes, each with its own :class:`~bot.engine.Engine`, NLU and
connection pool on the same database and config.

Everything else stays in the serving process: the web API, the console, the messengers, the outbox and
the scheduler. A turn needs nothing from them: it reads and writes the database only, and everyone else
learns of it from the database (the console's queue and the web chat's updates re-read it).

Order and safety do not change. The serving process still lets one message per chat through at a time
(``Engine.respond``), and the conversation row lock still serialises a chat across processes, as it does
between two ``serve`` processes.

``auto`` (the default) means one process per CPU on PostgreSQL when there are at least two CPUs, and
none on SQLite: SQLite takes one writer at a time, so processes would only queue on its file lock.
When a worker process dies, the pool is given up with an error in the log and turns run on the
engine's threads again; the turn that was running is retried there (the database rolled it back, or
kept it, and then the retry is answered as a duplicate).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.engine import Engine, Outcome
    from bot.messages import InboundMessage

log = logging.getLogger(__name__)

#: The engine of a worker process (set by its initializer).
_ENGINE: Engine | None = None


def turn_processes(config: dict[str, Any], dialect: str, cpus: int | None = None) -> int:
    """config.yml ``server.turn_processes``: worker processes for turns (0: turns run on threads).

    ``auto`` (default): one per CPU on PostgreSQL with two or more CPUs, else 0. A number asks for
    exactly that many; more than 0 on SQLite is refused (it has one writer at a time).
    """
    value = (config.get("server") or {}).get("turn_processes", "auto")
    if value is None or value == "auto":
        cpus = cpus if cpus is not None else (os.cpu_count() or 1)
        return cpus if dialect == "postgresql" and cpus >= 2 else 0
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"server.turn_processes must be a whole number or 'auto', not {value!r}") from None
    if count < 0:
        raise ValueError("server.turn_processes must not be negative")
    if count and dialect != "postgresql":
        raise ValueError("server.turn_processes needs PostgreSQL (SQLite takes one writer at a time); use 0")
    return count


class TurnProcesses:
    """A pool of worker processes running ``Engine.process`` on the same database and config."""

    def __init__(self, url: str, config: dict[str, Any], count: int, *, log_level: int | None = None) -> None:
        if count < 1:
            raise ValueError("at least one turn process")
        self.count = count
        # spawn, not fork: the serving process already runs threads (turn workers, the scheduler), and a
        # forked child would inherit their locks in whatever state they were.
        self._pool = ProcessPoolExecutor(
            count, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
            initargs=(url, config, log_level if log_level is not None else logging.getLogger().level),
        )

    def start(self) -> list[int]:
        """Start every worker and wait until each has loaded its engine; their process ids."""
        # Each call holds its worker a moment, so the calls spread over all of them.
        return sorted(set(self._pool.map(_worker_ready, [0.3] * (self.count * 2))))

    async def run(self, msg: InboundMessage) -> Outcome:
        """Process ``msg`` on a worker; raises :class:`BrokenProcessPool` when a worker died."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, _worker_turn, msg)

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers (with ``wait``, after the turns in progress)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)


def _start_worker(url: str, config: dict[str, Any], log_level: int) -> None:
    import signal

    # Ctrl-C reaches the whole process group: the serving process stops the workers itself (after the
    # turns in progress), and a worker must not die mid-turn printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    from bot.engine import Engine
    from bot.privacy import install_log_masking
    from bot.store.db import Database

    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s [turn %(process)d]: %(message)s")
    install_log_masking()
    global _ENGINE
    # One turn at a time here: two connections (a turn and its retry after a lost connection) suffice.
    # The serving process already migrated the database and synced the roster.
    _ENGINE = Engine(Database(url, pool_size=2), config=config)
    _ENGINE.warm_up()


def _worker_ready(hold_s: float) -> int:
    import time

    time.sleep(hold_s)
    return os.getpid()


def _worker_turn(msg: InboundMessage) -> Outcome:
    assert _ENGINE is not None, "turn worker started without its engine"
    return _ENGINE.process(msg)


__all__ = ["BrokenProcessPool", "TurnProcesses", "turn_processes"]
