"""Product (safe or lock) from the product words of the configuration (``NluSettings.products``).

A safe word wins over a lock word: in "保险柜的密码锁坏了" the lock is part of the safe. A bare 锁
counts as a lock only where it is the noun (家里的锁坏了), not inside verbs and parts such as 反锁,
锁定, 锁芯 or 开锁 (a safe is unlocked too).
"""

from __future__ import annotations

from dataclasses import dataclass

import ahocorasick

from nlu.prefilter import guarded

# 锁 as a noun: not part of a verb/part compound on either side (behind a lookahead on 锁: nlu.prefilter.guarded).
_BARE_LOCK = guarded(r"(?<![反被开解上加闭挂关])锁(?![定住芯舌体头死了上着住在])")


@dataclass(frozen=True, slots=True)
class ProductWords:
    """The product vocabulary of one configuration."""

    automaton: ahocorasick.Automaton
    order: tuple[str, ...]  # products by precedence when several are named


def load_product_words(products: tuple[tuple[str, tuple[str, ...]], ...]) -> ProductWords:
    """Build the matcher from ``(code, words)`` pairs (``NluSettings.products``)."""
    automaton = ahocorasick.Automaton()
    for code, words in products:
        for word in words:
            automaton.add_word(word.lower(), (code, len(word)))
    if len(automaton):
        automaton.make_automaton()
    codes = [code for code, _words in products]
    order = tuple(code for code in ("safe", "lock") if code in codes) + tuple(
        code for code in codes if code not in ("safe", "lock")
    )
    return ProductWords(automaton, order)


# "不是保险柜，是门锁": a product word right after a denial is not the device.
_DENIED_BEFORE = ("不是", "并非", "而不是", "倒不是", "不是说")


def find_product(text: str, words: ProductWords) -> str | None:
    """The product named in normalized text, or ``None``.

    A product denied in the same message ("不是保险柜，是门锁") gives way to the other one named.
    """
    found: set[str] = set()
    denied: set[str] = set()
    if len(words.automaton):
        for end, (code, length) in words.automaton.iter(text):
            start = end - length + 1
            if text.endswith(_DENIED_BEFORE, 0, start):  # a denial right before the word
                denied.add(code)
            else:
                found.add(code)
    if found - denied:
        found -= denied
    for code in words.order:
        if code in found:
            return code
    return None


def bare_lock(text: str) -> bool:
    """Whether the text uses 锁 as a noun (a lock) rather than in a verb or part name."""
    return "锁" in text and bool(_BARE_LOCK.search(text))  # the pattern has no prefix to skip ahead by


def product_word_starts(text: str, words: ProductWords) -> list[int]:
    """Where product words begin in the text (an address written before them ends there)."""
    if not len(words.automaton):
        return []
    return [end - length + 1 for end, (_code, length) in words.automaton.iter(text)]
