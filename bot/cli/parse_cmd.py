"""``repairbot parse``: print what the NLU understands, one JSON object per message (the contract).

    repairbot parse "丹斯提尼保险柜打不开了，焦作温县"
    repairbot parse --jsonl messages.jsonl          # {"text": ...} per line; "-" reads stdin
    repairbot parse --now 2026-11-23T10:00:00+08:00 --expecting phone "13812345678"

A bad input line (invalid JSON, no "text") yields ``{"line": N, "error": "..."}`` in its place, so
output lines stay aligned with input lines; nothing crashes the run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any

from nlu.types import EXPECTING, Parse

# A single JSONL line longer than this is not a chat message; it is reported, not parsed.
MAX_LINE_CHARS = 1_000_000


def register(subparsers: Any) -> None:
    """Add the ``parse`` sub-command."""
    parser = subparsers.add_parser("parse", help="print the NLU reading of a message as JSON")
    parser.add_argument("text", nargs="?", help="the message (omit with --jsonl)")
    parser.add_argument("--jsonl", metavar="FILE", help='read {"text": ...} lines from FILE ("-" for stdin)')
    parser.add_argument("--now", metavar="ISO8601", type=_iso, help="fix 'now' for time expressions")
    parser.add_argument("--expecting", choices=EXPECTING, help="the slot the bot just asked for")
    parser.set_defaults(func=run)


def _iso(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {value!r}") from exc


def _dump(obj: dict[str, Any], out: IO[str]) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _parse_line(line: str, number: int, args: argparse.Namespace, parse: Callable[..., Parse]) -> dict[str, Any]:
    if len(line) > MAX_LINE_CHARS:
        return {"line": number, "error": f"line longer than {MAX_LINE_CHARS} characters"}
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"line": number, "error": f"invalid JSON: {exc.msg}"}
    if isinstance(record, str):
        record = {"text": record}
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return {"line": number, "error": 'expected an object with a string "text"'}
    expecting = record.get("expecting", args.expecting)
    now = args.now
    if isinstance(record.get("now"), str):
        try:
            now = _iso(record["now"])
        except argparse.ArgumentTypeError as exc:
            return {"line": number, "error": str(exc)}
    return parse(record["text"], expecting=expecting if expecting in EXPECTING else None, now=now).to_json()


def run(args: argparse.Namespace) -> int:
    """Entry point of ``repairbot parse``; returns the exit code."""
    import os

    from bot.config import load_config
    from nlu import NluSettings, build_engine

    engine = build_engine(NluSettings.from_config(load_config(), os.environ))
    if engine.rasa is not None:
        # A one-shot command cannot wait for the background poller: ask /status once (bounded by
        # the backend timeout) so a running server is used from the first message.
        engine.rasa.check_status()
    out = sys.stdout
    if args.jsonl:
        stream = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8", errors="replace")  # noqa: SIM115
        try:
            for number, raw in enumerate(stream, start=1):
                line = raw.strip()
                if not line:
                    continue
                try:
                    result = _parse_line(line, number, args, engine.parse)
                except Exception as exc:  # one bad message must not lose the rest of the file
                    result = {"line": number, "error": f"{type(exc).__name__}: {exc}"}
                _dump(result, out)
                out.flush()
        finally:
            if stream is not sys.stdin:
                stream.close()
        return 0
    if args.text is None:
        print("repairbot parse: give TEXT or --jsonl FILE", file=sys.stderr)
        return 2
    _dump(engine.parse(args.text, expecting=args.expecting, now=args.now).to_json(), out)
    return 0
