"""Pinyin keys for homophone typos from pinyin input methods (苏州无中区 → 吴中区, 焦作问县 → 温县).

Tones are ignored: a pinyin keyboard drops them, which is exactly how the typo happened.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=8192)
def char_pinyin(ch: str) -> str:
    """Toneless default reading of one character ('' for non-Chinese)."""
    if not ("\u4e00" <= ch <= "\u9fff"):
        return ""
    return lazy_pinyin(ch, style=Style.NORMAL)[0]


def typed_key(text: str) -> str:
    """Key of typed text, read character by character (how an input method produced it)."""
    # syllables stay separated: "yu nan" (郁南) and "yun an" (云安) must not collide
    return " ".join(char_pinyin(ch) for ch in text)


def name_keys(name: str) -> set[str]:
    """Keys of a gazetteer name: the phrase reading and the per-character reading (长垣: chang/zhang)."""
    return {" ".join(lazy_pinyin(name, style=Style.NORMAL)), typed_key(name)}
