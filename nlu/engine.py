"""The parse pipeline: every extractor over one normalized text, then the intent rules.

An :class:`Engine` is built from :class:`nlu.settings.NluSettings` (the application's configuration,
passed down; ``nlu`` never reads the config file itself). :func:`build_engine` keeps one engine per
distinct settings value; :func:`default_engine` is the one for the settings the application registered
with :func:`set_default_settings` (the bot registers its loaded config). Each extractor trains or
compiles its data at construction, so the first parse pays a few tens of milliseconds and later ones a
fraction of one.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime
from functools import lru_cache

from nlu import intents
from nlu.address import ADDRESS_CUE, looks_like_street, read_address
from nlu.brands import BrandHit, BrandMatcher
from nlu.defaults import default_settings
from nlu.evidence import fault_text, intent_text, without_slot_cues
from nlu.faults import FaultReader, default_reader
from nlu.gloss import Gloss
from nlu.intents import IntentClassifier, IntentGuess, default_classifier
from nlu.normalize import compact, normalize
from nlu.phones import read_phone
from nlu.places import read_place_span
from nlu.products import bare_lock, find_product, load_product_words, product_word_starts
from nlu.rasa_backend import RasaBackend
from nlu.settings import NluSettings
from nlu.training_data import training_data
from nlu.types import EXPECTING, Parse
from nlu.urgency import UrgencyReader, default_urgency
from nlu.when import TimeReader

log = logging.getLogger(__name__)

# Bare answers to "which product?" that name no product word.
_PRODUCT_HINTS = (("柜", "safe"), ("箱", "safe"), ("锁", "lock"))
# Answers to "which brand?" that name none: the customer does not know, there is no brand to read.
_NO_BRAND = re.compile(r"不知道|不清楚|不晓得|不记得|记不清|忘了|看不到|看不清|没有|没牌|杂牌|无牌|随便|不确定|啥牌")
# Filler around a brand name typed as an answer ("是海尔牌的").
_BRAND_FILLER = re.compile(r"^(?:是|就是|我家|我们家|家里|用的|用的是|牌子是|品牌是)+|(?:牌|品牌|牌子|的|吧|啊|呀)+$")
_LATIN_WORD = re.compile(r"[a-z]{2,}")
_BRAND_WORD = re.compile(r"^[\u4e00-\u9fffa-z][\u4e00-\u9fffa-z\- ]{1,11}$")


def _as_typed(address: str | None, raw: str) -> str | None:
    """The address with the letters as the customer typed them (A座, B栋): it is read from the lower-cased
    text, and a technician looks for "A座", not "a座"."""
    if not address or address == address.upper():
        return address
    folded = unicodedata.normalize("NFKC", raw)
    at = folded.lower().find(address)
    return folded[at : at + len(address)] if at >= 0 else address


class Engine:
    """Understands one message at a time; safe to share between threads (no mutable state)."""

    def __init__(
        self,
        settings: NluSettings,
        *,
        faults: FaultReader | None = None,
        classifier: IntentClassifier | None = None,
        urgency: UrgencyReader | None = None,
        rasa: RasaBackend | None = None,
    ) -> None:
        self.settings = settings
        self.brands = BrandMatcher(settings.brands)
        self.products = load_product_words(settings.products)
        self.product_words = settings.product_words
        self.time = TimeReader(settings)
        # The models depend on nlu/data only, not on the configuration: one pair per process.
        self.faults = faults or default_reader()
        self.classifier = classifier or default_classifier()
        self.urgency = urgency or default_urgency()
        # Dialect, English and pinyin read as Mandarin; brand names and product words are known by sound.
        self.gloss = Gloss(
            training_data(),
            vocabulary=(*self.product_words, *(b.name for b in settings.brands)),
        )
        self.rasa = rasa

    def parse(self, text: str, *, expecting: str | None = None, now: datetime | None = None) -> Parse:
        """Understand ``text``; ``expecting`` is the slot the bot just asked for (see EXPECTING)."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if expecting not in EXPECTING:
            expecting = None
        raw = normalize(text)
        # Every extractor reads the glossed text (打唔开 → 打不开, "won't open" → 打不开); the phone is
        # read from the digits as typed.
        norm = self.gloss(raw)

        hit = self.brands.find(norm)
        brand = hit.brand if hit else None
        product = find_product(norm, self.products)
        if product is None and brand is not None:
            product = brand.only_product  # 丹斯提尼 makes only safes: "丹斯提尼打不开" is a safe
        if product is None and bare_lock(norm):
            product = "lock"
        if product is None and expecting == "product":
            product = next((code for hint, code in _PRODUCT_HINTS if hint in norm), None)

        place, candidates, span = read_place_span(norm, expecting=expecting in ("place", "town"))
        phone = read_phone(raw, expecting=expecting == "phone")
        when = self.time.read(norm, now)
        address = _as_typed(self._address(norm, span, hit, expecting == "address"), text)

        # The classifiers read the message without the slots the gazetteers found (see nlu.evidence).
        # Blanked, not cut: the brand span below is an offset into this text.
        unaddressed = norm.replace(address, " " * len(address)) if address else norm
        residue = intent_text(unaddressed, places=(place, *candidates) if place else candidates,
                              brand_span=(hit.start, hit.end) if hit else None, strip_time=self.time.strip)
        if norm != raw:
            # English or pinyin read as Mandarin: the latin words left over ("can", "talk", "fine") are
            # noise to the n-gram models trained on Chinese (the phrase lexicon still reads them: "显示 error").
            residue, phrases = _LATIN_WORD.sub(" ", residue), residue
        else:
            phrases = residue
        reading = self.rasa.classify(norm) if self.rasa is not None and norm else None
        if (
            reading is not None and reading.intent == "report_fault" and not reading.faults
            and product is None and hit is None and not self.faults.hits(phrases)
        ):
            # DIET calls text it never saw a fault report, sure of itself ("你是谁开发的" at 1.0): a report
            # naming no product, brand or fault is not taken from it; the in-process reading answers.
            reading = None
        if reading is not None:
            intent, confidence, recognised = reading.intent, reading.confidence, True
            rasa_fault = self.faults.most_specific(set(reading.faults)) if reading.faults else None
        else:
            said = without_slot_cues(residue)
            if compact(said) or not compact(norm):
                # When a phone or place was read, the words introducing it (电话是, 我在) belong to
                # that slot; they are not a call for a human or a complaint.
                guess = self.classifier.classify(said if (phone.phone or place or candidates) else residue)
            else:
                # Nothing but slots and the words introducing them ("手机号13812345678"): there is
                # no intent to read, the slot rules below decide.
                guess = IntentGuess("out_of_scope", 0.0, recognised=False)
            intent, confidence, recognised = guess.intent, guess.confidence, guess.recognised
            rasa_fault = None
        # The fault classifier only guesses inside a repair context: a named product or brand, a
        # message the intent model reads as a fault report, or an answer to "what is wrong?".
        # Elsewhere its guesses are mostly noise ("我在上班" is not cannot_open).
        # An answer to another question ("which brand?" → "不知道") describes no fault: only a
        # fault phrase counts there.
        may_guess = expecting in (None, "fault") and (
            expecting == "fault" or product is not None or brand is not None
            or (intent == "report_fault" and recognised)
        )
        fault = rasa_fault or self.faults.read(
            phrases, expecting=expecting == "fault", guess=may_guess,
            evidence=lambda: fault_text(residue, self.product_words),
        )

        brand_name = brand.name if brand else None
        brand_supported = brand.supported if brand else None
        if (
            brand is None
            and expecting == "brand"
            and intent in ("out_of_scope", "report_fault", "affirm")
            and not (place or candidates or phone.phone or phone.invalid or when)
        ):
            named = self._unknown_brand(norm)
            if named and intent == "affirm" and self.classifier.classify(named).recognised:
                named = None  # "是的", "可以": a plain yes, not a brand with 是 in front
            if named:
                # A brand outside the catalogue, named in answer to "which brand?", is a fact the
                # customer stated, and one we do not serve.
                brand_name, brand_supported, intent = named, False, "report_fault"

        other_slots = bool(
            brand_name or place or candidates or phone.phone or when or (phone.invalid and expecting == "phone")
        )
        intent = intents.adjust(
            intent, fault=fault, product=product, other_slots=other_slots, recognised=recognised,
            # The cue words guard the in-process model's n-gram confusions; a Rasa reading is taken as given.
            cued=(
                self.classifier.cued(norm)
                if (fault or product) and intent in intents.CUE_LOOKUPS and reading is None else None
            ),
            place=place is not None,
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

        if intent == "deny" and when is not None and self.urgency.relaxed(norm):
            intent = "report_fault"  # "不急，周二晚上来就行": it can wait, and here is when; not a "no"
        urgency = self.urgency.read(norm, product=product)
        return Parse(
            text=text,
            intent=intent,
            intent_confidence=confidence,
            brand=brand_name,
            brand_supported=brand_supported,
            product=product,
            fault=fault,
            place=place,
            place_candidates=candidates,
            phone=phone.phone,
            phone_invalid=phone.invalid and phone.phone is None,
            when=when,
            address=address,
            urgent=urgency.urgent,
            safety=urgency.safety,
        )

    def _address(
        self, norm: str, span: tuple[int, int] | None, brand: BrandHit | None, expecting: bool
    ) -> str | None:
        """The street address below the place, when the message has one (see nlu.address)."""
        if span is None and not expecting and not ADDRESS_CUE.search(norm) and not looks_like_street(norm):
            return None

        def stops() -> list[int]:
            found = [*product_word_starts(norm, self.products), *self.faults.phrase_starts(norm)]
            if brand is not None:
                found.append(brand.start)
            return found

        return read_address(norm, place_end=span[1] if span else None, stops=stops, expecting=expecting)

    def _unknown_brand(self, norm: str) -> str | None:
        """A brand name outside the catalogue typed in answer to "which brand?" (海尔, "是雅洁的")."""
        if _NO_BRAND.search(norm) or self.faults.hits(norm):
            return None
        word = norm
        for words in (w for w in self.product_words if w in word):
            word = word.replace(words, "")
        word = _BRAND_FILLER.sub("", word.strip(" ，。,.!！")).strip()
        return word if _BRAND_WORD.match(word) else None


def build_rasa_backend(settings: NluSettings) -> RasaBackend | None:
    """A started Rasa client when the configured backend is ``rasa``, else ``None``."""
    if settings.backend != "rasa":
        return None
    backend = RasaBackend(
        settings.rasa_url,
        timeout=settings.rasa_timeout_s,
        token=settings.rasa_token,
        min_confidence=settings.rasa_min_confidence,
    )
    backend.start()
    return backend


@lru_cache(maxsize=8)
def build_engine(settings: NluSettings) -> Engine:
    """The engine for these settings, built once per distinct value (several bots in one process share it)."""
    engine = Engine(settings, rasa=build_rasa_backend(settings))
    if engine.rasa is None:
        log.info("NLU backend: in-process engine")
    else:
        log.warning(
            "NLU backend: Rasa server at %s for intent and fault (confidence >= %.2f); the in-process "
            "engine answers until it is ready and whenever it fails", settings.rasa_url, settings.rasa_min_confidence,
        )
    return engine


_default: tuple[NluSettings, Engine] | None = None


def default_engine() -> Engine:
    """The engine for the registered default settings.

    Kept beside the settings it was built for: looking it up in ``build_engine``'s cache would hash the
    whole catalogue on every message.
    """
    global _default
    settings = default_settings()
    cached = _default
    if cached is None or cached[0] is not settings:
        cached = _default = (settings, build_engine(settings))
    return cached[1]
