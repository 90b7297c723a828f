"""``repairbot report [--since 30d] [--until DATE] [--json]``: the managers' feedback summary in a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` command."""
    parser = subparsers.add_parser("report", help="feedback summary: CSAT, response and resolved rates, escalations")
    parser.add_argument("--since", default="30d", metavar="SPAN|DATE",
                        help="start of the period: 30d, 12w or a date 2026-11-01 (default: 30d)")
    parser.add_argument("--until", metavar="DATE", help="end of the period, exclusive (default: now)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.app import open_database
    from bot.config import load_config
    from bot.reports import period, report

    tz = ZoneInfo(str(load_config().get("timezone") or "Asia/Shanghai"))
    now = datetime.now(tz)
    try:
        since = period(args.since, now, tz)
        until = period(args.until, now, tz) if args.until else now
    except ValueError as exc:
        print(f"repairbot report: {exc}", file=sys.stderr)
        return 2
    if since >= until:
        print("repairbot report: --since must be before --until", file=sys.stderr)
        return 2
    db = open_database(args.url)
    try:
        with db.session(readonly=True) as session:
            data = report(session, since=since, until=until, tz=tz).to_json()
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(render_text(data))
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _num(value: Any, suffix: str = "") -> str:
    return "-" if value is None else f"{value}{suffix}"


def render_text(data: dict[str, Any]) -> str:
    """The summary as a few aligned lines and per-brand/technician tables."""
    lines = [
        f"period            {data['since'][:16]} → {data['until'][:16]}",
        f"tickets           {data['tickets']}",
        f"CSAT              {_num(data['csat_avg'])} from {data['csat_count']} answers  "
        + "  ".join(f"{k}★:{v}" for k, v in data["csat_distribution"].items()),
        f"survey responses  {_pct(data['response_rate'])} of {data['surveys_asked']} asked",
        f"resolved          {_pct(data['resolved_rate'])}",
        f"escalations       {data['escalations']} ({_pct(data['escalation_rate'])} of tickets)",
        f"first response    {_num(data['first_response_minutes'], ' min')} (median)",
        f"time to booking   {_num(data['time_to_booking_hours'], ' h')} (median)",
    ]
    for dim, title in (("by_brand", "brand"), ("by_technician", "technician")):
        rows = data[dim]
        if rows:
            lines.append("")
            lines.append(f"{title:<16}tickets  CSAT  answers  resolved  escalations")
            for r in rows:
                lines.append(f"{r['key']:<16}{r['tickets']:>7}  {_num(r['csat_avg']):>4}  {r['csat_count']:>7}  "
                             f"{_pct(r['resolved_rate']):>8}  {r['escalations']:>11}")
    return "\n".join(lines)
