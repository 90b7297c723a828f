"""The managers' weekly digest: last week's key figures and a CSAT-by-week chart, made once per week.

Scheduled by ``repairbot serve`` (bot/app.py, ``Scheduler.weekly`` at config.yml ``console.digest``);
shown in the console (``/console/digests``) and, when ``TELEGRAM_MANAGER_CHAT_ID`` is set, planned as an
outbox row of kind ``digest`` on the ``telegram`` channel, the chart as ``Reply.image`` (a PNG file under
the data directory). The digest row is unique per period: several processes firing at once, or a
restart that fires again, make one digest and one message.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports import report
from bot.reports.png import bar_chart
from bot.store.db import dialect_insert
from bot.store.models import Digest
from dialogs.replies import Reply

log = logging.getLogger(__name__)
MANAGER_CHAT_ENV = "TELEGRAM_MANAGER_CHAT_ID"
TREND_WEEKS = 8


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _val(value: Any, unit: str = "") -> str:
    return "-" if value is None else f"{value}{unit}"


def digest_text(period_start: datetime, period_end: datetime, figures: dict[str, Any], tz: ZoneInfo) -> str:
    """The digest message: what a manager reads on the phone (no customer data, no comments)."""
    last_day = (period_end - timedelta(days=1)).astimezone(tz)
    dist = figures.get("csat_distribution") or {}
    return "\n".join([
        f"【客服周报】{period_start.astimezone(tz):%m-%d} 至 {last_day:%m-%d}",
        f"新工单 {figures['tickets']}，转人工 {figures['escalations']}（{_pct(figures['escalation_rate'])}）",
        f"满意度 {_val(figures['csat_avg'])}（{figures['csat_count']} 份评分；"
        + " ".join(f"{k}★{dist.get(k, 0)}" for k in ("5", "4", "3", "2", "1")) + "）",
        f"回访回复率 {_pct(figures['response_rate'])}，问题解决率 {_pct(figures['resolved_rate'])}",
        f"人工首次响应中位 {_val(figures['first_response_minutes'], ' 分钟')}，"
        f"预约用时中位 {_val(figures['time_to_booking_hours'], ' 小时')}",
    ])


def period_of(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The seven local days that ended at midnight before ``now``."""
    end = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    return end - timedelta(days=7), end


def make_digest(session: Session, *, now: datetime, tz: ZoneInfo, data_dir: os.PathLike[str] | str,
                manager_chat_id: str | None = None) -> tuple[Digest, bool]:
    """Make the digest of the week before ``now`` (once); returns (digest, made now)."""
    from bot.outbox import queue

    start, end = period_of(now, tz)
    existing = session.scalars(select(Digest).where(Digest.period_start == start)).first()
    if existing is not None:
        return existing, False
    summary = report(session, since=start, until=end, tz=tz)
    figures = summary.to_json()
    figures = {k: v for k, v in figures.items() if not k.startswith("by_") and k != "lowest_comments"}
    trend = report(session, since=end - timedelta(weeks=TREND_WEEKS), until=end, tz=tz).rows("week")
    figures["weeks"] = [{"week": r["key"], "csat_avg": r["csat_avg"], "csat_count": r["csat_count"]} for r in trend]
    chart = bar_chart([(r["key"][5:], r["csat_avg"]) for r in trend] or [(f"{start.astimezone(tz):%m-%d}", None)],
                      title=f"近{TREND_WEEKS}周满意度（周一起）", fallback_title=f"CSAT by week (last {TREND_WEEKS})",
                      maximum=5)
    text = digest_text(start, end, figures, tz)
    insert = dialect_insert(session, Digest)
    made = session.execute(insert.values(period_start=start, period_end=end, figures=figures, text=text,
                                         chart_png=chart, created_at=now)
                           .on_conflict_do_nothing(index_elements=["period_start"]).returning(Digest.id)).first()
    digest = session.scalars(select(Digest).where(Digest.period_start == start)).one()
    if made is None:  # another process made it a moment ago
        return digest, False
    if manager_chat_id:
        folder = os.path.join(os.fspath(data_dir), "digests")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"digest-{start.astimezone(tz):%Y-%m-%d}.png")
        with open(path, "wb") as fh:
            fh.write(chart)
        key = f"digest:{start.astimezone(tz):%Y-%m-%d}"
        queue.enqueue(session, key=key, channel="telegram", chat_id=manager_chat_id, kind="digest",
                      reply=Reply(text, image=path), due_at=now, essential=True)
        digest.outbox_key = key
    else:
        log.info("weekly digest made; %s is not set, so it is shown in the console only", MANAGER_CHAT_ENV)
    return digest, True


def manager_chat_id() -> str | None:
    """The managers' Telegram chat from the environment (None: console only)."""
    value = os.environ.get(MANAGER_CHAT_ENV, "").strip()
    return value or None
