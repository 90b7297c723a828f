"""APScheduler, wrapped once: the clock that wakes the outbox dispatcher (and daily maintenance jobs).

APScheduler is the clock, never the store: every job here reads its work from the database when it
runs, so nothing planned lives only in this process's memory and a restart loses nothing. Jobs run
with ``coalesce=True`` (a backlog of missed runs is one run), ``max_instances=1`` (a slow pass is never
overlapped by the next) and ``misfire_grace_time=None`` (a run that is late for any reason still
runs — APScheduler's default grace of one second would silently skip it). The first dispatch runs at
start-up, so rows that fell due while the bot was down go out at once, under the same rules (quiet
hours, expiry) as any other.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

_JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


@dataclass(frozen=True, slots=True)
class DailyJob:
    """A job run once a day at ``hour:minute`` local time (e.g. pruning, retention, digests)."""

    name: str
    hour: int
    minute: int
    run: Callable[[], Awaitable[None]]


class Scheduler:
    """Owns one ``AsyncIOScheduler`` inside the running event loop (``repairbot serve``'s)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._scheduler = AsyncIOScheduler(timezone=tz, job_defaults=_JOB_DEFAULTS)
        # APScheduler logs every run at INFO (the dispatcher every few seconds): keep its warnings only,
        # unless someone asked for debug output. Our jobs log what they did themselves.
        quiet = logging.getLogger("apscheduler")
        if quiet.getEffectiveLevel() > logging.DEBUG:
            quiet.setLevel(logging.WARNING)

    def every(self, name: str, seconds: float, run: Callable[[], Awaitable[None]], *, start_now: bool = True) -> None:
        """Run ``run`` every ``seconds``; the first run at once when ``start_now``."""
        first = datetime.now(self.tz) + (timedelta(0) if start_now else timedelta(seconds=seconds))
        self._scheduler.add_job(_guarded(name, run), IntervalTrigger(seconds=seconds, timezone=self.tz),
                                id=name, name=name, next_run_time=first, replace_existing=True)

    def daily(self, job: DailyJob) -> None:
        """Run ``job`` every day at its local time."""
        self._scheduler.add_job(_guarded(job.name, job.run), CronTrigger(hour=job.hour, minute=job.minute,
                                                                         timezone=self.tz),
                                id=job.name, name=job.name, replace_existing=True)

    def weekly(self, name: str, day_of_week: str, hour: int, minute: int, run: Callable[[], Awaitable[None]]) -> None:
        """Run ``run`` once a week (``day_of_week`` as cron: mon … sun)."""
        self._scheduler.add_job(_guarded(name, run), CronTrigger(day_of_week=day_of_week, hour=hour, minute=minute,
                                                                 timezone=self.tz),
                                id=name, name=name, replace_existing=True)

    def start(self) -> None:
        """Start firing jobs (call from inside the event loop)."""
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop firing; a job in progress is not waited for (its work is in the database)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    @property
    def job_names(self) -> list[str]:
        """Names of the scheduled jobs (for logs and tests)."""
        return [job.id for job in self._scheduler.get_jobs()]


def _guarded(name: str, run: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """A failing run is logged and the next one still comes (APScheduler would only log it too)."""

    async def job() -> None:
        try:
            await run()
        except Exception:
            log.exception("scheduled job %s failed; it runs again at its next time", name)

    job.__name__ = name
    return job
