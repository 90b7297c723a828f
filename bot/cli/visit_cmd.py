"""``repairbot visit done TICKET_ID``: the technician reports the visit done (with the post-repair check)."""

from __future__ import annotations

import argparse
import sys

from bot.cli.options import iso_datetime


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``visit`` command group."""
    parser = subparsers.add_parser("visit", help="report visits: mark one done")
    sub = parser.add_subparsers(dest="visit_command", metavar="ACTION", required=True)
    done = sub.add_parser("done", help="mark a ticket's visit done; the satisfaction survey is planned from then")
    done.add_argument("ticket_id", type=int, metavar="TICKET_ID")
    done.add_argument("--now", type=iso_datetime, metavar="ISO8601", help="when the visit ended (default: now)")
    done.add_argument("--notes", help="what the technician did (stored encrypted)")
    done.add_argument("--check", action="append", default=[], metavar="KEY=VALUE",
                      help="post-repair check item (repeatable), e.g. cycles=10 battery=80 alarm=pass; "
                           "items are listed in config.yml followups.visit_check")
    done.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    done.set_defaults(func=_done)


def _done(args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.app import open_database
    from bot.config import load_config
    from bot.visit_report import VisitError, mark_done, read_check

    config = load_config()
    now = args.now or datetime.now(ZoneInfo(str(config.get("timezone") or "Asia/Shanghai")))
    try:
        check = read_check(args.check, config)
    except VisitError as exc:
        print(f"repairbot visit done: {exc}", file=sys.stderr)
        return 2
    db = open_database(args.url)
    try:
        with db.session() as session:
            ticket, changed = mark_done(session, args.ticket_id, now=now, config=config,
                                        notes=args.notes, check=check)
            visited_at = ticket.visited_at
    except VisitError as exc:
        print(f"repairbot visit done: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    if changed:
        print(f"ticket #{args.ticket_id} visited at {now.isoformat()}; survey planned")
    else:
        print(f"ticket #{args.ticket_id} was already reported visited at {visited_at.isoformat() if visited_at else '?'}")
    return 0
