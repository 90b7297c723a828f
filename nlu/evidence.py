"""What is left of a message once the slots read by the gazetteers are taken out.

The classifiers learn from character n-grams, so a place or a phone number in the text feeds them
characters that say nothing about the intent or the fault: 贵 in 贵德 (a county) looks like
"贵不贵" (a price question), the digits of a phone number match n-grams of fault examples, and a
bare "鼓楼区 保险柜" has no word about a fault at all. The classifiers therefore read the *residue*:

- :func:`intent_text` — the message without place names, street addresses, phone-like digit runs, brand names and
  time expressions (明天下午 says when, not whether a visit is new or moved; product words stay: "修保险柜" is a repair request because of 保险柜);
- :func:`fault_text` — that residue without product words and the words that only introduce a slot
  (手机号, 座机, 我在 …, the ``slot_cue`` lookup of ``nlu/data``): what remains is the only
  evidence a fault guess may rest on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache, lru_cache

from nlu.prefilter import Gates, gate, guarded
from nlu.training_data import training_data
from regions.place import Place

# A phone-like run: 6+ digits, maybe grouped by spaces, dashes or dots, maybe with a +86 prefix.
_DIGIT_RUN = guarded(r"(?:\+?86[\s-]?)?\d(?:[\s\-.]?\d){5,}")  # (see nlu.prefilter.guarded)
# The street part of an address (花园路88号, 人民南路3号院, 5栋2单元301室): where, not what. Left in, its
# characters look like intent evidence (路/号 pull towards price and goodbye examples).
_STREET = re.compile(
    r"[\u4e00-\u9fffA-Za-z]{1,8}(?:大道|大街|路|街|巷|弄|胡同)\s*\d+(?:-\d+)?\s*号(?:院|楼)?"
    r"|\d+(?:-\d+)?\s*(?:号楼|号院|栋|幢|单元|室|号)"
)
# Administrative suffixes, longest first, so that 甘孜藏族自治州 → 甘孜 and 神农架林区 → 神农架.
_PLACE_SUFFIX = re.compile(
    r"^(?P<stem>.{2,}?)(?:(?:[^族]{1,3}族)+自治[州县区旗]|特别行政区|自治[州县区旗]|林区|新区|地区"
    r"|街道|[省市县区盟旗镇乡])$"
)


# Most messages have no street (号, 栋, 室 …) and no digit: then those patterns are not run.
_STREET_GATE = Gates([gate([_STREET])])
_DIGIT = re.compile(r"\d")


def place_words(places: Iterable[Place]) -> set[str]:
    """Every name of the places, full and without its administrative suffix (焦作市, 焦作)."""
    words: set[str] = set()
    for place in places:
        for name in (place.province, place.city, place.county, place.town):
            if not name:
                continue
            words.add(name)
            stem = _stem(name)
            if stem is not None:
                words.add(stem)
    return words


@lru_cache(maxsize=4096)
def _stem(name: str) -> str | None:
    """A gazetteer name without its administrative suffix, or ``None`` (kept per name: the same few
    hundred places come up again and again, and the lazy pattern is slow to fail)."""
    m = _PLACE_SUFFIX.match(name)
    return m.group("stem") if m else None


def _without(text: str, words: Iterable[str]) -> str:
    # Longest first, then by code point: ``words`` is often a set, and equal-length names removed in
    # hash order made the same message read differently from one process to the next.
    return _without_ordered(text, sorted(words, key=_longest_first))


def _without_ordered(text: str, words: Iterable[str]) -> str:
    for word in words:
        if word and word in text:
            text = text.replace(word, " ")
    return text


@lru_cache(maxsize=4096)
def _place_words_in_order(places: tuple[Place, ...]) -> tuple[str, ...]:
    """:func:`place_words` in the order :func:`_without` removes them (kept per place set: the same few
    places come up again and again)."""
    return tuple(sorted(place_words(places), key=_longest_first))


def _longest_first(word: str) -> tuple[int, str]:
    return -len(word), word


class _Words:
    """A fixed word list removed like :func:`_without` does (longest first, same order), faster.

    Only the words whose first character the text has are tried: blanking a word never writes a
    character, so a word that could not be in the text at the start cannot appear later.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self._by_first: dict[str, list[tuple[int, str]]] = {}
        for rank, word in enumerate(w for w in sorted(words, key=len, reverse=True) if w):
            self._by_first.setdefault(word[0], []).append((rank, word))
        self._firsts = re.compile("[" + "".join(map(re.escape, sorted(self._by_first))) + "]") if self._by_first else None

    def remove(self, text: str) -> str:
        """``_without(text, words)``."""
        if self._firsts is None:
            return text
        found = [hit for ch in set(self._firsts.findall(text)) for hit in self._by_first[ch]]
        found.sort()  # back into the longest-first order
        for _rank, word in found:
            if word in text:
                text = text.replace(word, " ")
        return text


def intent_text(
    norm: str, *, places: Iterable[Place], brand_span: tuple[int, int] | None, strip_time: Callable[[str], str]
) -> str:
    """The normalized text without brand, place names, phone-like digit runs and time expressions.

    ``strip_time`` blanks the time expressions (``TimeReader.strip``: the day parts are configuration).
    """
    if brand_span is not None:
        start, end = brand_span
        norm = norm[:start] + " " + norm[end:]
    if _STREET_GATE.open(norm)[0]:
        norm = _STREET.sub(" ", norm)
    if _DIGIT.search(norm):
        norm = _DIGIT_RUN.sub(" ", norm)
    return strip_time(_without_ordered(norm, _place_words_in_order(tuple(places))))


def without_slot_cues(residue: str) -> str:
    """The residue without the words that only introduce a slot: empty when nothing else was said."""
    return _slot_cue_words().remove(residue)


def fault_text(residue: str, product_words: Iterable[str]) -> str:
    """The intent residue without product words and slot cue words: the evidence for a fault."""
    if isinstance(product_words, tuple):
        without_products = _fixed_words(product_words).remove(residue)
    else:
        without_products = _without(residue, product_words)
    return _slot_cue_words().remove(without_products)


@cache
def _slot_cues() -> tuple[str, ...]:
    return tuple(w.lower() for w in training_data().lookups.get("slot_cue", ()))


@cache
def _slot_cue_words() -> _Words:
    return _Words(_slot_cues())


@lru_cache(maxsize=8)
def _fixed_words(words: tuple[str, ...]) -> _Words:
    """The remover of one configuration's product words (a tuple, built once per configuration)."""
    return _Words(words)
