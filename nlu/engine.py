"""The parse pipeline: every extractor over one normalized text, then the intent rules.

Built once per process (:func:`default_engine`); each extractor trains or compiles its data at
construction, so the first parse pays a few tens of milliseconds and later ones a fraction of one.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from functools import cache
from typing import Any

from bot.config import load_config
from nlu import intents
from nlu.brands import BrandMatcher, default_matcher
from nlu.faults import FaultReader, default_reader
from nlu.intents import IntentClassifier, default_classifier
from nlu.normalize import compact, normalize
from nlu.phones import read_phone
from nlu.places import read_place
from nlu.products import bare_lock, find_product
from nlu.rasa_backend import RasaBackend
from nlu.types import EXPECTING, Parse
from nlu.when import read_when

log = logging.getLogger(__name__)

# Bare answers to "which product?" that name no product word.
_PRODUCT_HINTS = (("柜", "safe"), ("箱", "safe"), ("锁", "lock"))


class Engine:
    """Understands one message at a time; safe to share between threads (no mutable state)."""

    def __init__(
        self,
        *,
        brands: BrandMatcher,
        faults: FaultReader,
        classifier: IntentClassifier,
        rasa: RasaBackend | None = None,
    ) -> None:
        self.brands = brands
        self.faults = faults
        self.classifier = classifier
        self.rasa = rasa

    def parse(self, text: str, *, expecting: str | None = None, now: datetime | None = None) -> Parse:
        """Understand ``text``; ``expecting`` is the slot the bot just asked for (see EXPECTING)."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if expecting not in EXPECTING:
            expecting = None
        norm = normalize(text)

        hit = self.brands.find(norm)
        brand = hit.brand if hit else None
        product = find_product(norm)
        if product is None and brand is not None:
            product = brand.only_product  # 丹斯提尼 makes only safes: "丹斯提尼打不开" is a safe
        if product is None and bare_lock(norm):
            product = "lock"
        if product is None and expecting == "product":
            product = next((code for hint, code in _PRODUCT_HINTS if hint in norm), None)

        place, candidates = read_place(norm, expecting=expecting in ("place", "town"))
        phone = read_phone(norm, expecting=expecting == "phone")
        when = read_when(norm, now)

        reading = self.rasa.classify(norm) if self.rasa is not None and norm else None
        if reading is not None:
            intent, confidence, recognised = reading.intent, reading.confidence, True
            rasa_fault = self.faults.most_specific(set(reading.faults)) if reading.faults else None
        else:
            guess = self.classifier.classify(norm)
            intent, confidence, recognised = guess.intent, guess.confidence, guess.recognised
            rasa_fault = None
        may_guess = expecting == "fault" or intent not in intents.NO_FAULT_GUESS
        fault = rasa_fault or self.faults.read(norm, expecting=expecting == "fault", guess=may_guess)

        other_slots = bool(
            brand or place or candidates or phone.phone or when or (phone.invalid and expecting == "phone")
        )
        intent = intents.adjust(
            intent, fault=fault, product=product, other_slots=other_slots, recognised=recognised
        )
        if (
            fault is None
            and expecting == "fault"
            and intent in ("report_fault", "out_of_scope")
            and len(compact(norm)) >= 2
            and not (place or candidates or phone.phone)
        ):
            # The bot asked what is wrong and the answer names no known fault: record it as "other"
            # (the text itself goes to the ticket) instead of asking the same question again.
            fault, intent = "other", "report_fault"

        return Parse(
            text=text,
            intent=intent,
            intent_confidence=confidence,
            brand=brand.name if brand else None,
            brand_supported=brand.supported if brand else None,
            product=product,
            fault=fault,
            place=place,
            place_candidates=candidates,
            phone=phone.phone,
            phone_invalid=phone.invalid and phone.phone is None,
            when=when,
        )


def backend_settings(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``nlu`` section with environment overrides applied (REPAIRBOT_NLU_BACKEND, REPAIRBOT_RASA_URL)."""
    section = dict((config or load_config()).get("nlu") or {})
    section["backend"] = os.environ.get("REPAIRBOT_NLU_BACKEND") or section.get("backend") or "default"
    section["rasa_url"] = os.environ.get("REPAIRBOT_RASA_URL") or section.get("rasa_url") or "http://127.0.0.1:5005"
    section["rasa_timeout_s"] = float(section.get("rasa_timeout_s") or 0.8)
    return section


def build_rasa_backend(settings: dict[str, Any]) -> RasaBackend | None:
    """A started Rasa client when the configured backend is ``rasa``, else ``None``."""
    if str(settings.get("backend")).lower() != "rasa":
        return None
    backend = RasaBackend(
        str(settings["rasa_url"]),
        timeout=float(settings["rasa_timeout_s"]),
        token=os.environ.get("RASA_TOKEN") or None,
    )
    backend.start()
    return backend


@cache
def default_engine() -> Engine:
    """The process-wide engine, built from config.yml and nlu/data at first use."""
    return Engine(
        brands=default_matcher(),
        faults=default_reader(),
        classifier=default_classifier(),
        rasa=build_rasa_backend(backend_settings()),
    )
