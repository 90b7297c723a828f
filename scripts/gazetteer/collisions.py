"""Find everyday words that hide a division's short name (build time): ``regions/data/common_words.tsv``.

    python scripts/gazetteer/collisions.py --dict PATH/TO/jieba/dict.txt [--out regions/data]

Customers write "重新安装" (新安, a county in 洛阳), "过来安装" (来安), "每天等" (天等), "打开阳台"
(开阳), "空气清新剂" (清新). Instead of finding such words one complaint at a time, every short name
the place finder reads (county, town and prefecture short names, old short names: any reading weaker
than a full name) is scanned against jieba's dictionary of common words (word, frequency, part of
speech), and three kinds of collision are written out:

- ``weak``: the short name IS an everyday word (高明, 光明, 清新, 安定): read only with a named city or
  as a location (我在X, 住X);
- ``contains``: an everyday word contains the short name (清新剂, 长治久安, 大同小异);
- ``straddles``: an everyday word shares a character with it, so the two overlap in text (安装 in
  新安装 or 来安装, 每天 in 每天等, 阳台 in 开阳台).

The finder treats ``contains`` and ``straddles`` words as *soft*: such a word drops an overlapping
short-name reading but never a full name, and never takes part in choosing the place (so 温县, 新安县
or 天等县 written in full still resolve). Words that are themselves place names (jieba tag ``ns``) are
left out, as are words made of the short name and a place suffix (温州人, 余姚市区).

jieba 0.42.1 (MIT) is a build-time input only: its dictionary is read here, the result is committed,
nothing is downloaded or imported at run time.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from regions.finder import FULL, PlaceFinder  # noqa: E402  (the app's own reading of names)
from regions.gazetteer import Gazetteer  # noqa: E402

# A word made of the short name and one of these is still the place (温州人, 余姚市区, 沭阳县城).
PLACE_SUFFIXES = (
    "市", "县", "区", "省", "州", "人", "话", "站", "路", "街", "镇", "乡", "村", "城", "港", "湾", "口", "一带",
    "地区", "境内", "当地", "方言", "市区", "城区", "县城", "老家", "本地",
)
# How common a word must be (jieba frequency) for each kind. An exact everyday word and a word sharing
# a character must be common (they are read softly, but they cost real mentions a little); a word that
# contains the name only needs to exist.
MIN_FREQ = {"weak": 500, "contains": 3, "straddles": 100}
MAX_WORD = 6
# An exact two-character short name counts as an everyday word when jieba reads it as a common noun,
# adjective, verb, number, direction or time word (not as a person or place name: 安达 is "nr") and
# hardly ever as the place with its suffix (动力 3367 times, 动力区 3; 仙桃 3117, 仙桃市 1552).
EVERYDAY_TAGS = frozenset(["n", "a", "ad", "an", "v", "vn", "vd", "d", "i", "l", "m", "f", "t"])
MAX_SUFFIXED_FREQ = 10


def short_names(finder: PlaceFinder) -> dict[str, set[str]]:
    """Surface form → kinds, for every reading weaker than a full name (the ones a word can hide)."""
    out: dict[str, set[str]] = defaultdict(set)
    for surface, senses in finder.senses.items():
        if not senses or len(surface) < 2:
            continue
        if all(s.strength < FULL for s in senses):
            out[surface].update(s.kind for s in senses)
    return out


def read_dictionary(path: Path) -> list[tuple[str, int, str]]:
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and 2 <= len(parts[0]) <= MAX_WORD:
            words.append((parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""))
    return words


def collisions(names: dict[str, set[str]], words: list[tuple[str, int, str]], known: set[str]) -> list[tuple]:
    """``(word, short name, kind, frequency)`` rows, one per word (the first collision found)."""
    import ahocorasick

    inside = ahocorasick.Automaton()
    for name in names:
        inside.add_word(name, name)
    inside.make_automaton()
    # name = ab…: a word starting with a tail of it (安装 for 新安) or ending with a head of it (每天 for 天等)
    tails = {name[k:]: name for name in names for k in range(1, len(name))}
    heads = {name[:k]: name for name in names for k in range(1, len(name))}
    freq_of = {w: f for w, f, _t in words}
    rows = []
    for word, freq, tag in words:
        if tag == "ns" or word in known:
            continue
        if word in names:
            suffixed = max(freq_of.get(word + suffix, 0) for suffix in ("市", "县", "区", "旗"))
            if len(word) == 2 and freq >= MIN_FREQ["weak"] and tag in EVERYDAY_TAGS and suffixed < MAX_SUFFIXED_FREQ:
                rows.append((word, word, "weak", freq))
            continue
        hidden = [
            name
            for _end, name in inside.iter(word)
            if not (word.startswith(name) and word[len(name):] in PLACE_SUFFIXES)
        ]
        if hidden:
            if freq >= MIN_FREQ["contains"]:
                rows.append((word, hidden[0], "contains", freq))
            continue
        if freq < MIN_FREQ["straddles"] or len(word) > 4:
            continue
        name = next(
            (tails.get(word[:j]) or heads.get(word[-j:]) for j in range(1, len(word)) if tails.get(word[:j]) or heads.get(word[-j:])),
            None,
        )
        if name is not None:
            rows.append((word, name, "straddles", freq))
    return sorted(rows, key=lambda r: (r[2], r[0]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dict", required=True, type=Path, help="jieba's dict.txt (word frequency tag per line)")
    ap.add_argument("--out", type=Path, default=ROOT / "regions" / "data")
    args = ap.parse_args(argv)
    gz = Gazetteer(args.out, common_words=False)
    finder = PlaceFinder(gz)
    names = short_names(finder)
    known = {s for s, senses in finder.senses.items() if senses and any(x.strength >= FULL for x in senses)}
    rows = collisions(names, read_dictionary(args.dict), known)
    with (args.out / "common_words.tsv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("word\thides\tkind\tfreq\n")
        fh.writelines("\t".join(map(str, r)) + "\n" for r in rows)
    counts = defaultdict(int)
    for r in rows:
        counts[r[2]] += 1
    print(f"common_words.tsv: {len(rows)} words ({dict(counts)}) from {len(names)} short names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
