"""The packaged division tables (``regions/data/*.tsv``), loaded once and indexed.

Built at build time by ``scripts/build_gazetteer.sh``; this module only reads the files shipped
with the package. Everything here is immutable after loading, so one instance is shared.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from regions.pinyin_index import decode_keys
from regions.place import Place

DATA_DIR = Path(__file__).resolve().parent / "data"

# Kinds of county-level rows.
GBT = "gbt"  # a GB/T 2260 county-level unit
SPECIAL = "special"  # a named area with its own statistical code (苏州工业园区 320571), not GB/T
SUBAREA = "subarea"  # a named area inside a county, no code of its own (吉安市庐陵新区 in 吉州区)
OLD_AREA_PREFIX = "old:"  # key of an old prefecture in Gazetteer.old_areas (never a real adcode)
COUNTYLESS = "countyless"  # a prefecture-level city without counties (东莞): towns hang under it


@dataclass(frozen=True, slots=True)
class Division:
    """One province, prefecture or county-level unit of the gazetteer."""

    adcode: str
    name: str
    short: str
    level: str  # province | prefecture | county
    kind: str  # gbt | special | subarea | countyless
    province_code: str
    province: str
    prefecture_code: str  # "" for province-direct units (天门市, 琼海市)
    prefecture: str
    lat: float
    lon: float
    coord_source: str
    weak: bool
    note: str
    pinyin_name: tuple[str, ...] = ()  # homophone keys of the name (build time)
    pinyin_short: tuple[str, ...] = ()  # … and of the short name (two characters or more)

    @property
    def has_towns(self) -> bool:
        """Towns are part of a place here: 东莞/中山/儋州/嘉峪关 and Hainan's province-direct units."""
        return self.kind == COUNTYLESS or self.adcode.startswith("4690")

    def place(self, town: str | None = None) -> Place:
        """The contract ``Place`` for this county-level unit (optionally narrowed to a town)."""
        if self.kind == COUNTYLESS:
            return Place(self.adcode, self.province, self.name, None, town)
        city = self.prefecture or None
        return Place(self.adcode, self.province, city, self.name, town)


@dataclass(frozen=True, slots=True)
class Change:
    """A dated rename, merge or move, or an old code, pointing to today's unit."""

    date: str
    old_name: str
    old_prefecture: str
    old_province: str
    old_adcode: str
    new_adcode: str
    new_name: str
    kind: str  # renamed | merged | moved | code
    note: str


@dataclass(frozen=True, slots=True)
class Town:
    host_adcode: str
    name: str
    short: str
    pinyin: tuple[str, ...] = ()


class Gazetteer:
    """All tables plus the indexes the finder and coverage need."""

    def __init__(self, data_dir: Path = DATA_DIR, *, common_words: bool = True) -> None:
        """Load the tables of ``data_dir``; ``common_words=False`` leaves out the everyday-word collisions
        (the build step that derives them reads the names without them)."""
        self.provinces: dict[str, Division] = {}
        self.prefectures: dict[str, Division] = {}
        self.counties: dict[str, Division] = {}  # county-level by adcode (incl. countyless cities, specials)
        self.subareas: list[Division] = []  # keyed by their host's adcode
        for row in _read_tsv(data_dir / "divisions.tsv"):
            d = Division(
                row["adcode"],
                row["name"],
                row["short"],
                row["level"],
                row["kind"],
                row["province_code"],
                row["province"],
                row["prefecture_code"],
                row["prefecture"],
                float(row["lat"]),
                float(row["lon"]),
                row["coord_source"],
                row["weak"] == "1",
                row["note"],
                decode_keys(row["pinyin_name"]),
                decode_keys(row["pinyin_short"]),
            )
            if d.level == "province":
                self.provinces[d.adcode] = d
            elif d.level == "prefecture" and d.kind != COUNTYLESS:
                self.prefectures[d.adcode] = d
            elif d.kind == SUBAREA:
                self.subareas.append(d)
            else:
                self.counties[d.adcode] = d
        self.changes = [
            Change(
                r["date"],
                r["old_name"],
                r["old_prefecture"],
                r["old_province"],
                r["old_adcode"],
                r["new_adcode"],
                r["new_name"],
                r["kind"],
                r["note"],
            )
            for r in _read_tsv(data_dir / "changes.tsv")
        ]
        self.prefecture_aliases = [
            (r["alias"], r["adcode"], r["note"]) for r in _read_tsv(data_dir / "prefecture_aliases.tsv")
        ]
        self.towns: dict[str, list[Town]] = defaultdict(list)
        for r in _read_tsv(data_dir / "towns.tsv"):
            self.towns[r["host_adcode"]].append(
                Town(r["host_adcode"], r["town"], r["short"], decode_keys(r["pinyin"]))
            )
        weak_rows = _read_tsv(data_dir / "weak_names.tsv")
        self.weak_names = frozenset(r["surface"] for r in weak_rows)
        self.generic_names = frozenset(r["surface"] for r in weak_rows if r["generic"] == "1")
        self.blocked_names = frozenset(r["surface"] for r in _read_tsv(data_dir / "blocked_names.tsv"))
        # Everyday words that hide a short name (scripts/gazetteer/collisions.py): an exact one is weak,
        # one that contains or overlaps it is "soft" (hides a short name, never a full one).
        collision_rows = _read_tsv(data_dir / "common_words.tsv") if common_words else []
        self.weak_names |= {r["word"] for r in collision_rows if r["kind"] == "weak"}
        self.soft_words = frozenset(
            r["word"] for r in collision_rows if r["kind"] != "weak" and r["word"] not in self.blocked_names
        )
        # Old prefectures (思茅地区, 巢湖地区, 伊克昭盟): the prefectures or counties they are today.
        self.old_areas: dict[str, frozenset[str]] = {}
        self.old_area_names: list[tuple[str, str, str]] = []  # (surface, area key, note)
        for r in _read_tsv(data_dir / "old_prefectures.tsv"):
            key = OLD_AREA_PREFIX + r["old_name"]
            self.old_areas[key] = frozenset(r["today"].split(","))
            for surface in (r["old_name"], *filter(None, r["other_names"].split(","))):
                self.old_area_names.append((surface, key, f"{r['old_name']} ({r['until']}) = {r['note']}"))
        self.county_aliases = [
            (r["alias"], r["adcode"], r["weak"] == "1", r["note"])
            for r in _read_tsv(data_dir / "county_aliases.tsv")
        ]
        self.old_codes = {
            c.old_adcode: c.new_adcode
            for c in self.changes
            if c.old_adcode and c.old_adcode not in self.counties
        }

    def lookup(self, adcode: str) -> Division | None:
        """County-level record by code; old codes of renamed units resolve to today's unit."""
        d = self.counties.get(adcode)
        if d is None and adcode in self.old_codes:
            d = self.counties.get(self.old_codes[adcode])
        return d

    def any_division(self, adcode: str) -> Division | None:
        """Any level: county-level first, then prefecture, then province."""
        return self.lookup(adcode) or self.prefectures.get(adcode) or self.provinces.get(adcode)

    def towns_of(self, adcode: str) -> list[str]:
        """Town names of a countyless city or Hainan province-direct unit (empty for other units)."""
        d = self.lookup(adcode)
        return [t.name for t in self.towns.get(d.adcode, [])] if d else []

    def contains(self, outer: str, county: Division) -> bool:
        """Is the county-level unit inside province/prefecture/county ``outer`` (an adcode, or an old area key)?"""
        area = self.old_areas.get(outer)
        if area is not None:
            return county.adcode in area or county.prefecture_code in area
        return outer in (county.province_code, county.prefecture_code, county.adcode)

    def old_area_counties(self, key: str) -> list[Division]:
        """Today's county-level units of an old prefecture, in code order."""
        area = self.old_areas.get(key, frozenset())
        return sorted(
            (d for d in self.counties.values() if d.adcode in area or d.prefecture_code in area),
            key=lambda d: d.adcode,
        )


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@cache
def gazetteer() -> Gazetteer:
    """The shared, lazily loaded gazetteer."""
    return Gazetteer()
