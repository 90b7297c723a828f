"""Masking phone numbers in free text (logs, exception messages).

The masking of one number and its canonical form live in :mod:`nlu.phones` (``mask_phone``,
``canonical_phone``), the lowest layer that needs them; this module finds the numbers in any text.
"""

from __future__ import annotations

import re

from nlu.phones import canonical_phone, mask_phone

#: The canonical form hashed for lookups (the name the store and the engine have always used).
normalise_phone = canonical_phone

_D = "[0-9０-９]"
# Phone-like numbers: mobiles typed any way (+86/0086, spaces or dashes between groups), landlines
# with area code, and any unbroken run of seven or more digits (unknown formats, ID numbers). Dates,
# times, prices and IP addresses (short groups) stay readable.
_PHONE_LIKE = re.compile(
    rf"(?<!{_D})(?:"
    rf"(?:(?:\+|00)?86[\s-]?)?[1１][3-9３-９]{_D}(?:[\s-]?{_D}){{8}}"  # mobile
    rf"|[0０]{_D}{{2,3}}[\s-]?{_D}{{7,8}}"  # landline
    rf"|{_D}{{7,}}"  # anything else long
    rf")(?!{_D})"
)


def mask_text(text: str) -> str:
    """Return ``text`` with every phone-like number masked (``138****5678``)."""
    if not text:
        return text
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)), text)
