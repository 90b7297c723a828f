"""Brand recognition from the brand catalogue (``NluSettings.brands``), including pinyin homophones.

Two passes, both over the normalized text:

1. an Aho-Corasick automaton over every brand name and listed alias (exact spellings);
2. a pinyin pass for names of three or more characters: pinyin input produces homophones
   (丹斯缇尼, 旗店佳), so a window whose syllables sound like the name is accepted when enough of it is
   spelt right (see :meth:`BrandMatcher._sounds_like`). Two-character names (得力, 小米, 三星) are
   ordinary words too often to guess at by sound, so they only match exactly.

Context exclusions from config (``not_before``/``not_after``) stop ordinary phrases such as
凯德广场 or 使命必达 from turning into brands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import ahocorasick
from pypinyin import Style, pinyin
from pypinyin.contrib.tone_convert import to_normal
from pypinyin.phonetic_symbol import phonetic_symbol
from pypinyin.phrases_dict import phrases_dict as _PHRASE_TABLE
from pypinyin.pinyin_dict import pinyin_dict as _CHAR_TABLE

# A name followed by one of these is a place or a building (澄迈永发镇, 凯德广场), never the brand.
PLACE_SUFFIXES = ("镇", "乡", "村", "街道", "路", "街", "大街", "社区", "小区", "广场", "大厦", "花园", "公园")

# Confusions of pinyin input and southern accents, folded on both sides before comparing.
_FOLD_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FOLD_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


@dataclass(frozen=True, slots=True)
class Brand:
    """A catalogue entry."""

    name: str
    supported: bool
    products: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    not_before: tuple[str, ...] = ()  # words that, right after the name, mean it is not the brand
    not_after: tuple[str, ...] = ()  # words that, right before the name, mean it is not the brand

    @property
    def only_product(self) -> str | None:
        """The product when the brand makes exactly one kind (used to infer a missing product)."""
        return self.products[0] if len(self.products) == 1 else None


@dataclass(frozen=True, slots=True)
class BrandHit:
    """A brand found in text."""

    brand: Brand
    start: int
    end: int
    exact: bool


def _fold(syllable: str) -> str:
    for long, short in _FOLD_INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FOLD_FINALS:
        if syllable.endswith(long):
            return syllable[: -len(long)] + short
    return syllable


@cache
def sounds(ch: str) -> frozenset[str]:
    """Folded toneless readings of one character (all heteronyms); empty for non-Han characters."""
    if not ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"):
        return frozenset()
    # Straight from pypinyin's character table, each distinct reading converted once: what
    # ``pinyin(ch, style=NORMAL, heteronym=True)`` reads for one character without a phrase entry,
    # at a tenth of the cost (a message with characters not met before pays it per character).
    # tests/test_nlu_brand_sounds.py holds the two equal over every character.
    readings = _CHAR_TABLE.get(ord(ch))
    if readings is None or ch in _PHRASE_TABLE:
        return _sounds_by_pinyin(ch)
    return frozenset(folded for r in readings.split(",") if (folded := _folded_reading(r)))


def _sounds_by_pinyin(ch: str) -> frozenset[str]:
    """:func:`sounds` through ``pypinyin.pinyin`` (the reference; also the way for phrase entries)."""
    readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    return frozenset(_fold(r) for r in (readings[0] if readings else ()))


@cache
def _folded_reading(reading: str) -> str:
    """One tone-marked reading of the character table, toneless (ü written v) and folded."""
    if _ODD_MARK.search(reading):  # a combining tone mark or ê: pypinyin's own (slow) conversion
        return _fold(to_normal(reading))
    return _fold(reading.translate(_toneless()))


# What the one-code-point tone-marked vowels leave for the translate table; the rest (m̄, ê̄) go
# through pypinyin's conversion.
_ODD_MARK = re.compile("[\u0300-\u036f\u00ea]")


@cache
def _toneless() -> dict[int, str]:
    """Each one-code-point tone-marked letter of pypinyin's table → what ``to_normal`` makes of it."""
    return {ord(symbol): to_normal(symbol) for symbol in phonetic_symbol if len(symbol) == 1}


# Two latin letters with a space or hyphen between them: the only texts the spaced-name pass reads.
_LATIN_GAP = re.compile(r"[a-z][ \-][a-z]")
_LATIN_WORD = re.compile(r"[a-z]{6,}")
# Romanised names this long may be misspelt by one letter (danstini for dansitini); shorter ones are
# ordinary English words too often (deli, yale).
MIN_FUZZY_LATIN = 6


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether two words differ by at most one inserted, deleted or replaced letter."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :] or (len(a) == len(b) and a[i + 1 :] == b[i + 1 :])


def _is_ascii_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class BrandMatcher:
    """Finds catalogue brands in normalized (lower-cased) text."""

    def __init__(self, brands: tuple[Brand, ...]) -> None:
        self.brands = brands
        self._automaton = ahocorasick.Automaton()
        for brand in brands:
            for spelling in (brand.name, *brand.aliases):
                key = spelling.lower()
                if key:
                    self._automaton.add_word(key, (len(key), brand))
        if len(self._automaton):
            self._automaton.make_automaton()
        # Romanised names typed syllable by syllable ("dan si ti ni", "qi-dian-jia").
        self._spaced_latin: list[tuple[re.Pattern[str], Brand]] = [
            (re.compile(r"(?<![a-z0-9])" + r"[ \-]?".join(key) + r"(?![a-z0-9])"), brand)
            for brand in brands
            for key in (a.lower() for a in brand.aliases)
            if len(key) >= 6 and key.isascii() and key.isalpha()
        ]
        self._latin_aliases: list[tuple[str, Brand]] = [
            (key, brand)
            for brand in brands
            for key in (a.lower() for a in brand.aliases)
            if len(key) >= MIN_FUZZY_LATIN and key.isascii() and key.isalpha()
        ]
        # Pinyin index: first folded syllable -> (brand, name, per-character readings).
        self._by_first_sound: dict[str, list[tuple[Brand, str, tuple[frozenset[str], ...]]]] = {}
        # Only canonical names: comparing spellings against a homophone alias (旗电家) would let a
        # window share its one "right" character with the alias, not with the brand (七点家).
        for brand in brands:
            spelling = brand.name
            if len(spelling) < 3 or not all(sounds(ch) for ch in spelling):
                continue
            readings = tuple(sounds(ch) for ch in spelling)
            for syllable in readings[0]:
                self._by_first_sound.setdefault(syllable, []).append((brand, spelling, readings))
        # Per character, the names it may begin by sound, in the order the pinyin pass tries them;
        # filled as characters are met (most begin none: one dict look-up each).
        self._by_first_char: dict[str, tuple[tuple[Brand, str, tuple[frozenset[str], ...]], ...]] = {}

    def _sound_alikes(self, ch: str) -> tuple[tuple[Brand, str, tuple[frozenset[str], ...]], ...]:
        """The names whose first syllable ``ch`` may sound like (each reading of ``ch`` in turn)."""
        found = self._by_first_char.get(ch)
        if found is None:
            found = tuple(entry for first in sounds(ch) for entry in self._by_first_sound.get(first, ()))
            self._by_first_char[ch] = found
        return found

    def _excluded(self, brand: Brand, text: str, start: int, end: int) -> bool:
        # Read in place, each word list in one call (str.startswith/endswith take a tuple of words).
        return (
            text.startswith(PLACE_SUFFIXES, end)
            or text.startswith(brand.not_before, end)
            or text.endswith(brand.not_after, 0, start)
        )

    def find_all(self, text: str) -> list[BrandHit]:
        """Every brand mention, exact spellings first, in text order."""
        hits: list[BrandHit] = []
        taken = [False] * len(text)
        if len(self._automaton):
            for end_index, (length, brand) in self._automaton.iter_long(text):
                start, end = end_index - length + 1, end_index + 1
                word = text[start:end]
                if word.isascii() and (
                    (start > 0 and _is_ascii_word_char(text[start - 1]))
                    or (end < len(text) and _is_ascii_word_char(text[end]))
                ):
                    continue  # "deli" inside "delivery"
                if self._excluded(brand, text, start, end):
                    continue
                hits.append(BrandHit(brand, start, end, exact=True))
                for i in range(start, end):
                    taken[i] = True
        if _LATIN_GAP.search(text):
            for pattern, brand in self._spaced_latin:
                for m in pattern.finditer(text):
                    if not any(taken[m.start() : m.end()]):
                        hits.append(BrandHit(brand, m.start(), m.end(), exact=True))
                        for i in range(m.start(), m.end()):
                            taken[i] = True
        if self._latin_aliases:
            for m in _LATIN_WORD.finditer(text):
                if any(taken[m.start() : m.end()]):
                    continue
                brand = next((b for key, b in self._latin_aliases if _one_edit_apart(m.group(), key)), None)
                if brand is not None:
                    hits.append(BrandHit(brand, m.start(), m.end(), exact=False))
                    for i in range(m.start(), m.end()):
                        taken[i] = True
        known = self._by_first_char.get
        for start, ch in enumerate(text):
            alikes = known(ch)
            if alikes is None:
                alikes = self._sound_alikes(ch)
            if not alikes or taken[start]:
                continue
            for brand, spelling, readings in alikes:
                end = start + len(readings)
                if end > len(text) or any(taken[start:end]):
                    continue
                if self._sounds_like(text[start:end], spelling, readings) and not self._excluded(
                    brand, text, start, end
                ):
                    hits.append(BrandHit(brand, start, end, exact=False))
                    for i in range(start, end):
                        taken[i] = True
                    break
        hits.sort(key=lambda h: h.start)
        return hits

    @staticmethod
    def _sounds_like(window: str, spelling: str, readings: tuple[frozenset[str], ...]) -> bool:
        """Whether a window is a homophone spelling of a brand name.

        Every syllable must sound alike and at least one character must be spelt right; names of
        four or more characters may also have one syllable off when at least half is spelt right
        (丹斯蒂尼, where 蒂 is di and 提 ti).
        """
        # Most windows fail on their second syllable (的 sounds like 德 of 德施曼, 施 does not follow):
        # stop at the first syllable too many that does not sound alike.
        allowed = 1 if len(readings) >= 4 else 0
        off = 0
        for ch, r in zip(window, readings, strict=True):
            if r.isdisjoint(sounds(ch)):
                off += 1
                if off > allowed:
                    return False
        same_char = sum(1 for a, b in zip(window, spelling, strict=True) if a == b)
        return same_char >= 1 if off == 0 else same_char * 2 >= len(readings)

    def find(self, text: str) -> BrandHit | None:
        """The brand the message is about: a serviced brand if one is named, else the first named."""
        hits = self.find_all(text)
        if not hits:
            return None
        for hit in hits:
            if hit.brand.supported:
                return hit
        return hits[0]

