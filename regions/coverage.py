"""Does a brand serve a place? Reads ``regions/data/service_areas/<brand>.yml`` (committed).

Town semantics: an entry naming a county-level unit covers all of it; an entry naming a town (东莞市茶山镇,
琼海市潭门镇) or an area inside a county (吉安市庐陵新区) covers only that part. So a customer in 东莞
with no town given is neither in nor out: ``covered=None, need_town=True`` and the served towns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from regions.gazetteer import DATA_DIR, gazetteer
from regions.place import Place
from regions.service_areas import UNRESOLVED, AreaEntry

SERVICE_AREAS_DIR = DATA_DIR / "service_areas"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


@dataclass(frozen=True, slots=True)
class Coverage:
    """Answer of :func:`covers`. ``covered`` is ``None`` when it cannot be decided yet (town needed, no place)."""

    covered: bool | None
    reason: str
    need_town: bool = False
    towns: tuple[str, ...] = ()
    entry: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "covered": self.covered, "need_town": self.need_town, "towns": list(self.towns),
            "reason": self.reason, "entry": self.entry,
        }  # fmt: skip


@dataclass
class BrandArea:
    """One brand's served units: whole county-level units, and towns/areas per unit."""

    brand: str
    whole: dict[str, AreaEntry] = field(default_factory=dict)  # adcode → entry
    parts: dict[str, dict[str, AreaEntry]] = field(default_factory=dict)  # adcode → town → entry
    entries: list[AreaEntry] = field(default_factory=list)

    @classmethod
    def from_entries(cls, brand: str, entries: list[AreaEntry]) -> BrandArea:
        area = cls(brand, entries=entries)
        for e in entries:
            if e.status == UNRESOLVED or e.adcode is None:
                continue
            if e.town:
                area.parts.setdefault(e.adcode, {}).setdefault(e.town, e)
            else:
                area.whole.setdefault(e.adcode, e)
        return area

    def covers(self, place: Place | None) -> Coverage:
        """Town semantics: whole units (or whole prefectures) cover everything in them; towns only themselves."""
        brand = self.brand
        if place is None:
            return Coverage(None, "地点未确定")
        adcode = place.adcode
        d = gazetteer().lookup(adcode)
        if d is not None:
            adcode = d.adcode  # an old code of a renamed unit
        label = place.label
        whole = self.whole.get(adcode) or (
            self.whole.get(d.prefecture_code) if d and d.prefecture_code else None
        )
        if whole is not None:
            return Coverage(True, f"在服务范围内：{whole.raw}", entry=whole.raw)
        parts = self.parts.get(adcode)
        if parts:
            towns = tuple(parts)
            if place.town is None:
                unit = place.county or place.city or label
                reason = f"{brand}在{unit}只服务部分镇街：{'、'.join(towns)}，需要确认所在镇街"
                return Coverage(None, reason, need_town=True, towns=towns)
            entry = parts.get(place.town)
            if entry is not None:
                return Coverage(True, f"在服务范围内：{entry.raw}", towns=towns, entry=entry.raw)
            return Coverage(
                False, f"不在服务范围：{label}（{brand}在当地只服务{'、'.join(towns)}）", towns=towns
            )
        return Coverage(False, f"不在服务范围：{label}")


def load_brand_file(path: Path) -> tuple[str, list[AreaEntry]]:
    """Read one ``<brand>.yml``: its brand name and entries."""
    with path.open(encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=_LOADER) or {}
    brand = str(doc.get("brand") or path.stem)
    return brand, [AreaEntry.from_dict(d) for d in doc.get("entries") or []]


@cache
def service_areas() -> dict[str, BrandArea]:
    """All committed service areas keyed by brand name (loaded once)."""
    out: dict[str, BrandArea] = {}
    for path in sorted(SERVICE_AREAS_DIR.glob("*.yml")):
        brand, entries = load_brand_file(path)
        out[brand] = BrandArea.from_entries(brand, entries)
    return out


def covers(brand: str, place: Place | None) -> Coverage:
    """Whether ``brand`` (its config.yml name) serves ``place`` — see the module docstring."""
    area = service_areas().get(brand)
    if area is None:
        return Coverage(False, f"未知品牌或没有服务区域：{brand}")
    return area.covers(place)
