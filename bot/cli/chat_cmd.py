"""``repairbot chat``: talk to the bot in a terminal, or script it with JSON lines (``--json``); ``--now`` fixes the clock."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from datetime import datetime


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``chat`` command."""
    parser = subparsers.add_parser(
        "chat", help="chat with the bot in this terminal (same engine and database as the web chat)")
    parser.add_argument("--user", help="chat id (default: terminal-<login name>); same id = same conversation")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per input line, shaped like POST /api/chat's answer")
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    parser.add_argument("--now", metavar="ISO8601", type=_iso,
                        help="fix the clock for this conversation, e.g. 2026-11-24T14:00:00+08:00 "
                             "(without an offset: config.yml's timezone)")
    parser.set_defaults(func=_chat)


def _iso(value: str) -> datetime:
    """An ISO 8601 date-time for ``--now``; argparse turns the error into a usage message."""
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {value!r}") from exc


def _default_user() -> str:
    try:
        return f"terminal-{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "terminal"


def _chat(args: argparse.Namespace) -> int:
    from bot.app import open_database
    from bot.channels.terminal import TerminalChat, run_interactive, run_json
    from bot.engine import Engine
    from bot.privacy import install_log_masking
    from dialogs.texts import say

    # Keep stdout for the conversation; warnings and errors go to stderr, phone numbers masked
    # (a failed turn logs a traceback, and exception messages may quote what the customer typed).
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    install_log_masking()
    if hasattr(sys.stdin, "reconfigure"):  # a stray invalid byte must not end the session
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")
    db = open_database(args.url)
    try:
        engine = Engine(db)
        if args.now is not None:
            # Every turn of this conversation sees the same moment: offers, bookings and "today"
            # are then reproducible (tests, demos of an urgent call at 14:00 or at 23:00).
            now = args.now if args.now.tzinfo else args.now.replace(tzinfo=engine.tz)
            engine.clock = lambda: now
        chat = TerminalChat(engine, args.user or _default_user())
        if args.json:
            return run_json(chat, sys.stdin, sys.stdout)
        return run_interactive(chat, sys.stdin, sys.stdout, say("greet"), prompt=sys.stdin.isatty())
    except KeyboardInterrupt:
        return 130
    finally:
        db.dispose()
