"""Text clean-up shared by every extractor: width, case, control characters and a length cap."""

from __future__ import annotations

import re
import unicodedata

# Long enough for any real message (addresses included); a pasted novel is read only this far.
MAX_CHARS = 500

_CONTROL = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+")


def normalize(text: str) -> str:
    """Return the form every extractor reads.

    NFKC folds full-width digits and letters (１３８, ＡＢＣ) and compatibility forms; latin is
    lower-cased; control and zero-width characters become spaces (they split words, never join them);
    runs of whitespace collapse. Offsets are not preserved, so extractors report values, not spans.
    """
    if len(text) > MAX_CHARS * 2:
        text = text[: MAX_CHARS * 2]
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    text = " ".join(text.split())
    return text[:MAX_CHARS].lower()


def compact(text: str) -> str:
    """Normalized text without whitespace and punctuation: the form the classifiers read."""
    return "".join(ch for ch in text if ch.isalnum())
