"""Intent: a naive Bayes classifier trained on the intent examples of ``nlu/data``.

Rules only where the classifier cannot know the answer: a message that names a fault or a product
is a fault report even when it also greets or thanks ("你好，保险柜打不开了"); a message the model
barely recognises (few known n-grams, low posterior) is out_of_scope rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from nlu.classifier import NaiveBayes
from nlu.training_data import TrainingData, training_data
from nlu.types import FAULTS, INTENTS

# Intents that carry no request of their own: a fault or product in the same message outranks them.
SOCIAL = frozenset({"greet", "thanks", "affirm", "deny", "goodbye", "out_of_scope"})
MIN_KNOWN = 0.35  # share of known n-grams below which the model is guessing
MIN_PROBABILITY = 0.45
FAULT_PHRASE = "_fault_phrase"
# Intents the n-gram model confuses with a fault report when the message names a fault: each needs a
# word of its own (nlu/data/boundaries.yml) to stand against the fault.
CUE_LOOKUPS = {
    "ask_price": "price_cue", "ask_progress": "progress_cue", "reschedule": "reschedule_cue",
    "complaint": "complaint_cue", "cancel": "cancel_cue", "ask_human": "ask_human_cue",
}  # training label of bare fault phrases, reported as report_fault


@dataclass(frozen=True, slots=True)
class IntentGuess:
    """The classifier's reading before slot-based adjustments.

    ``recognised`` is false when the model barely knows the text and out_of_scope is its fallback
    rather than its reading (then a slot in the message says more than the model does).
    """

    intent: str
    confidence: float
    recognised: bool = True


class IntentClassifier:
    """Classifies normalized text into one of :data:`nlu.types.INTENTS`."""

    def __init__(self, data: TrainingData) -> None:
        samples = [(e.text, e.intent) for e in data.examples if e.intent in INTENTS]
        # A fault phrase said on its own ("面板裂了", "人脸识别失败") is a fault report: the lexicon
        # knows far more of them than the intent examples spell out.
        # They form a class of their own, read as report_fault: mixed into report_fault they would
        # dilute the n-grams of real requests ("派人来修") in that class's counts.
        samples.extend((phrase, FAULT_PHRASE) for phrase in data.synonyms_for(FAULTS))
        self._model = NaiveBayes(alpha=0.3).fit(samples)
        self._cues = {
            intent: tuple(w.lower() for w in data.lookups.get(lookup, ()))
            for intent, lookup in CUE_LOOKUPS.items()
        }
        # "Has the text any of these words?" in one search per intent (an intent without cues has none).
        self._cue_patterns = {
            intent: re.compile("|".join(map(re.escape, cues))) for intent, cues in self._cues.items() if cues
        }

    def cued(self, text: str) -> frozenset[str]:
        """The cue-guarded intents whose cue words the text has (``*_cue`` lookups of nlu/data)."""
        return frozenset(intent for intent, pattern in self._cue_patterns.items() if pattern.search(text))

    def classify(self, text: str) -> IntentGuess:
        """The most likely intent, or out_of_scope when the model does not recognise the text."""
        guess, known = self._model.read(text)
        if guess is None:
            return IntentGuess("out_of_scope", 0.0, recognised=False)
        if known < MIN_KNOWN or guess.probability < MIN_PROBABILITY:
            return IntentGuess("out_of_scope", round(1.0 - guess.probability, 3), recognised=False)
        label = "report_fault" if guess.label == FAULT_PHRASE else guess.label
        return IntentGuess(label, round(guess.probability, 3))


def adjust(
    intent: str,
    *,
    fault: str | None,
    product: str | None,
    other_slots: bool,
    recognised: bool = True,
    cued: frozenset[str] | None = None,
    place: bool = False,
) -> str:
    """Apply the slot rules.

    - a named fault turns a social message (greeting, thanks, yes/no …) into a fault report;
    - so does a named product, except for a message the model confidently reads as out of scope
      ("你们卖不卖保险柜" is a sales question, not a repair);
    - an unrecognised message carrying a slot (place, phone, brand, time) is an answer within the
      report ("温县", "13812345678");
    - a price, progress, reschedule, complaint, cancel or ask-human reading of a message that names a
      fault or a product, without a word of that intent (``cued``), is a fault report
      ("新房要装一把智能锁", "门锁怎么恢复初始状态");
    - a product said with its place is part of a report, not a sales question ("保险柜放在番禺区的店里").
    """
    if (fault or product) and intent in CUE_LOOKUPS and cued is not None and intent not in cued:
        return "report_fault"
    if intent == "out_of_scope" and product and place:
        return "report_fault"  # 保险柜在广州番禺区的店里: where the device is, inside a report
    if intent in SOCIAL and fault:
        return "report_fault"
    if intent in SOCIAL and product and (intent != "out_of_scope" or not recognised):
        return "report_fault"
    if intent == "out_of_scope" and other_slots and not recognised:
        return "report_fault"
    return intent


@cache
def default_classifier() -> IntentClassifier:
    """The classifier trained from the packaged training data (built once)."""
    return IntentClassifier(training_data())
