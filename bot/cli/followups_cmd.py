"""``repairbot followups``: dispatch due outbox rows once, or show what the outbox holds.

``repairbot serve`` dispatches on its own every few seconds; this command is for cron-style setups, for
catching up by hand, and for tests and checks that fix the clock with ``--now``.
"""

from __future__ import annotations

import argparse
import json

from bot.cli.options import iso_datetime


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``followups`` command group."""
    parser = subparsers.add_parser("followups", help="proactive messages: dispatch due ones, show the outbox")
    sub = parser.add_subparsers(dest="followups_command", metavar="ACTION", required=True)
    dispatch = sub.add_parser("dispatch", help="one dispatch pass over the outbox")
    dispatch.add_argument("--now", type=iso_datetime, metavar="ISO8601", help="the moment to dispatch at")
    dispatch.add_argument("--json", action="store_true",
                          help='print {"claimed", "sent", "failed", "held", "dropped", "retried"}')
    dispatch.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    dispatch.set_defaults(func=_dispatch)
    status = sub.add_parser("status", help="outbox rows per status")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    status.set_defaults(func=_status)


def _dispatch(args: argparse.Namespace) -> int:
    import logging
    import sys

    from bot.app import channel_senders, open_database
    from bot.config import load_config
    from bot.outbox.dispatcher import Dispatcher
    from bot.privacy import install_log_masking

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    install_log_masking()
    config = load_config()
    db = open_database(args.url)
    try:
        dispatcher = Dispatcher(db, config=config, senders=channel_senders(config, db))
        stats = dispatcher.drain_sync(args.now)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(stats.to_json()), flush=True)
    else:
        print(", ".join(f"{key} {value}" for key, value in stats.to_json().items()))
    return 0


def _status(args: argparse.Namespace) -> int:
    from bot.app import open_database
    from bot.outbox.queue import counts

    db = open_database(args.url, prepare=False)
    try:
        with db.session(readonly=True) as session:
            found = counts(session)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(found))
    else:
        for status, n in sorted(found.items()):
            print(f"{status:<10} {n}")
    return 0
