"""``repairbot db upgrade`` (migrate, load technicians from config and the demo roster) and ``db info``."""

from __future__ import annotations

import argparse
import json
import sys

from bot.config import config_path, load_config
from bot.store.db import Database, default_url, safe_url
from bot.store.migrate import head_revision


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``db`` command group."""
    parser = subparsers.add_parser("db", help="database: migrate, load technicians, show status")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = sub.add_parser("upgrade", help="apply migrations, sync technicians from config and the demo roster")
    up.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    up.set_defaults(func=_upgrade)
    info = sub.add_parser("info", help="URL (password hidden), migration revision and row counts")
    info.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(func=_info)


def _upgrade(args: argparse.Namespace) -> int:
    from bot.roster.demo import DemoRosterError
    from bot.technicians import TechnicianConfigError, sync_roster

    db = Database(args.url or default_url())
    try:
        db.upgrade()
        try:
            with db.session() as session:
                report = sync_roster(session, load_config())
        except TechnicianConfigError as exc:
            print(f"{config_path()}: {exc}", file=sys.stderr)
            return 1
        except DemoRosterError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        print(f"database {safe_url(db.url)} at revision {db.revision()}")
        print(f"technicians: {report.config.summary()}")
        print(f"demo roster: {report.demo.summary()}")
        return 0
    finally:
        db.dispose()


def _info(args: argparse.Namespace) -> int:
    db = Database(args.url or default_url())
    try:
        revision = db.revision()
        info = {
            "url": safe_url(db.url),
            "backend": db.dialect,
            "revision": revision,
            "head": head_revision(),
            "up_to_date": revision == head_revision(),
            "rows": db.table_counts() if revision else {},
        }
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
        return 0
    print(f"url:      {info['url']}")
    print(f"revision: {info['revision'] or '(not migrated: run `repairbot db upgrade`)'} (head {info['head']})")
    for table, count in info["rows"].items():
        print(f"  {table:<22} {count}")
    return 0
