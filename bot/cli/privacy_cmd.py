"""``repairbot privacy``: keys and retention.

    repairbot privacy new-key                  # add a key to the keyring; it encrypts new data
    repairbot privacy rotate-key               # re-encrypt everything under the newest key (progress on stderr)
    repairbot privacy purge --dry-run          # what the retention policy would erase now
    repairbot privacy purge [--now ISO8601]    # erase it

Rotating, step by step: ``new-key``; restart every ``repairbot serve`` (they read the keyring at
start); ``rotate-key`` (resumable: run it again after an interruption); when it reports
``"remaining": 0``, the keys it lists as ``retirable`` can be removed from the keyring.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO


def register(subparsers: Any) -> None:
    """Add the ``privacy`` command and its sub-commands."""
    parser = subparsers.add_parser("privacy", help="encryption keys and data retention")
    sub = parser.add_subparsers(dest="privacy_command", metavar="SUBCOMMAND", required=True)

    new_key = sub.add_parser("new-key", help="add a fresh key to the keyring (it encrypts new data)")
    new_key.set_defaults(func=_new_key)

    rotate = sub.add_parser("rotate-key", help="re-encrypt every encrypted value under the newest key")
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")
    rotate.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    rotate.set_defaults(func=_rotate)

    purge = sub.add_parser("purge", help="apply the retention policy (privacy.retention in config.yml)")
    purge.add_argument("--dry-run", action="store_true", help="only count what would be erased")
    purge.add_argument("--now", type=_iso, help="the moment to apply the policy at (default: now)")
    purge.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    purge.set_defaults(func=_purge)


def _iso(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _database(url: str | None) -> Any:
    from bot.store.db import Database

    db = Database(url)
    db.upgrade()  # rotation needs the row_key columns; both commands are harmless on a fresh database
    return db


def _new_key(args: argparse.Namespace) -> int:
    from bot.privacy.keys import SECRET_ENV, add_key, key_file_path, with_new_key

    if os.environ.get(SECRET_ENV):
        # The keyring lives in the environment: hand the operator the new value to set; nothing is logged.
        text, new_id = with_new_key(os.environ[SECRET_ENV], SECRET_ENV)
        print(f"new key {new_id}: set {SECRET_ENV} to the line below, restart, then run "
              "`repairbot privacy rotate-key`", file=sys.stderr)
        print(" ".join(text.split()))
        return 0
    new_id = add_key()
    print(f"added key {new_id} to {key_file_path()}; restart running processes, then run "
          "`repairbot privacy rotate-key`", file=sys.stderr)
    print(new_id)
    return 0


class ProgressBar:
    """A progress bar on ``stream``: redrawn in place on a terminal, a line per tenth otherwise."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream, self.width = stream, width
        self.tty = stream.isatty()
        self._last_tenth = -1
        self._started = time.monotonic()

    def __call__(self, label: str, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        filled = int(self.width * fraction)
        rate = done / max(time.monotonic() - self._started, 1e-9)
        line = f"[{'#' * filled}{'-' * (self.width - filled)}] {done}/{total} rows {rate:,.0f}/s {label}"
        if self.tty:
            self.stream.write("\r" + line.ljust(self.width + 50))
        elif int(fraction * 10) != self._last_tenth:
            self._last_tenth = int(fraction * 10)
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _rotate(args: argparse.Namespace) -> int:
    from bot.privacy.rotation import rotate_keys

    if args.batch_size < 1:
        print("repairbot privacy rotate-key: --batch-size must be at least 1", file=sys.stderr)
        return 2
    db = _database(args.url)
    bar = ProgressBar(sys.stderr)
    try:
        report = rotate_keys(db, batch_size=args.batch_size, progress=bar)
    finally:
        bar.close()
        db.dispose()
    print(json.dumps(report.to_json(), ensure_ascii=False))
    return 0 if report.remaining == 0 else 1


def _purge(args: argparse.Namespace) -> int:
    from bot.config import load_config
    from bot.retention import RetentionPolicy, run_retention

    policy = RetentionPolicy.from_config(load_config())
    now = args.now or datetime.now(UTC)
    db = _database(args.url)
    try:
        with db.session(readonly=args.dry_run) as session:
            report = run_retention(session, now, policy, dry_run=args.dry_run)
    finally:
        db.dispose()
    print(json.dumps(report.to_json(), ensure_ascii=False))
    return 0
