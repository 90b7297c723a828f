"""Pinyin keys for homophone typos from pinyin input methods (苏州无中区 → 吴中区, 焦作问县 → 温县).

Tones are ignored: a pinyin keyboard drops them, which is exactly how the typo happened. The keys of
gazetteer names are computed at build time (``pinyin_*`` columns of the data files) with these same
functions; at run time only typed text is converted, and pypinyin is imported on first need.
This module has no dependency on the rest of ``regions`` so the build script can load it by path.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _pypinyin():  # type: ignore[no-untyped-def]
    import pypinyin

    return pypinyin


@lru_cache(maxsize=8192)
def char_pinyin(ch: str) -> str:
    """Toneless default reading of one character ('' for non-Chinese)."""
    if not ("\u4e00" <= ch <= "\u9fff"):
        return ""
    pp = _pypinyin()
    return pp.lazy_pinyin(ch, style=pp.Style.NORMAL)[0]


def typed_key(text: str) -> str:
    """Key of typed text, read character by character (how an input method produced it)."""
    # syllables stay separated: "yu nan" (郁南) and "yun an" (云安) must not collide
    return " ".join(char_pinyin(ch) for ch in text)


def name_keys(name: str) -> set[str]:
    """Keys of a gazetteer name: the phrase reading and the per-character reading (长垣: chang/zhang)."""
    pp = _pypinyin()
    return {" ".join(pp.lazy_pinyin(name, style=pp.Style.NORMAL)), typed_key(name)}


def encode_keys(keys: set[str]) -> str:
    """Data-file form of a key set."""
    return "|".join(sorted(keys))


def decode_keys(field: str) -> tuple[str, ...]:
    return tuple(k for k in field.split("|") if k)
