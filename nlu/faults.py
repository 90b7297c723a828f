"""Fault code from text: fault phrases from the training data first, a trained classifier second.

The phrase lexicon is the ``synonym`` items of ``nlu/data`` whose value is a fault code, plus the
``regex`` items named ``fault_<code>`` (for phrases with a gap: 密码好像忘了). When several faults are
named, the most specific cause wins (:data:`PRIORITY`): "没电了打不开" is no_power, "反锁了打不开" is
mechanical, "输错密码被锁了" is locked_out. A phrase inside a longer phrase of the lexicon does not
count on its own (打不开 inside 指纹打不开). A phrase the customer denies does not count either
("倒不是忘了密码，是屏幕不亮" is no_power; "钥匙没丢，锁芯卡住了" is mechanical): the ``deny_*`` regexes
of ``nlu/data/negation.yml`` look right before, inside and right after each phrase, within its clause.

When no phrase matches, a naive Bayes classifier trained on the annotated fault examples (and, as
a "no fault" class, the other intents' examples) may still name a fault if it is confident.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import ahocorasick

from nlu.classifier import NaiveBayes
from nlu.normalize import compact
from nlu.prefilter import Gates, gate, guarded
from nlu.training_data import TrainingData, training_data
from nlu.types import FAULTS

# Most specific cause first; cannot_open is the symptom most causes share, "other" the vaguest.
PRIORITY: tuple[str, ...] = (
    "locked_out", "forgot_password", "lost_key", "panel_damage", "no_power", "fingerprint_fail",
    "alarm", "mechanical", "reset", "install", "cannot_open", "other",
)
NO_FAULT = "_none"
# Posterior the classifier needs before its guess is reported (no phrase matched at all).
CLASSIFIER_THRESHOLD = 0.9
# How far before a phrase a denial may stand (不是因为…, 倒不是…), within the clause.
DENIAL_WINDOW = 6
_CLAUSE = re.compile(r"[，,。；;！!？?]")
# Every deny_* pattern of negation.yml contains one of these characters (checked by a test).
NEGATION_CHARACTERS = "不没未非以排像问好常事"
_NEGATION_CHARS = re.compile(f"[{NEGATION_CHARACTERS}]")
# A guess needs evidence: this many characters left once slots are removed, this share of their
# n-grams seen in training. Below that the classifier would be reading its own prior.
MIN_EVIDENCE_CHARS = 2
MIN_EVIDENCE_KNOWN = 0.5


@dataclass(frozen=True, slots=True)
class FaultHit:
    """A fault phrase found in text."""

    code: str
    start: int
    end: int


class FaultReader:
    """Reads fault codes out of normalized text."""

    def __init__(self, data: TrainingData) -> None:
        self._automaton = ahocorasick.Automaton()
        for phrase, code in data.synonyms_for(FAULTS).items():
            self._automaton.add_word(phrase, (len(phrase), code))
        if len(self._automaton):
            self._automaton.make_automaton()
        # One alternation per fault code: a message is read by a dozen regexes, not by fifty.
        grouped: dict[str, list[str]] = {}
        for name, patterns in data.regexes.items():
            code = name.removeprefix("fault_")
            if name.startswith("fault_") and code in FAULTS:
                grouped.setdefault(code, []).extend(patterns)
        self._patterns: list[tuple[re.Pattern[str], str]] = [
            (guarded("|".join(f"(?:{p})" for p in patterns)), code) for code, patterns in grouped.items()
        ]
        # Most messages can match only a few of them: the characters they need decide which to run.
        self._gates = Gates([gate(grouped[code]) for _pattern, code in self._patterns])
        self._rank = {code: i for i, code in enumerate(PRIORITY)}
        self._deny = {
            name: guarded("|".join(f"(?:{p})" for p in data.regexes.get(name, ())) or r"(?!x)x")
            for name in ("deny_before", "deny_inside", "deny_after")
        }
        self._classifier = NaiveBayes(alpha=0.5).fit(self._samples(data))

    def _samples(self, data: TrainingData) -> list[tuple[str, str]]:
        samples: list[tuple[str, str]] = []
        for example in data.examples:
            codes = [e.value for e in example.entities if e.entity == "fault" and e.value in FAULTS]
            if codes:
                samples.append((example.text, self.most_specific(codes)))
            elif example.intent != "report_fault":
                samples.append((example.text, NO_FAULT))
        samples.extend((phrase, code) for phrase, code in data.synonyms_for(FAULTS).items())
        return samples

    def most_specific(self, codes: list[str] | set[str]) -> str:
        """The code that wins when several faults are named."""
        return min(codes, key=lambda c: self._rank.get(c, len(self._rank)))

    def hits(self, text: str) -> list[FaultHit]:
        """Lexicon and pattern matches the customer asserts (nested and denied phrases left out)."""
        return self._asserted(text, self._all_hits(text))

    def _asserted(self, text: str, hits: list[FaultHit]) -> list[FaultHit]:
        if not hits or not _NEGATION_CHARS.search(text):
            return hits  # a denial needs a negation character near the phrase, hence in the text
        denied = [h for h in hits if self._denied(text, h)]
        if not denied:
            return hits
        # Overlapping phrases read the same words (被锁定 / 锁定了): denying one denies the other.
        return [
            h for h in hits
            if not any(d.start < h.end and h.start < d.end for d in denied)
        ]

    def _denied(self, text: str, hit: FaultHit) -> bool:
        window = text[max(0, hit.start - DENIAL_WINDOW) : hit.end + DENIAL_WINDOW]
        if not _NEGATION_CHARS.search(window):
            return False  # most phrases stand with no negation near them: skip the three regexes
        before = text[max(0, hit.start - DENIAL_WINDOW) : hit.start]
        clause = _CLAUSE.split(before)[-1]
        after = text[hit.end : hit.end + DENIAL_WINDOW]
        return bool(
            self._deny["deny_before"].search(clause)
            or self._deny["deny_inside"].search(text, hit.start, hit.end)
            or self._deny["deny_after"].search(after)
        )

    def phrase_starts(self, text: str) -> list[int]:
        """Where lexicon phrases begin (no patterns, no denial): cheap boundaries for the address."""
        if not len(self._automaton):
            return []
        return [end - length + 1 for end, (length, _code) in self._automaton.iter(text)]

    def _all_hits(self, text: str) -> list[FaultHit]:
        found: list[FaultHit] = []
        if len(self._automaton):
            for end_index, (length, code) in self._automaton.iter(text):
                found.append(FaultHit(code, end_index - length + 1, end_index + 1))
        for (pattern, code), may_match in zip(self._patterns, self._gates.open(text), strict=True):
            if may_match:
                found.extend(FaultHit(code, m.start(), m.end()) for m in pattern.finditer(text))
        if len(found) < 2:
            return found
        # Drop phrases nested in a longer one: sorted by start (longest first), a hit is nested when an
        # earlier one reaches at least as far without being the very same span.
        found.sort(key=lambda h: (h.start, h.start - h.end))
        kept: list[FaultHit] = []
        reach_start, reach_end = -1, -1
        for h in found:
            if not (reach_end >= h.end and (reach_start, reach_end) != (h.start, h.end)):
                kept.append(h)
            if h.end > reach_end:
                reach_start, reach_end = h.start, h.end
        return kept

    def read(
        self,
        text: str,
        *,
        expecting: bool = False,
        guess: bool = True,
        evidence: str | Callable[[], str] | None = None,
    ) -> str | None:
        """The fault named in ``text``; ``expecting`` lowers the bar for a bare answer; ``guess=False``
        reports only faults named by a phrase (no classifier guess).

        ``evidence`` is what a classifier guess may read (the text without places, phones, brands and
        product words, see :mod:`nlu.evidence`); when it is too short or mostly unknown n-grams there
        is nothing to guess from and the answer is ``None``. It may be given as a function, called only
        when a guess is to be made (most messages name a phrase or may not be guessed at).
        """
        every = self._all_hits(text)
        hits = self._asserted(text, every)
        if hits:
            return self.most_specific({h.code for h in hits})
        if not guess or every:
            # Only denied phrases ("不是没电"): the classifier would read the denied words as the fault.
            return None
        evidence = text if evidence is None else evidence() if callable(evidence) else evidence
        if len(compact(evidence)) < MIN_EVIDENCE_CHARS:
            return None
        prediction, known = self._classifier.read(evidence)
        if known < MIN_EVIDENCE_KNOWN:
            return None
        threshold = CLASSIFIER_THRESHOLD * (0.7 if expecting else 1.0)
        if prediction and prediction.label != NO_FAULT and prediction.probability >= threshold:
            return prediction.label
        return None


@cache
def default_reader() -> FaultReader:
    """The reader trained from the packaged training data (built once)."""
    return FaultReader(training_data())
