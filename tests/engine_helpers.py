"""Helpers for end-to-end tests: a real Engine on a real database with the real NLU and a fixed clock."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from bot.config import load_config
from bot.engine import Engine, Outcome
from bot.messages import InboundMessage
from bot.store.db import Database

CST = timezone(timedelta(hours=8))
# A Monday morning: the next working days are ordinary ones (no holiday in the following week).
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=CST)


class Clock:
    """A settable clock for the engine."""

    def __init__(self, now: datetime = MONDAY_10AM) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_engine(db: Database, clock: Clock | None = None) -> Engine:
    """An engine over ``db`` with the demo technicians loaded."""
    from bot.technicians import sync_from_config

    with db.session() as session:
        sync_from_config(session, load_config())
    return Engine(db, clock=clock or Clock())


_ids = itertools.count(1)


class ChatUser:
    """One customer typing into one chat."""

    def __init__(self, engine: Engine, user: str = "u1", channel: str = "web") -> None:
        self.engine = engine
        self.user = user
        self.channel = channel
        self.last: Outcome | None = None

    def say(self, text: str, message_id: str | None = None) -> Outcome:
        msg = InboundMessage(self.channel, self.user, message_id or f"m{next(_ids)}", text)
        self.last = self.engine.process(msg)
        return self.last

    def book(self, first: str, address: str = "建设路12号4栋201") -> Outcome:
        """Tell the whole request, give the street address when asked, and press the first window."""
        self.say(first)
        if not self.buttons():
            self.say(address)
        return self.press(0)

    def press(self, label_part: str | int = 0) -> Outcome:
        """Press a button of the last answer: by index, or the first whose label contains ``label_part``."""
        assert self.last is not None
        buttons = self.buttons()
        if isinstance(label_part, int):
            chosen = buttons[label_part]
        else:
            chosen = next(b for b in buttons if label_part in b["label"])
        return self.say(chosen["value"])

    def buttons(self) -> list[dict[str, str]]:
        assert self.last is not None
        return [b for r in self.last.to_json()["replies"] for b in r["buttons"]]

    def text(self) -> str:
        assert self.last is not None
        return "\n".join(r.text for r in self.last.replies)

    @property
    def ticket(self) -> dict | None:
        assert self.last is not None
        return self.last.ticket
