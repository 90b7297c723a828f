"""One turn in progress: the state being changed, the replies and effects being collected, and buttons.

Buttons are remembered in ``state.choices`` so that pressing one (which sends its ``value`` as the
next message) is understood exactly, without relying on the NLU to read the label back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dialogs.effects import Effect
from dialogs.replies import Button, Reply
from dialogs.services import Services
from dialogs.state import ConversationState
from dialogs.texts import squash
from nlu.types import Parse


@dataclass
class Step:
    """The outcome of one turn: the new state, what to say, and what the engine must change."""

    state: ConversationState
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Choice:
    """A button the customer pressed (or an answer that names one)."""

    kind: str
    value: str
    data: Any = None


class Turn:
    """Mutable working area for one call of ``dialogs.step``."""

    def __init__(self, state: ConversationState, parse: Parse, services: Services, now: datetime) -> None:
        self.before = state
        self.s = state.copy()
        self.parse = parse
        self.services = services
        self.now = now
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self.misunderstood = False
        # The reply asks the same question again because the answer was missing or unusable.
        self.reasked = False
        # The intake was already said back this turn (e.g. the one-line rebook confirmation).
        self.summarised = False
        self.phone_invalid = False
        self._lead: list[str] = []

    # -- speaking ------------------------------------------------------------------------------------
    def lead(self, text: str) -> None:
        """A sentence to put in front of the next reply (same bubble), e.g. "抱歉，我没太明白"."""
        self._lead.append(text)

    def say(self, text: str, buttons: list[tuple[str, str, str, Any]] | None = None) -> None:
        """Add a reply. ``buttons`` are (kind, label, value, data); they replace the remembered choices."""
        if self._lead:
            text = "".join(self._lead) + text
            self._lead.clear()
        shown: list[Button] = []
        if buttons is not None:
            self.s.choices = []
            for kind, label, value, data in buttons:
                shown.append(Button(label=label, value=value))
                self.s.choices.append({"kind": kind, "value": value, "label": label, "data": data})
        self.replies.append(Reply(text=text, buttons=tuple(shown)))

    def ask(self, expecting: str | None, text: str, buttons: list[tuple[str, str, str, Any]] | None = None) -> None:
        """Ask a question: say it and tell the NLU what the next bare answer means."""
        self.say(text, buttons if buttons is not None else [])
        self.s.expecting = expecting

    def drop_lead(self, text: str) -> None:
        """Take back a lead-in not yet said (a fuller sentence replaces it in the same bubble)."""
        self._lead = [t for t in self._lead if t != text]

    def flush_lead(self) -> None:
        """Say any pending lead-in on its own."""
        if self._lead:
            self.say("")

    def effect(self, effect: Effect) -> None:
        self.effects.append(effect)

    def replace_replies(self) -> None:
        """Forget what was going to be said (an escalation supersedes it)."""
        self.replies.clear()
        self._lead.clear()


def match_choice(state: ConversationState, text: str) -> Choice | None:
    """The remembered button that ``text`` names exactly: its value (a press) or its label.

    Picks typed in other words ("第二个", "最早的那个") are read by :func:`dialogs.choices.pick`.
    """
    said = squash(text)
    if not said or not state.choices:
        return None
    for choice in state.choices:
        if said in (squash(choice["value"]), squash(choice.get("label") or "")):
            return Choice(choice["kind"], choice["value"], choice.get("data"))
    # A town typed without its suffix ("虎门" for 虎门镇) still names the button.
    for c in state.choices:
        if c["kind"] == "town":
            core = town_core(c["value"])
            if len(core) >= 2 and (said == squash(core) or said.startswith(squash(c["value"]))):
                return Choice(c["kind"], c["value"], c.get("data"))
    return None


_TOWN_SUFFIXES = ("街道办事处", "街道", "镇", "乡", "地区")


def town_core(name: str) -> str:
    """虎门镇 → 虎门, 南城街道 → 南城: the part people type."""
    for suffix in _TOWN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name
