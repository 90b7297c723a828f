"""``repairbot chat``: talk to the bot in a terminal, or script it with JSON lines (``--json``)."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``chat`` command."""
    parser = subparsers.add_parser(
        "chat", help="chat with the bot in this terminal (same engine and database as the web chat)")
    parser.add_argument("--user", help="chat id (default: terminal-<login name>); same id = same conversation")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per input line, shaped like POST /api/chat's answer")
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    parser.set_defaults(func=_chat)


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
        chat = TerminalChat(Engine(db), args.user or _default_user())
        if args.json:
            return run_json(chat, sys.stdin, sys.stdout)
        return run_interactive(chat, sys.stdin, sys.stdout, say("greet"), prompt=sys.stdin.isatty())
    except KeyboardInterrupt:
        return 130
    finally:
        db.dispose()
