"""One roster field at a time: text as an operator types it → a checked value, or :class:`FieldError`.

Shared by the CSV import and the demo roster (which is a CSV in the same format). Every error names
the column and says what was expected; none repeats a phone number (personal data ends up in reports
and logs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from typing import Any

from bot.booking.settings import DAY_RULES

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_ADCODE = re.compile(r"^\d{6}$")
_SEPARATORS = re.compile(r"[;；、，,|\s]+")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{9,11}$")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–~至到]\s*(\d{1,2}):(\d{2})$")
_TRUE = {"1", "true", "yes", "y", "是", "在职", "启用"}
_FALSE = {"0", "false", "no", "n", "否", "停用", "离职"}
MAX_CAPACITY = 20
# Mainland China with a margin: a swapped lat/lon pair or a typo lands outside.
_LAT, _LON = (3.0, 54.0), (73.0, 136.0)


@dataclass(frozen=True, slots=True)
class FieldError(ValueError):
    """A value that cannot be used: ``column`` and the ``reason`` in words."""

    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.column}: {self.reason}"


def split_list(text: str) -> list[str]:
    """``"a; b、c"`` → ``["a", "b", "c"]`` (separators people use in a spreadsheet cell)."""
    return [item for item in _SEPARATORS.split(text.strip()) if item]


def code(text: str) -> str:
    """A technician code: 1–32 letters, digits, ``-``, ``_`` or ``.``, starting with a letter or digit."""
    value = text.strip()
    if not _CODE.match(value):
        raise FieldError("code", "expected 1-32 letters, digits, '-', '_' or '.' (e.g. HN02)")
    return value


def name(text: str) -> str:
    """The name customers see (张建军), 1–64 characters."""
    value = text.strip()
    if not value or len(value) > 64:
        raise FieldError("name", "expected a name of 1-64 characters")
    return value


def phone(text: str) -> str | None:
    """A mobile (11 digits, +86 allowed) or a landline with area code; empty means none."""
    from bot.privacy import normalise_phone

    if not text.strip():
        return None
    digits = normalise_phone(text)
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    return _fail("phone", "expected a mobile number (11 digits) or a landline with area code")


def _fail(column: str, reason: str) -> Any:
    raise FieldError(column, reason)


def product_words(config: dict[str, Any]) -> dict[str, str]:
    """Every way to write a product (code, label, words; lower-cased) → its code."""
    words = {}
    for product_code, product in (config.get("products") or {}).items():
        for word in (product_code, (product or {}).get("label"), *((product or {}).get("words") or ())):
            if word:
                words[str(word).lower()] = product_code
    return words


def brand_names(config: dict[str, Any]) -> dict[str, str]:
    """Every catalogue brand name and alias (lower-cased) → the brand's name."""
    names = {}
    for brand, spec in (config.get("brands") or {}).items():
        for word in (brand, *((spec or {}).get("aliases") or ())):
            names[str(word).lower()] = brand
    return names


def _pick(text: str, known: dict[str, str]) -> tuple[list[str], list[str]]:
    found, unknown = [], []
    for item in split_list(text):
        if item.lower() in known:
            found.append(known[item.lower()])
        else:
            unknown.append(item)
    return list(dict.fromkeys(found)), unknown


def products(text: str, words: dict[str, str]) -> tuple[str, ...]:
    """Product codes (safe, lock) or their words (保险柜, 智能锁 …); at least one. ``words``: :func:`product_words`."""
    found, unknown = _pick(text, words)
    expected = ", ".join(sorted(set(words.values())))
    if unknown:
        raise FieldError("products", f"unknown {'、'.join(unknown)} (expected {expected})")
    if not found:
        raise FieldError("products", f"expected at least one of {expected}")
    return tuple(found)


def brands(text: str, names: dict[str, str]) -> tuple[str, ...]:
    """Catalogue brand names or aliases; empty means every brand of his products. ``names``: :func:`brand_names`."""
    found, unknown = _pick(text, names)
    if unknown:
        raise FieldError("brands", f"not in the brand catalogue of config.yml: {'、'.join(unknown)}")
    return tuple(found)


def place_code(text: str, column: str, *, county_only: bool = False) -> str:
    """A 6-digit division code the gazetteer knows, or a place name (焦作市温县, 河南省, 焦作市)."""
    from regions.gazetteer import gazetteer

    value = text.strip()
    gz = gazetteer()
    if _ADCODE.match(value):
        division = gz.lookup(value) if county_only else gz.any_division(value)
        if division is None:
            level = "county-level " if county_only else ""
            raise FieldError(column, f"{value} is not a {level}division code in the gazetteer")
        return division.adcode
    if not county_only:
        hits = {d.adcode: d for table in (gz.provinces, gz.prefectures) for d in table.values()
                if value in (d.name, d.short)}
        # 北京 is a province and its one prefecture: the province covers both.
        distinct = [d for d in hits.values() if d.level == "province" or d.name != d.province]
        if len(distinct) > 1:
            raise FieldError(column, f"{value!r} is ambiguous ({', '.join(sorted(hits))}): give the code")
        if distinct:
            return distinct[0].adcode
    import regions

    match = regions.find_place(value) if value else None
    if match is None or match.place is None:
        found = "ambiguous" if match is not None and match.candidates else "not found"
        raise FieldError(column, f"expected a 6-digit division code or a place name; {value!r} is {found}")
    return match.place.adcode


def covers(text: str) -> frozenset[tuple[str, str | None]]:
    """Areas served: codes or names of counties, prefectures, provinces; ``code/town`` for one town."""
    areas = set()
    for item in split_list(text):
        where, _, town = item.partition("/")
        areas.add((place_code(where, "covers"), town.strip() or None))
    if not areas:
        raise FieldError("covers", "expected at least one area (e.g. 410800 or 焦作市; 441900/茶山镇)")
    return frozenset(areas)


def coordinate(text: str, column: str) -> float | None:
    """A latitude or longitude in decimal degrees (inside China); empty means none."""
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        return _fail(column, "expected decimal degrees, e.g. 34.7466")
    low, high = _LAT if column == "lat" else _LON
    if not low <= value <= high:
        raise FieldError(column, f"{value} is outside China ({low}..{high})")
    return value


def nearest_county(lat: float, lon: float) -> str:
    """The county-level unit whose point is nearest (lat, lon): a home given only as coordinates."""
    from regions.gazetteer import gazetteer

    def squared(d: Any) -> float:
        return (d.lat - lat) ** 2 + ((d.lon - lon) * _cos(lat)) ** 2

    return min(gazetteer().counties.values(), key=squared).adcode


def _cos(lat: float) -> float:
    import math

    return math.cos(math.radians(lat))


def days(text: str) -> str | None:
    """workdays | mon_sat | every_day; empty means the global ``hours.days``."""
    value = text.strip()
    if not value:
        return None
    if value not in DAY_RULES:
        raise FieldError("days", f"expected one of {', '.join(DAY_RULES)}")
    return value


def hours(text: str) -> dict[str, str] | None:
    """``08:00-18:00``: when he starts and ends work; empty means the global hours."""
    value = text.strip()
    if not value:
        return None
    match = _HOURS.match(value)
    try:
        if match is None:
            raise ValueError
        opens, closes = (time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4])))
    except ValueError:
        return _fail("hours", "expected HH:MM-HH:MM, e.g. 08:00-18:00")
    if opens >= closes:
        raise FieldError("hours", "the day must end after it starts")
    return {"open": opens.strftime("%H:%M"), "close": closes.strftime("%H:%M")}


def capacity(text: str, default: int) -> int:
    """Visits per window, 1–20; empty means ``booking.slot_capacity``."""
    value = text.strip()
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= MAX_CAPACITY:
        raise FieldError("capacity", f"expected a whole number from 1 to {MAX_CAPACITY}")
    return int(value)


def active(text: str) -> bool:
    """yes/no (true/false, 1/0, 是/否); empty means yes."""
    value = text.strip().lower()
    if not value or value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return _fail("active", "expected yes or no")


def joined(items: Iterable[str]) -> str:
    """The list form written back to a CSV cell."""
    return ";".join(items)
