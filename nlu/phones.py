"""Phone numbers: mainland mobiles and landlines with area code, in the forms people type.

Accepted: 13812345678, 138 1234 5678, 138-1234-5678, +86 138…, 0086 138…, 86-138…, full-width
digits, spoken digits (一三八…, 幺 for 1), landlines 010-87654321 / 0371 6123 4567 → digits only.

Flagged ``invalid`` (so the bot asks again) rather than silently dropped: an 11-digit run that is not
a mobile (23812345678, 12012345678), a 10–12-digit run starting with 1, or any digit run when the bot
has just asked for a phone, the text has a phone cue (电话, 手机 …) or is nothing but digits (12345). Not phones: dates (2026-11-24), times (10:30, 10点), prices
(300元), six-digit codes, short numbers without a phone cue.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from nlu.prefilter import guarded

_SPOKEN = str.maketrans("零〇一二三四五六七八九幺两", "0012345678912")
_SPOKEN_RUN = re.compile(r"[零〇一二三四五六七八九幺两]{7,}")
# A digit run that may contain single spaces, dashes or dots between groups, with a country prefix.
# A colon only rules a run out next to digits (10:30 is a time); "电话:021-…" is a label.
# Behind a lookahead on its first characters (nlu.prefilter.guarded): it starts with lookbehinds, so
# ``re`` cannot skip ahead to a digit by itself.
_RUN = guarded(r"(?<![\d.])(?<!\d:)(?:(?:\+|00)\s?86[\s-]?|86-)?\d(?:[\s\-.]?\d)*(?!\d|:\d)")
_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes: 010 and 02x have three digits with an 8-digit local number; the rest 0xxx + 7–8 digits.
_LANDLINE = re.compile(r"^(?:0(?:10|2\d)\d{8}|0[3-9]\d{2}\d{7,8})$")
_CUE = re.compile(r"电话|手机|号码|联系方式|联系我|打我|打给我|致电|座机|微信|tel|phone|call")
_ANY_DIGIT = re.compile(r"\d")
_NOT_DECIMAL = re.compile(r"\D+")
_ONLY_DIGITS = re.compile(r"[\d\s\-+]{5,}")
_UNITS_AFTER = re.compile(r"^\s*(?:元|块|号|点|分|年|月|日|天|个|次|楼|栋|室|单元|米|公斤|kg|%)")


@dataclass(frozen=True, slots=True)
class PhoneReading:
    """``phone`` when a valid number was found; ``invalid`` when a number-like answer was not one."""

    phone: str | None = None
    invalid: bool = False


def canonical_phone(phone: str) -> str:
    """The one written form of a phone number: ASCII digits, no +86/0086 country prefix.

    Used wherever numbers are compared or shown: what the NLU returns, what the keyed lookup hash is
    computed over (so "138 1234 5678", "+86 138-1234-5678" and full-width digits find one customer) and
    what masking shows. Any Unicode decimal digit counts (full-width, Arabic-Indic); everything else
    is dropped. ``0086`` is always the international prefix; a bare ``86`` only before an 11-digit
    number starting with 1, so a landline such as 0861… keeps its digits.
    """
    digits = _NOT_DECIMAL.sub("", phone)  # the regex \d is exactly str.isdecimal
    if not digits.isascii():
        digits = "".join(str(unicodedata.decimal(ch)) for ch in digits)
    if digits.startswith("0086"):
        return digits[4:]
    if digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        return digits[2:]
    return digits


def mask_phone(phone: str | None) -> str:
    """``13812345678`` → ``138****5678``: enough for the customer to recognise, useless to anyone else.

    Canonical form first (``+86 138…`` masks like ``138…``). Eleven digits or more keep the first three
    and last four; seven to ten keep three and two (showing four would leave too few hidden); shorter
    numbers are all stars. Nothing to show is ``-`` (how the bot's texts print a missing phone).
    """
    if not phone:
        return "-"
    digits = canonical_phone(phone)
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
    return "*" * len(digits)


def _first_valid_in_groups(raw: str) -> str | None:
    groups = [g for g in re.split(r"[\s\-.]", raw) if g]
    for i in range(len(groups)):
        digits = ""
        for group in groups[i:]:
            digits += canonical_phone(group)
            if len(digits) > 13:
                break
            number = canonical_phone(digits)
            if _MOBILE.match(number) or _LANDLINE.match(number):
                return number
    return None


def read_phone(text: str, *, expecting: bool = False) -> PhoneReading:
    """Read the first valid phone number in normalized text, or flag an invalid one."""
    text = _SPOKEN_RUN.sub(lambda m: m.group().translate(_SPOKEN), text)
    if not _ANY_DIGIT.search(text):
        return PhoneReading(None, False)  # every number below starts with a digit
    suspicious = False
    # A message that is nothing but a number of 5+ digits is a phone attempt in this chat.
    cue = bool(_CUE.search(text)) or bool(_ONLY_DIGITS.fullmatch(text.strip()))
    for m in _RUN.finditer(text):
        raw = m.group()
        if _DATE.match(raw.strip()):
            continue
        number = canonical_phone(raw)
        if _MOBILE.match(number) or _LANDLINE.match(number):
            return PhoneReading(number)
        if len(number) > 13:
            # Two numbers typed one after the other: try the groups as separate runs.
            found = _first_valid_in_groups(raw)
            if found:
                return PhoneReading(found)
        if _UNITS_AFTER.match(text[m.end() :]):
            continue  # 300元, 10点, 25号楼: a quantity, not a number to call
        mobile_like = len(number) == 11 or (number.startswith("1") and 10 <= len(number) <= 12)
        if mobile_like or ((expecting or cue) and len(number) >= 3):
            suspicious = True
    return PhoneReading(None, suspicious)
