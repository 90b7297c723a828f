"""Value types for a resolved place, shared by the gazetteer, the NLU and the dialogs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Place:
    """A county-level division, optionally narrowed to a town.

    ``adcode`` is the 6-digit GB/T 2260 code of the county-level unit, or of the prefecture for the
    four cities without counties (东莞 441900, 中山 442000, 儋州 460400, 嘉峪关 620200), where
    ``county`` is ``None`` and the town carries the detail. Province-direct units (天门市,
    神农架林区, Hainan's counties) have ``city=None``.
    """

    adcode: str
    province: str
    city: str | None
    county: str | None
    town: str | None = None

    def to_json(self) -> dict[str, str | None]:
        """The contract form used by ``repairbot parse`` and the dialogs."""
        return {
            "adcode": self.adcode,
            "province": self.province,
            "city": self.city,
            "county": self.county,
            "town": self.town,
        }

    @property
    def label(self) -> str:
        """Human-readable name, most specific last: 河南省焦作市温县."""
        parts = [self.province]
        for part in (self.city, self.county, self.town):
            if part and part != parts[-1]:
                parts.append(part)
        return "".join(parts)


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """Outcome of reading a place out of text.

    Exactly one of: ``place`` set (resolved), ``candidates`` with two or more entries (ambiguous: the
    dialog asks), or neither (nothing found). ``note`` explains non-trivial resolutions (renamed,
    abbreviated prefecture, homophone correction) for audits and logs.
    """

    place: Place | None = None
    candidates: tuple[Place, ...] = field(default_factory=tuple)
    note: str | None = None
    span: tuple[int, int] | None = None
