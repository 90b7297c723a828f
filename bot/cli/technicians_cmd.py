"""``repairbot technicians import FILE.csv`` and ``repairbot technicians list``.

    repairbot technicians import roster.csv              # good rows imported, bad rows reported
    repairbot technicians import roster.csv --dry-run    # check and report only
    repairbot technicians list [--source import] [--json]

The import prints what it added, updated and left unchanged, then every rejected row as
``row N (CODE), column: reason``; it exits 1 when any row was rejected (the good rows are still
imported) and 2 when the file itself cannot be used (nothing imported). Phone numbers are only ever
shown masked. The CSV format is in the README ("Technician roster CSV") and in ``bot.roster.table``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``technicians`` command group."""
    parser = subparsers.add_parser("technicians", help="technician roster: import a CSV, list technicians")
    sub = parser.add_subparsers(dest="technicians_command", metavar="ACTION", required=True)
    imp = sub.add_parser("import", help="import or update technicians from a CSV file (by code)")
    imp.add_argument("file", type=Path, help="CSV file with a header row (columns: see README)")
    imp.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    imp.add_argument("--json", action="store_true", help="print one JSON object")
    imp.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    imp.set_defaults(func=_import)
    lst = sub.add_parser("list", help="list technicians (phones masked)")
    lst.add_argument("--source", choices=("config", "demo", "import"), help="only technicians from this source")
    lst.add_argument("--inactive", action="store_true", help="include inactive technicians")
    lst.add_argument("--json", action="store_true", help="print one JSON object per technician")
    lst.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    lst.set_defaults(func=_list)


def _import(args: argparse.Namespace) -> int:
    from bot.app import open_database
    from bot.config import load_config
    from bot.roster.importer import import_roster
    from bot.roster.table import MAX_BYTES, RosterFileError, read_roster

    try:
        if args.file.stat().st_size > MAX_BYTES:
            raise RosterFileError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        roster = read_roster(args.file.read_bytes(), load_config())
    except OSError as exc:
        return _file_error(args, f"{args.file}: cannot read ({exc.strerror or exc})")
    except RosterFileError as exc:
        return _file_error(args, f"{args.file}: {exc}")
    db = open_database(args.url)
    try:
        with db.session() as session:
            result = import_roster(session, roster, dry_run=args.dry_run)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps({"file": str(args.file), **result.to_json()}, ensure_ascii=False))
    else:
        verb = "would be" if result.dry_run else "were"
        report = result.report
        print(f"{args.file}: {result.rows} rows; {len(report.added)} {verb} added, {len(report.updated)} updated, "
              f"{len(report.unchanged)} unchanged, {result.rejected_rows} rejected")
        for rejection in result.rejected:
            print(f"  {rejection}")
    return 1 if result.rejected else 0


def _file_error(args: argparse.Namespace, message: str) -> int:
    if args.json:
        print(json.dumps({"file": str(args.file), "error": message}, ensure_ascii=False))
    else:
        print(message, file=sys.stderr)
    return 2


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from bot.app import open_database
    from bot.store.models import Technician

    db = open_database(args.url)
    try:
        with db.session(readonly=True) as session:
            query = select(Technician).options(selectinload(Technician.coverage)).order_by(Technician.code)
            if args.source:
                query = query.where(Technician.source == args.source)
            if not args.inactive:
                query = query.where(Technician.active.is_(True))
            rows = [_row(t) for t in session.scalars(query)]
    finally:
        db.dispose()
    try:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False) if args.json else _line(row))
    except BrokenPipeError:  # `| head`: the reader has seen enough
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the closed pipe for the exit flush
        return 0
    print(f"{len(rows)} technicians", file=sys.stderr)
    return 0


def _line(row: dict[str, Any]) -> str:
    state = "" if row["active"] else "  (inactive)"
    return (f"{row['code']:<22} {row['name']:<6} {row['phone'] or '-':<13} {row['source']:<6} "
            f"{'/'.join(row['products']):<9} {'、'.join(row['brands']) or '全部品牌'}  home {row['home']}  "
            f"covers {len(row['covers'])}{state}")


def _row(tech: Any) -> dict[str, Any]:
    from bot.privacy import mask_phone

    return {
        "code": tech.code, "name": tech.name, "phone": mask_phone(tech.phone) if tech.phone else None,
        "source": tech.source, "active": tech.active, "products": list(tech.products), "brands": list(tech.brands),
        "home": tech.base_adcode, "home_lat": tech.home_lat, "home_lon": tech.home_lon,
        "covers": sorted(f"{c.adcode}/{c.town}" if c.town else c.adcode for c in tech.coverage),
        "hours": tech.hours, "capacity": tech.slot_capacity,
    }  # fmt: skip
