"""Make any inbound text safe to read: no control characters, bounded length, nothing lost silently.

The one definition of what is dropped from a message and of the size limits, used by every layer:
the channels refuse what is larger than :data:`MAX_TEXT_CHARS` and ids longer than
:data:`MAX_ID_CHARS`; the engine (``bot.text_guard``) stores a message whole and understands its first
``dialog.max_message_chars`` (default :data:`MAX_MESSAGE_CHARS`); :func:`nlu.normalize.normalize`
strips the same characters and reads no further either, for callers that skip the engine (``repairbot
parse``). It lives in ``nlu`` because that is the lowest layer that needs it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: How much of one message is understood (longer ones are read this far and the customer is told).
MAX_MESSAGE_CHARS = 500
#: The longest text a front door accepts at all: a chat message, not a document (``server.max_text_chars``).
MAX_TEXT_CHARS = 20_000
#: Opaque identifiers from outside (web user labels, message ids).
MAX_ID_CHARS = 128

# Removed: format characters such as zero-width spaces, joiners, bidi overrides and BOMs (Cf), lone
# surrogates (Cs), private use (Co) and unassigned code points (Cn): invisible, they only hide words
# ("保\u200b险柜" is 保险柜). Other controls (Cc: NUL, ESC, line breaks, tabs) and line/paragraph
# separators become a space: they separate, so "门锁\x00没电" stays two words.
_DROP = {"Cf", "Cs", "Co", "Cn"}
_AS_SPACE = {"Cc", "Zl", "Zp"}


@dataclass(frozen=True, slots=True)
class CleanText:
    """The text to understand, and what was done to it."""

    text: str
    truncated: bool = False
    original_chars: int = 0


def strip_controls(text: str) -> str:
    """``text`` without invisible characters; controls and line separators become spaces.

    Whitespace is not collapsed here (callers do, after their own folding). Printable text, nearly
    every message, is returned as is without a per-character pass.
    """
    if text.isprintable():
        return text
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in _AS_SPACE:
            out.append(" ")
        elif category not in _DROP:
            out.append(ch)
    return "".join(out)


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


def clean_text(raw: str, max_chars: int = MAX_MESSAGE_CHARS) -> CleanText:
    """Drop invisible/control characters, collapse whitespace, keep at most ``max_chars`` characters."""
    raw = raw or ""
    text = " ".join(strip_controls(unicodedata.normalize("NFC", storable(raw) or "")).split())
    if len(text) > max_chars:
        return CleanText(text[:max_chars].rstrip(), truncated=True, original_chars=len(text))
    return CleanText(text, original_chars=len(text))
