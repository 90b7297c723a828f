"""Text clean-up shared by every extractor: width, case, control characters and a length cap."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from nlu.prefilter import guarded
from nlu.text_guard import MAX_MESSAGE_CHARS, strip_controls

# Long enough for any real message (addresses included); a pasted novel is read only this far.
MAX_CHARS = MAX_MESSAGE_CHARS

_TRADITIONAL = Path(__file__).resolve().parent / "data" / "traditional.tsv"
# Single Han characters separated by spaces ("保 险 柜 打 不 开", "门 锁"): a message typed spaced
# out. A lone character is never a word of its own here, so closing the gaps loses nothing.
_SPACED_OUT = guarded(r"(?:(?<![^\s])[\u4e00-\u9fff] )+[\u4e00-\u9fff](?![^\s])")
# Exactly the characters ``str.isalnum`` rejects: the regex engine's word class is alnum plus "_".
_NOT_ALNUM = re.compile(r"[\W_]+")


@cache
def _traditional_chars() -> re.Pattern[str]:
    """Any character of the table: most messages have none, and a search is cheaper than a translate."""
    return re.compile("[" + "".join(map(chr, _simplified_table())) + "]")


@cache
def _simplified_table() -> dict[int, str]:
    """Traditional → simplified for the characters customers use (``nlu/data/traditional.tsv``)."""
    table: dict[int, str] = {}
    for line in _TRADITIONAL.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            trad, simp = line.split("\t")
            table[ord(trad)] = simp
    return table


def normalize(text: str) -> str:
    """Return the form every extractor reads.

    NFKC folds full-width digits and letters (１３８, ＡＢＣ) and compatibility forms; latin is
    lower-cased; controls become spaces and invisible characters go (:func:`nlu.text_guard.strip_controls`);
    runs of whitespace collapse. Traditional characters become simplified (保險櫃 → 保险柜) and a
    message typed with a space between every character is closed up (丹 斯 提 尼 → 丹斯提尼).
    Offsets are not preserved, so extractors report values, not spans.
    """
    if len(text) > MAX_CHARS * 2:
        text = text[: MAX_CHARS * 2]
    text = unicodedata.normalize("NFKC", text)
    text = strip_controls(text)
    if _traditional_chars().search(text):
        text = text.translate(_simplified_table())
    text = " ".join(text.split())
    if " " in text:  # a spaced-out run needs a space; most messages have none
        text = _SPACED_OUT.sub(lambda m: m.group(0).replace(" ", ""), text)
    return text[:MAX_CHARS].lower()


def compact(text: str) -> str:
    """Normalized text without whitespace and punctuation: the form the classifiers read."""
    # One regex pass instead of a Python loop per character; most texts are already compact.
    return text if text.isalnum() else _NOT_ALNUM.sub("", text)
