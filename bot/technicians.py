"""Technicians from config.yml into the database: ``sync_from_config(session, config)``; at start-up
``sync_roster(session, config)`` loads them together with the generated demo roster (``roster.demo``).

Each ``technicians:`` entry in config.yml::

    - code: HN01                 # stable key; renaming a technician keeps his bookings
      name: 张建军
      phone: "13800000101"       # demo numbers only; stored encrypted
      base: "410105"             # county-level code of the base, or place text: 郑州市金水区
      products: [safe, lock]
      brands: [丹斯提尼, 旗电佳]   # empty or missing: every brand of those products
      covers:                    # 6-digit codes: county, prefecture (xxxx00) or province (xx0000);
        - "410000"               #   "441900/茶山镇" narrows a code to one town
      hours: {days: mon_sat}     # optional: overrides the global `hours` key by key
      slot_capacity: 1           # optional: visits per window (default booking.slot_capacity)
      active: true               # optional

The sync is idempotent: technicians are matched by ``code``; fields and coverage are updated in place;
technicians no longer in config are deactivated (never deleted: bookings refer to them; their booked
visits stay for an operator to reassign). Technicians from the demo roster or a CSV import are left
alone by the config sync (see :mod:`bot.roster.sync`). A changed ``slot_capacity`` applies to windows
not yet started, never below what is already booked. A change writes one audit row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.booking.settings import DAY_RULES
from bot.roster.sync import SyncReport, TechnicianSpec, apply_specs, take_roster_lock

__all__ = [
    "RosterReport", "SyncReport", "TechnicianConfigError", "TechnicianSpec", "parse_technicians",
    "sync_from_config", "sync_roster",
]

_ADCODE = re.compile(r"^\d{6}$")


class TechnicianConfigError(ValueError):
    """A technicians entry in config.yml is malformed (the message names the entry and the field)."""


def _adcode(value: Any, where: str) -> str:
    text = str(value).strip()
    if not _ADCODE.match(text):
        raise TechnicianConfigError(f"{where}: expected a 6-digit division code, got {value!r}")
    return text


def _base(value: Any, where: str) -> str:
    """A base given as a code, or as place text resolved by the gazetteer (郑州市金水区)."""
    text = str(value or "").strip()
    if _ADCODE.match(text):
        return text
    import regions

    match = regions.find_place(text) if text else None
    if match is None or match.place is None:
        found = "ambiguous" if match is not None and match.candidates else "not found"
        raise TechnicianConfigError(f"{where}: expected a 6-digit division code or a place name, {text!r} is {found}")
    return match.place.adcode


def _cover(value: Any, where: str) -> tuple[str, str | None]:
    code, _, town = str(value).partition("/")
    return _adcode(code, where), (town.strip() or None)


def parse_technicians(config: dict[str, Any]) -> list[TechnicianSpec]:
    """Validate the ``technicians`` section; raises :class:`TechnicianConfigError` naming the bad entry."""
    products = set((config.get("products") or {}).keys())
    brands = config.get("brands") or {}
    default_capacity = int((config.get("booking") or {}).get("slot_capacity", 1))
    specs: list[TechnicianSpec] = []
    seen: set[str] = set()
    for index, raw in enumerate(config.get("technicians") or []):
        where = f"technicians[{index}]"
        if not isinstance(raw, dict):
            raise TechnicianConfigError(f"{where}: expected a mapping")
        code = str(raw.get("code") or "").strip()
        if not code or code in seen:
            raise TechnicianConfigError(f"{where}: missing or duplicate code {code!r}")
        seen.add(code)
        where = f"technician {code}"
        name = str(raw.get("name") or "").strip()
        if not name:
            raise TechnicianConfigError(f"{where}: missing name")
        spec_products = tuple(raw.get("products") or ())
        if not spec_products or not set(spec_products) <= products:
            raise TechnicianConfigError(f"{where}: products must be a non-empty subset of {sorted(products)}")
        spec_brands = tuple(raw.get("brands") or ())
        unknown = [b for b in spec_brands if b not in brands]
        if unknown:
            raise TechnicianConfigError(f"{where}: unknown brands {unknown}")
        covers = frozenset(_cover(c, f"{where} covers") for c in raw.get("covers") or ())
        if not covers:
            raise TechnicianConfigError(f"{where}: covers nothing")
        hours = raw.get("hours") or None
        if hours is not None and hours.get("days", "workdays") not in DAY_RULES:
            raise TechnicianConfigError(f"{where}: hours.days must be one of {DAY_RULES}")
        phone = raw.get("phone")
        specs.append(
            TechnicianSpec(
                code=code,
                name=name,
                phone=str(phone) if phone is not None else None,
                base_adcode=_base(raw.get("base"), f"{where} base"),
                products=spec_products,
                brands=spec_brands,
                covers=covers,
                hours=dict(hours) if hours else None,
                slot_capacity=int(raw.get("slot_capacity", default_capacity)),
                active=bool(raw.get("active", True)),
            )
        )
    return specs


def sync_from_config(session: Session, config: dict[str, Any]) -> SyncReport:
    """Load the configured technicians and their coverage into the database (idempotent).

    Every start-up runs it; processes starting together on one PostgreSQL take turns (see
    :func:`bot.roster.sync.take_roster_lock`).
    """
    specs = parse_technicians(config)
    take_roster_lock(session)
    return apply_specs(session, specs, owned={"config"}, actor="config")


@dataclass(frozen=True, slots=True)
class RosterReport:
    """What the start-up sync changed: config.yml technicians and the demo roster."""

    config: SyncReport
    demo: SyncReport


def sync_roster(session: Session, config: dict[str, Any]) -> RosterReport:
    """Start-up: config.yml technicians, then the demo roster when ``roster.demo`` is on (else its
    technicians are deactivated). Raises :class:`TechnicianConfigError` or
    :class:`bot.roster.demo.DemoRosterError` naming what to fix."""
    from bot.roster.demo import demo_specs

    report = sync_from_config(session, config)
    configured = {str(t.get("code")) for t in config.get("technicians") or [] if isinstance(t, dict)}
    # A code in config.yml is config's, even if the demo file has it too: else the two would take it
    # from each other at every start-up.
    specs = [spec for spec in demo_specs(config) if spec.code not in configured]
    demo = apply_specs(session, specs, owned={"demo"}, actor="demo")
    return RosterReport(config=report, demo=demo)
