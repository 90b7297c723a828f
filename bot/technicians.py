"""Technicians from config.yml into the database: ``sync_from_config(session, config)``.

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
visits stay for an operator to reassign). A changed ``slot_capacity`` applies to windows not yet
started, never below what is already booked. A change writes one audit row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from bot.booking.settings import DAY_RULES
from bot.store.models import AuditLog, Slot, Technician, TechnicianCoverage
from bot.store.types import utcnow

_ADCODE = re.compile(r"^\d{6}$")
# pg_advisory_xact_lock key for the sync ("TECHSYNC" in hex, any constant unique to this job).
_PG_SYNC_LOCK = 0x5445434853594E43


class TechnicianConfigError(ValueError):
    """A technicians entry in config.yml is malformed (the message names the entry and the field)."""


@dataclass(frozen=True, slots=True)
class TechnicianSpec:
    """One validated ``technicians`` entry."""

    code: str
    name: str
    phone: str | None
    base_adcode: str
    products: tuple[str, ...]
    brands: tuple[str, ...]
    covers: frozenset[tuple[str, str | None]]
    hours: dict[str, Any] | None
    slot_capacity: int
    active: bool


@dataclass(slots=True)
class SyncReport:
    """What a sync changed, by technician code."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deactivated)

    def to_json(self) -> dict[str, list[str]]:
        return {"added": self.added, "updated": self.updated, "deactivated": self.deactivated}


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


def _apply(tech: Technician, spec: TechnicianSpec) -> bool:
    """Copy ``spec`` onto ``tech``; True if anything changed."""
    changed = False
    for attr, value in (
        ("name", spec.name),
        ("phone", spec.phone),
        ("base_adcode", spec.base_adcode),
        ("products", list(spec.products)),
        ("brands", list(spec.brands)),
        ("hours", spec.hours),
        ("slot_capacity", spec.slot_capacity),
        # Deactivated in the console: config.yml does not bring the technician back, the console does.
        ("active", spec.active and tech.suspended_at is None),
    ):
        if getattr(tech, attr) != value:
            setattr(tech, attr, value)
            changed = True
    current = {(c.adcode, c.town): c for c in tech.coverage}
    for key, row in current.items():
        if key not in spec.covers:
            tech.coverage.remove(row)
            changed = True
    for adcode, town in sorted(spec.covers - current.keys(), key=lambda k: (k[0], k[1] or "")):
        tech.coverage.append(TechnicianCoverage(adcode=adcode, town=town))
        changed = True
    return changed


def _resize_future_slots(session: Session, tech: Technician) -> None:
    """Apply a changed ``slot_capacity`` to windows not yet started, never below what is booked."""
    session.execute(
        update(Slot)
        .where(Slot.technician_id == tech.id, Slot.start > utcnow(), Slot.capacity != tech.slot_capacity)
        .values(capacity=func.max(Slot.booked, tech.slot_capacity) if session.get_bind().dialect.name == "sqlite"
                else func.greatest(Slot.booked, tech.slot_capacity))
        .execution_options(synchronize_session=False)
    )


def sync_from_config(session: Session, config: dict[str, Any]) -> SyncReport:
    """Load the configured technicians and their coverage into the database (idempotent).

    Every start-up runs it; processes starting together on one PostgreSQL take turns (a lock held until
    the transaction ends), so the later ones see the earlier one's rows instead of inserting them again.
    SQLite's write transactions are serialised already.
    """
    specs = parse_technicians(config)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SYNC_LOCK})
    existing = {t.code: t for t in session.scalars(select(Technician))}
    report = SyncReport()
    for spec in specs:
        tech = existing.pop(spec.code, None)
        if tech is None:
            tech = Technician(code=spec.code, name=spec.name, base_adcode=spec.base_adcode, coverage=[])
            _apply(tech, spec)
            session.add(tech)
            report.added.append(spec.code)
        elif _apply(tech, spec):
            report.updated.append(spec.code)
            _resize_future_slots(session, tech)
        else:
            report.unchanged.append(spec.code)
    for code, tech in existing.items():
        if tech.active:
            tech.active = False
            report.deactivated.append(code)
    if report.changed:
        session.add(AuditLog(actor="config", action="technicians.sync", target="technician", detail=report.to_json()))
    session.flush()
    return report
