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

from nlu.prefilter import Gates, gate
from nlu.training_data import TrainingData, training_data

PERSON_SHUT_IN = "person_shut_in"
FIRE = "fire"


@dataclass(frozen=True, slots=True)
class Urgency:
    """``urgent`` for the parse JSON and ``safety`` (one of ``nlu.types.SAFETY`` or ``None``)."""

    urgent: bool = False
    safety: str | None = None


class UrgencyReader:
    """Compiled urgency patterns of the training data."""

    def __init__(self, data: TrainingData) -> None:
        def pattern(name: str) -> re.Pattern[str]:
            items = data.regexes.get(name)
            if not items:
                raise ValueError(f"nlu/data: regex {name!r} is missing")
            return re.compile("|".join(f"(?:{p})" for p in items))

        self._shut_out = pattern("urgent_shut_out")
        self._person = pattern("shut_in_person")
        self._strong = pattern("shut_in_strong")
        self._weak = pattern("shut_in_weak")
        self._inside = pattern("shut_in_inside")
        self._fire = pattern("fire")
        self._now = pattern("urgent_now")
        self._relaxed = pattern("not_urgent")
        # Most messages carry none of it: one search decides that, and the characters those patterns
        # need decide most of the time without it (see nlu.prefilter).
        self._anything = re.compile(
            "|".join(p.pattern for p in (self._shut_out, self._strong, self._weak, self._fire, self._now))
        )
        anything = ("urgent_shut_out", "shut_in_strong", "shut_in_weak", "fire", "urgent_now")
        self._gates = Gates([gate(p for name in anything for p in data.regexes[name])])

    def relaxed(self, text: str) -> bool:
        """Whether the text says it can wait (不急, 慢慢来, no rush)."""
        return bool(self._relaxed.search(text))

    def read(self, text: str, *, product: str | None = None) -> Urgency:
        """Urgency of normalized text; ``product`` is the product read from it (a safe shuts nobody in)."""
        if not self._gates.open(text)[0] or not self._anything.search(text):
            return Urgency(False, None)
        safety = None
        if self._fire.search(text):
            safety = FIRE
        elif product != "safe" and self._person.search(text) and (
            self._strong.search(text) or (self._weak.search(text) and self._inside.search(text))
        ):
            safety = PERSON_SHUT_IN
        if safety or self._shut_out.search(text):
            return Urgency(True, safety)
        # "不急" contains 急 and "不用马上来" contains 马上: saying it can wait outweighs both.
        return Urgency(bool(self._now.search(text)) and not self._relaxed.search(text), None)


@cache
def default_urgency() -> UrgencyReader:
    """The reader compiled from the packaged training data (built once)."""
    return UrgencyReader(training_data())
