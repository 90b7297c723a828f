"""Per-brand service areas: parse a seed page's lists, resolve each entry, describe how.

This module is pure: it turns page *text* into resolved entries and back into YAML-ready data.
Reading seed files and writing ``regions/data/service_areas/<brand>.yml`` is the CLI's job
(``repairbot regions build-service-areas``); ``regions.coverage`` reads the committed YAML.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from regions.finder import FULL, HOMOPHONE, OLD, Reading, finder
from regions.gazetteer import COUNTYLESS, SPECIAL, SUBAREA, gazetteer

RESOLVED, NORMALISED, UNRESOLVED = "resolved", "normalised", "unresolved"
STATUSES = (RESOLVED, NORMALISED, UNRESOLVED)

_HEADER = re.compile(r"服务区域\s*[:：]")
_ENTRY = re.compile(r"^[\u4e00-\u9fff]{2,24}$")
_SEPARATOR = re.compile(r"[、，,]")


@dataclass(frozen=True, slots=True)
class SeedEntry:
    """One listed service area as written on the page, with where it first appeared."""

    raw: str
    line: int
    occurrences: int


@dataclass(frozen=True, slots=True)
class AreaEntry:
    """A seed entry resolved against the gazetteer."""

    raw: str
    status: str
    adcode: str | None
    province: str | None
    city: str | None
    county: str | None
    town: str | None
    note: str | None
    occurrences: int = 1
    line: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "raw": self.raw, "status": self.status, "adcode": self.adcode, "province": self.province,
            "city": self.city, "county": self.county, "town": self.town, "note": self.note,
            "occurrences": self.occurrences, "line": self.line,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> AreaEntry:
        def opt(key: str) -> str | None:
            value = d.get(key)
            return None if value is None else str(value)

        return cls(
            str(d["raw"]), str(d["status"]), opt("adcode"), opt("province"), opt("city"), opt("county"), opt("town"),
            opt("note"), int(d.get("occurrences") or 1), int(d.get("line") or 0),
        )  # fmt: skip


def parse_seed_lists(text: str) -> list[SeedEntry]:
    """Entries of the '…全国服务区域:' lists on a seed page, in order of first appearance.

    A list is the run of lines after a header whose every 、-separated item looks like a place
    name; prose (which also uses 、) ends it. Repeats are counted, not dropped.
    """
    counts: Counter[str] = Counter()
    first_line: dict[str, int] = {}
    in_list = False
    for lineno, raw_line in enumerate(text.splitlines(), 1):
        line = raw_line.strip().replace("\u3000", "")
        if not line:
            continue
        if _HEADER.search(line):
            in_list = True
            continue
        if not in_list:
            continue
        items = [i.strip() for i in _SEPARATOR.split(line) if i.strip()]
        # a list line has several items; a lone name-like line (a heading) ends the list
        if len(items) >= 2 and all(_ENTRY.match(i) for i in items):
            for item in items:
                counts[item] += 1
                first_line.setdefault(item, lineno)
        else:
            in_list = False
    return [
        SeedEntry(raw, first_line[raw], counts[raw]) for raw in sorted(counts, key=first_line.__getitem__)
    ]


def detect_brand(text: str, brands: dict[str, list[str]]) -> str | None:
    """The brand a seed page is about: the catalogue name (or alias) it mentions most often."""
    scores = {name: sum(text.count(a) for a in {name, *aliases} if a) for name, aliases in brands.items()}
    name, best = max(scores.items(), key=lambda kv: kv[1], default=(None, 0))
    return name if best else None


def resolve_entry(entry: SeedEntry) -> AreaEntry:
    """Resolve one listed entry; the note says what was not a plain match (renamed, abbreviated …)."""
    match, reading = finder().explain(entry.raw)
    if match.place is None and not match.candidates:
        pref = finder().prefecture_only(entry.raw)
        if pref is not None:  # a whole prefecture is served: every county in it
            note = f"whole prefecture {pref.name}: covers every county-level unit in it"
            return AreaEntry(
                entry.raw, NORMALISED, pref.adcode, pref.province, pref.name, None, None, note,
                entry.occurrences, entry.line,
            )  # fmt: skip
    if match.place is None or reading is None:
        if match.candidates:
            note = "ambiguous: " + "、".join(p.label for p in match.candidates)
        else:
            note = "no county-level unit or town found in the text"
        return AreaEntry(
            entry.raw, UNRESOLVED, None, None, None, None, None, note, entry.occurrences, entry.line
        )
    place = match.place
    notes = _normalisations(entry.raw, reading)
    status = NORMALISED if notes else RESOLVED
    d = reading.division
    if d.note and d.kind not in (SPECIAL, SUBAREA):
        notes.append(d.note)  # e.g. kept from one source only; informative, not a normalisation
    return AreaEntry(
        entry.raw, status, place.adcode, place.province, place.city, place.county, place.town,
        "; ".join(dict.fromkeys(notes)) or None, entry.occurrences, entry.line,
    )  # fmt: skip


def _normalisations(raw: str, r: Reading) -> list[str]:
    """What had to be interpreted beyond exact official names (empty: a plain resolution)."""
    gz = gazetteer()
    d = r.division
    notes: list[str] = []
    if r.strength == OLD or (r.note and ("renamed" in r.note or "merged" in r.note or "moved" in r.note)):
        notes.append(f"renamed/merged: {r.note}")
    elif r.strength == HOMOPHONE:
        notes.append(f"homophone: {r.note}")
    if d.kind == SPECIAL:
        notes.append(f"{d.name} is not a GB/T 2260 county-level unit ({d.note or 'statistical area code'})")
    if r.town and d.kind != COUNTYLESS and not d.has_towns:
        sub = next((s for s in gz.subareas if s.name == r.town), None)
        notes.append(sub.note if sub else f"{r.town} is an area inside {d.name}")
    elif r.town and r.town not in raw:
        notes.append(f"truncated town name {r.surface} → {r.town}")
    elif r.surface and r.strength < FULL and r.strength not in (OLD, HOMOPHONE) and not r.town:
        notes.append(f"short name {r.surface} → {d.name}")
    for surface, sense in r.context:
        outer = gz.prefectures.get(sense.code) or gz.provinces.get(sense.code)
        if outer is None or sense.kind != "prefecture" or surface == outer.name:
            continue
        if outer.province_code == "630000" and surface.startswith("海南"):
            notes.append(f"{surface} here is Qinghai's {outer.name}, not Hainan province")
        elif _plain_city_short(surface, outer.name):
            continue
        else:
            notes.append(f"abbreviated prefecture {surface} = {outer.name}")
    return notes


def _plain_city_short(surface: str, name: str) -> bool:
    """焦作 for 焦作市 is how everyone writes it: not worth a note (unlike 黔南 for 黔南布依族苗族自治州)."""
    return name.endswith(("市", "地区", "盟")) and name.removesuffix("市").removesuffix("地区") == surface


def build_brand_areas(text: str) -> list[AreaEntry]:
    """Parse and resolve a whole seed page; duplicates (same place from different texts) are noted."""
    entries = [resolve_entry(e) for e in parse_seed_lists(text)]
    first_by_place: dict[tuple[str | None, str | None], str] = {}
    out: list[AreaEntry] = []
    for e in entries:
        note = e.note
        if e.occurrences > 1:
            note = _join(note, f"listed {e.occurrences} times")
        if e.adcode is not None:
            key = (e.adcode, e.town)
            if key in first_by_place:
                note = _join(note, f"same place as entry {first_by_place[key]}")
            else:
                first_by_place[key] = e.raw
        out.append(AreaEntry(e.raw, e.status, e.adcode, e.province, e.city, e.county, e.town, note, e.occurrences,
                             e.line))  # fmt: skip
    return out


def _join(a: str | None, b: str) -> str:
    return f"{a}; {b}" if a else b


def audit_counts(entries: list[AreaEntry]) -> dict[str, int]:
    """Entry counts per status (plus occurrences, i.e. with repeats)."""
    counts = Counter(e.status for e in entries)
    return {
        "entries": len(entries),
        "occurrences": sum(e.occurrences for e in entries),
        RESOLVED: counts[RESOLVED],
        NORMALISED: counts[NORMALISED],
        UNRESOLVED: counts[UNRESOLVED],
        "duplicates": sum(1 for e in entries if e.occurrences > 1 or (e.note and "same place as" in e.note)),
    }
