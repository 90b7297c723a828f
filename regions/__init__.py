"""China's administrative divisions, per-brand service areas and distances: pure logic, no network.

Public API (data is loaded lazily, once per process):

- ``find_place(text, *, expecting=False) -> PlaceMatch``: free text → place / candidates / nothing
- ``covers(brand, place) -> Coverage``: does the brand serve that place (with town semantics)
- ``distance_km(adcode_a, adcode_b) -> float | None``: geodesic distance between divisions
- ``lookup(adcode) -> Division | None``: county-level record (old codes of renamed units resolve)
- ``towns_of(adcode) -> list[str]``: towns of 东莞/中山/儋州/嘉峪关 and Hainan's province-direct units
"""

from __future__ import annotations

from regions.coverage import Coverage, covers
from regions.distance import distance_km
from regions.finder import find_place
from regions.gazetteer import Division, gazetteer
from regions.place import Place, PlaceMatch


def lookup(adcode: str) -> Division | None:
    """County-level record for a 6-digit code (today's unit for an old code), or ``None``."""
    return gazetteer().lookup(adcode)


def towns_of(adcode: str) -> list[str]:
    """Town names under a countyless city or Hainan province-direct unit; empty for other units."""
    return gazetteer().towns_of(adcode)


__all__ = [
    "Coverage",
    "Division",
    "covers",
    "Place",
    "PlaceMatch",
    "distance_km",
    "find_place",
    "lookup",
    "towns_of",
]
