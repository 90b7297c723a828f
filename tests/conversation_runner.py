"""Play scripted multi-turn conversations (tests/data/conversations_*.yml) through the real NLU, engine
and a SQLite database, and check each turn's expectations (format at the top of the YAML files).

    .venv/bin/python tests/conversation_runner.py tests/data/conversations_fresh_dev.yml [-v] [--only ID]

Each conversation gets its own database, copied from one migrated template (with the technicians
loaded), so bookings of one conversation never change the windows another sees.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_helpers import ChatUser, Clock, make_engine  # noqa: E402

from bot.store.db import Database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUESTION_LIMIT = 3  # a question shown this many times is a failure (the bot must hand over before)


@dataclass
class Result:
    """One conversation's outcome: its failures (empty when it passed) and the transcript."""

    id: str
    family: str
    failures: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


@cache
def _adcodes() -> dict[str, str]:
    """Full division names ("福建省厦门市思明区", "上海市青浦区", "湖北省天门市") → adcode."""
    out: dict[str, str] = {}
    with open(ROOT / "regions" / "data" / "divisions.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["level"] not in ("county", "prefecture"):
                continue
            prefecture = row["prefecture"] if row["prefecture"] != row["province"] else ""
            name = row["name"] if row["level"] == "county" else ""
            out.setdefault(row["province"] + prefecture + name, row["adcode"])
    return out


def adcode_of(full_name: str) -> str:
    """The adcode a labelled place name stands for (a KeyError names a typo in the set)."""
    return _adcodes()[full_name]


def load_set(path: Path) -> list[dict[str, Any]]:
    """The conversations of a set, each with the set's defaults filled in."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    defaults = data.get("defaults") or {}
    return [{**defaults, **conv} for conv in data["conversations"]]


def _check(where: str, expect: dict[str, Any], chat: ChatUser, failures: list[str]) -> None:
    text = "\n".join([chat.text(), *(b["label"] for b in chat.buttons())])  # what the customer sees
    ticket = chat.ticket or {}
    for phrase in expect.get("contains", []):
        if str(phrase) not in text:
            failures.append(f"{where}: reply lacks {phrase!r}")
    if expect.get("any_of") and not any(str(p) in text for p in expect["any_of"]):
        failures.append(f"{where}: reply has none of {expect['any_of']}")
    for phrase in expect.get("not_contains", []):
        if str(phrase) in text:
            failures.append(f"{where}: reply has {phrase!r}")
    if "status" in expect and ticket.get("status") != expect["status"]:
        failures.append(f"{where}: status {ticket.get('status')!r}, expected {expect['status']!r}")
    if "buttons" in expect and len(chat.buttons()) < int(expect["buttons"]):
        failures.append(f"{where}: {len(chat.buttons())} buttons, expected at least {expect['buttons']}")
    if expect.get("no_buttons") and chat.buttons():
        failures.append(f"{where}: buttons shown")
    if "slot_prefix" in expect:
        start = ((ticket.get("slot") or {}).get("start")) or ""
        if not start.startswith(str(expect["slot_prefix"])):
            failures.append(f"{where}: slot {start!r}, expected {expect['slot_prefix']}…")
    for key, want in (expect.get("ticket") or {}).items():
        got = ticket.get("adcode" if key == "place" else key)
        wanted = [adcode_of(w) if key == "place" else w for w in (want if isinstance(want, list) else [want])]
        if got not in wanted:
            failures.append(f"{where}: ticket {key} {got!r}, expected {want!r}")


def _questions(text: str) -> list[str]:
    """The questions in a reply (sentences ending in ？), for the "never a third time" rule."""
    return [q.strip() for q in re.findall(r"[^。！？\n]*？", text) if q.strip()]


def play(conv: dict[str, Any], db: Database) -> Result:
    """Play one conversation on ``db`` and check it."""
    now = datetime.fromisoformat(str(conv["now"]))
    chat = ChatUser(make_engine(db, Clock(now)), user=f"fresh-{conv['id']}")
    result = Result(conv["id"], conv.get("family", "-"))
    asked: Counter[str] = Counter()
    for n, turn in enumerate(conv["turns"], 1):
        where = f"turn {n}"
        try:
            if "press" in turn or "press_label" in turn:
                buttons = chat.buttons() if chat.last else []
                index = int(turn["press"]) - 1 if "press" in turn else next(
                    (i for i, b in enumerate(buttons) if str(turn["press_label"]) in b["label"]), -1)
                if not 0 <= index < len(buttons):
                    result.failures.append(f"{where}: no button {turn.get('press', turn.get('press_label'))!r}")
                    break
                said = buttons[index]["value"]
                result.transcript.append(f"  > [press {buttons[index]['label']}]")
            else:
                said = str(turn["say"])
                result.transcript.append(f"  > {said}")
            chat.say(said)
        except Exception as exc:  # a crash fails the conversation, not the whole run
            result.failures.append(f"{where}: {type(exc).__name__}: {exc}")
            break
        reply = chat.text()
        labels = [b["label"] for b in chat.buttons()]
        status = (chat.ticket or {}).get("status")
        result.transcript.append("    " + reply.replace("\n", "\n    ") + (f"\n    {labels}" if labels else "")
                                 + f"  [{status}]")
        asked.update(_questions(reply))
        _check(where, turn.get("expect") or {}, chat, result.failures)
    if chat.last is not None and not any(": no button" in f or "Error" in f for f in result.failures):
        _check("end", conv.get("end") or {}, chat, result.failures)
    for question, times in asked.items():
        if times >= QUESTION_LIMIT:
            result.failures.append(f"asked {times} times: {question}")
    return result


class Template:
    """A migrated SQLite database with the technicians loaded, copied for each conversation."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.path = workdir / "template.sqlite3"
        db = Database(f"sqlite:///{self.path}")
        db.upgrade()
        make_engine(db)  # loads the technicians
        db.dispose()
        self._n = 0

    def fresh(self) -> Database:
        self._n += 1
        copy = self.workdir / f"conv{self._n}.sqlite3"
        shutil.copyfile(self.path, copy)
        return Database(f"sqlite:///{copy}")


def run_set(path: Path, workdir: Path | None = None, only: str | None = None) -> list[Result]:
    """Play every conversation of a set, each on its own copy of a fresh database."""
    with tempfile.TemporaryDirectory() as tmp:
        template = Template(workdir or Path(tmp))
        results = []
        for conv in load_set(path):
            if only and conv["id"] != only:
                continue
            db = template.fresh()
            try:
                results.append(play(conv, db))
            finally:
                db.dispose()
        return results


def report(results: list[Result], verbose: bool = False) -> str:
    """A readable report: pass rate, per family, and the failures (with transcripts when verbose)."""
    passed = sum(r.ok for r in results)
    lines = [f"conversations passed: {passed}/{len(results)} = {passed / max(len(results), 1):.3f}"]
    for r in results:
        if r.ok and not verbose:
            continue
        lines.append(f"{'PASS' if r.ok else 'FAIL'} {r.id} [{r.family}]")
        lines += [f"  - {f}" for f in r.failures]
        if verbose:
            lines += r.transcript
    return "\n".join(lines)


def pass_rate(results: list[Result]) -> float:
    """Share of conversations that met every expectation."""
    return sum(r.ok for r in results) / max(len(results), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every transcript")
    ap.add_argument("--only", help="play only this conversation id")
    args = ap.parse_args()
    import os

    os.environ.setdefault("REPAIRBOT_DATA", tempfile.mkdtemp(prefix="repairbot-runner-"))
    print(report(run_set(Path(args.path), only=args.only), verbose=args.verbose))


if __name__ == "__main__":
    main()
