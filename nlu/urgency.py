"""Urgency and danger in a message: ``Parse.urgent`` and ``Parse.safety``.

The patterns are data (``nlu/data/urgency.yml``, Rasa ``regex`` items):

- ``urgent_shut_out``: the customer cannot get in (进不了家, 人在门外, 关在外面, 锁里面了);
- a person shut in (``safety = "person_shut_in"``): a person word (孩子, 老人, 我妈, 人 …) with a strong
  shut-in phrase (出不来, 反锁在房间, 困在车里), or with a weaker one (打不开, 反锁, 叫不应) said
  together with being inside (在里面, 在屋里, 在车里). "家里有老人，直接过去" names a person at home,
  not a person stuck;
- ``fire``: smoke, burning smell, fire (``safety = "fire"``);
- ``urgent_now``: asked for right now (急, 马上, 现在就要, 越快越好), unless ``not_urgent`` says it can
  wait (不急, 不着急, 慢慢来). 急 inside 急诊, 应急 or 性急 is not a request.

A lockout or danger is urgent whatever else is said; a plain "急" is cancelled by "不急".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import compress

from nlu.prefilter import Gates, gate, guarded
from nlu.training_data import TrainingData, training_data

PERSON_SHUT_IN = "person_shut_in"
FIRE = "fire"


@dataclass(frozen=True, slots=True)
class Urgency:
    """``urgent`` for the parse JSON and ``safety`` (one of ``nlu.types.SAFETY`` or ``None``)."""

    urgent: bool = False
    safety: str | None = None


class UrgencyReader:
    """Compiled urgency patterns of the training data.

    Each pattern list is read as the alternation of its items (every question here is "does the text
    say any of them?"), and an item runs only when the text has the characters it needs
    (:mod:`nlu.prefilter`): most messages are settled without running a single regex.
    """

    # The lists any urgent message matches one of, first (see ``read``).
    _ANYTHING = ("urgent_shut_out", "shut_in_strong", "shut_in_weak", "fire", "urgent_now")
    _OTHERS = ("shut_in_person", "shut_in_inside", "not_urgent")

    def __init__(self, data: TrainingData) -> None:
        self._items: list[re.Pattern[str]] = []
        self._span: dict[str, tuple[int, int]] = {}
        for name in (*self._ANYTHING, *self._OTHERS):
            items = data.regexes.get(name)
            if not items:
                raise ValueError(f"nlu/data: regex {name!r} is missing")
            start = len(self._items)
            self._items.extend(re.compile(p) for p in items)
            self._span[name] = (start, len(self._items))
        self._name_of = [name for name, (start, end) in self._span.items() for _ in range(start, end)]
        self._gates = Gates([gate([p]) for p in self._items], then=self._open_items)
        # Searched with a lookahead on their first characters (the gates read the patterns as written).
        self._items = [guarded(p) for p in self._items]

    def _open_items(self, opened: tuple[bool, ...]) -> tuple[tuple[re.Pattern[str], ...], dict[str, tuple[re.Pattern[str], ...]]]:
        """The open items of the lists any urgent message matches (in list order), and per list the items
        that may match (kept per answer)."""
        items: dict[str, tuple[re.Pattern[str], ...]] = dict.fromkeys(self._span, ())
        name_of, all_items = self._name_of, self._items
        for i in compress(range(len(opened)), opened):  # the open items, picked in C
            items[name_of[i]] += (all_items[i],)
        return tuple(item for name in self._ANYTHING for item in items[name]), items

    @staticmethod
    def _says(name: str, text: str, items: dict[str, tuple[re.Pattern[str], ...]]) -> bool:
        """Whether ``text`` matches one of the items of ``name`` that may match."""
        return any(item.search(text) for item in items[name])

    def relaxed(self, text: str) -> bool:
        """Whether the text says it can wait (不急, 慢慢来, no rush)."""
        return self._says("not_urgent", text, self._gates.open(text)[1])

    def read(self, text: str, *, product: str | None = None) -> Urgency:
        """Urgency of normalized text; ``product`` is the product read from it (a safe shuts nobody in)."""
        anything, opened = self._gates.open(text)
        if not any(item.search(text) for item in anything):  # one pass over the lists of _ANYTHING
            return Urgency(False, None)
        safety = None
        if self._says("fire", text, opened):
            safety = FIRE
        elif product != "safe" and self._says("shut_in_person", text, opened) and (
            self._says("shut_in_strong", text, opened)
            or (self._says("shut_in_weak", text, opened) and self._says("shut_in_inside", text, opened))
        ):
            safety = PERSON_SHUT_IN
        if safety or self._says("urgent_shut_out", text, opened):
            return Urgency(True, safety)
        # "不急" contains 急 and "不用马上来" contains 马上: saying it can wait outweighs both.
        return Urgency(self._says("urgent_now", text, opened) and not self._says("not_urgent", text, opened), None)


@cache
def default_urgency() -> UrgencyReader:
    """The reader compiled from the packaged training data (built once)."""
    return UrgencyReader(training_data())
