"""Place names typed in pinyin ("I'm in Wenxian, Jiaozuo", "xiamen haicang") written back in characters.

Built on first need from the gazetteer (``regions``): the toneless pinyin of every prefecture's short
name and every county-level unit's full and short name (two syllables or more). The gloss asks for a
place only for latin it could not read as a known phrase, so 保险 in "bao xian gui" is never 西安.
Several places can share a key (wenxian: 温县 in 焦作, 文县 in 陇南); the one inside a prefecture named in
the same message wins, else the first in code order, and the gazetteer's own homophone rules do the rest.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

_WORD = re.compile(r"[a-z]+")
MIN_LETTERS = 4


@dataclass(frozen=True, slots=True)
class PinyinPlace:
    name: str
    prefecture: str  # prefecture code (a prefecture's own code for itself)
    is_prefecture: bool


@cache
def index() -> dict[str, tuple[PinyinPlace, ...]]:
    """pinyin key (letters only) → places, in code order."""
    from pypinyin import Style, lazy_pinyin

    from regions.gazetteer import gazetteer

    gz = gazetteer()
    found: dict[str, list[PinyinPlace]] = defaultdict(list)
    for code, pref in sorted(gz.prefectures.items()):
        readings = lazy_pinyin(pref.short, style=Style.NORMAL, errors="ignore")
        if len(readings) >= 2 and len(readings) == len(pref.short):
            found["".join(readings).replace("ü", "v")].append(PinyinPlace(pref.short, code, True))
    # County keys were computed at build time (divisions.tsv): "wen xian" and the per-character reading.
    for _code, county in sorted(gz.counties.items()):
        for name, keys in ((county.name, county.pinyin_name), (county.short, county.pinyin_short)):
            for key in {k.replace(" ", "") for k in keys if " " in k}:
                place = PinyinPlace(name, county.prefecture_code, False)
                if place not in found[key]:
                    found[key].append(place)
    return {k: tuple(v) for k, v in found.items()}


def named_prefectures(text: str) -> frozenset[str]:
    """Prefecture codes spelt as whole latin words in the text (they choose among homophone counties)."""
    places = index()
    return frozenset(
        p.prefecture for w in _WORD.findall(text) if len(w) >= MIN_LETTERS for p in places.get(w, ()) if p.is_prefecture
    )


def lookup(letters: str, named: frozenset[str], syllables: frozenset[str]) -> str | None:
    """The place name spelt by ``letters`` (no spaces), or ``None``; a single syllable (xian) is never one."""
    if len(letters) < MIN_LETTERS or letters in syllables:
        return None
    options = index().get(letters)
    if not options:
        return None
    return next((p.name for p in options if not p.is_prefecture and p.prefecture in named), options[0].name)
