"""The brand matcher's character readings equal pypinyin's own, over every character it reads."""

from __future__ import annotations

from nlu.brands import _sounds_by_pinyin, sounds


def test_sounds_equal_pypinyin_over_every_han_character() -> None:
    # sounds() reads pypinyin's character table directly (it is on the cold path of every message
    # with a character not met before); the answer must stay the one pypinyin.pinyin gives.
    differ = [
        chr(cp)
        for lo, hi in ((0x4E00, 0x9FFF), (0x3400, 0x4DBF))
        for cp in range(lo, hi + 1)
        if sounds.__wrapped__(chr(cp)) != _sounds_by_pinyin(chr(cp))
    ]
    assert differ == []


def test_sounds_of_other_characters_are_empty() -> None:
    for ch in ("a", "1", " ", "，", "ü", "\u3000"):
        assert sounds(ch) == frozenset()
