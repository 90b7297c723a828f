"""Make any inbound text safe to read: no control characters, bounded length, nothing lost silently."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Categories removed: controls (Cc), format characters such as zero-width spaces and BOMs (Cf),
# lone surrogates (Cs), private use (Co) and unassigned code points (Cn).
_DROP = {"Cc", "Cf", "Cs", "Co", "Cn"}
_AS_SPACE = {"\n", "\r", "\t", "\u2028", "\u2029", "\x0b", "\x0c"}


@dataclass(frozen=True, slots=True)
class CleanText:
    """The text to understand, and what was done to it."""

    text: str
    truncated: bool = False
    original_chars: int = 0


def storable(raw: str | None) -> str | None:
    """``raw`` with lone surrogates (``"\\ud800"`` in JSON, undecodable bytes read with surrogateescape)
    replaced by U+FFFD: such a string cannot be encoded to UTF-8, so it could be neither encrypted nor
    stored, and the customer's message would be lost."""
    if raw is None:
        return None
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return raw.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return raw


def clean_text(raw: str, max_chars: int) -> CleanText:
    """Drop invisible/control characters, collapse whitespace, keep at most ``max_chars`` characters."""
    raw = raw or ""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", raw.encode("utf-8", "replace").decode("utf-8")):
        if ch in _AS_SPACE:
            out.append(" ")
        elif unicodedata.category(ch) not in _DROP:
            out.append(ch)
    text = " ".join("".join(out).split())
    if len(text) > max_chars:
        return CleanText(text[:max_chars].rstrip(), truncated=True, original_chars=len(text))
    return CleanText(text, original_chars=len(text))
