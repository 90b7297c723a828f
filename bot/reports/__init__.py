"""Feedback reports for managers: one summary shared by the console, ``repairbot report`` and the digest.

- ``report(session, since=, until=, tz=)`` → :class:`Summary` (``to_json()`` is the CLI's JSON);
- ``period(text, now)`` reads ``30d`` / ``12w`` / ``2026-11-01`` into the start of a period;
- ``csv_table``, ``svg`` charts and the digest's ``png`` chart live in modules beside this one.
No HTTP here, and nothing is sent: the digest module plans an outbox row like any other message.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.reports.facts import gather
from bot.reports.summary import DIMENSIONS, Summary, summarize

__all__ = ["DIMENSIONS", "Summary", "period", "report"]

_SPAN = re.compile(r"^(\d{1,4})([dw])$")


def report(session: Session, *, since: datetime, until: datetime, tz: ZoneInfo, comments: int = 10) -> Summary:
    """The feedback summary of ``[since, until)``."""
    from bot.console.labels import province

    return summarize(gather(session, since, until), tz, province_of=province, comments=comments)


def period(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The start of a period: ``30d`` (days back), ``12w`` (weeks back) or a local date ``2026-11-01``.

    Raises ``ValueError`` with a message fit for the command line.
    """
    text = text.strip().lower()
    match = _SPAN.match(text)
    if match:
        count, unit = int(match.group(1)), match.group(2)
        if count <= 0:
            raise ValueError("--since: the span must be positive (e.g. 30d)")
        return now - timedelta(days=count * (7 if unit == "w" else 1))
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"--since: expected e.g. 30d, 12w or 2026-11-01, got {text!r}") from exc
    return datetime.combine(day, time(0), tzinfo=tz)
