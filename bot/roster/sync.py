"""Write technician specs into the database, matched by code: add, update in place, deactivate.

Every loader (config.yml, the demo roster, ``technicians import``) goes through :func:`apply_specs`.
Rows carry their ``source``; a loader deactivates only technicians of the sources it *owns* that its
specs no longer name, so the config sync never switches off imported technicians and vice versa.
Technicians are never deleted (bookings refer to them); a changed ``slot_capacity`` applies to windows
not yet started, never below what is already booked; a change writes one audit row.

Hundreds of technicians are compared on every start-up, so the comparison loads them and their
coverage in two queries and writes nothing when nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session, selectinload

from bot.store.models import AuditLog, Slot, Technician, TechnicianCoverage
from bot.store.types import utcnow

# pg_advisory_xact_lock key for roster writes ("TECHSYNC" in hex, any constant unique to this job).
_PG_SYNC_LOCK = 0x5445434853594E43


@dataclass(frozen=True, slots=True)
class TechnicianSpec:
    """One validated technician, whatever file it came from."""

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
    home: tuple[float, float] | None = None  # (lat, lon) when known more precisely than base_adcode
    source: str = "config"


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

    def summary(self) -> str:
        """``3 added, 1 updated, 0 deactivated, 12 unchanged``."""
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.deactivated)} deactivated, "
                f"{len(self.unchanged)} unchanged")


def take_roster_lock(session: Session) -> None:
    """Processes writing the roster at once on one PostgreSQL take turns (held until the transaction ends),
    so the later ones see the earlier one's rows instead of inserting them again. SQLite's write
    transactions are serialised already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SYNC_LOCK})


def existing_technicians(session: Session, codes: Iterable[str], sources: Iterable[str]) -> dict[str, Technician]:
    """Technicians named by ``codes`` or belonging to ``sources``, with their coverage, by code."""
    codes, sources = list(codes), list(sources)
    conditions = []
    if sources:
        conditions.append(Technician.source.in_(sources))
    if codes:
        conditions.append(Technician.code.in_(codes))
    if not conditions:
        return {}
    query = select(Technician).options(selectinload(Technician.coverage)).where(or_(*conditions))
    return {t.code: t for t in session.scalars(query)}


def _home(tech: Technician) -> tuple[float, float] | None:
    return None if tech.home_lat is None or tech.home_lon is None else (tech.home_lat, tech.home_lon)


def _apply(tech: Technician, spec: TechnicianSpec) -> bool:
    """Copy ``spec`` onto ``tech``; True if anything changed."""
    changed = False
    home = spec.home or (None, None)
    for attr, value in (
        ("name", spec.name),
        ("base_adcode", spec.base_adcode),
        ("products", list(spec.products)),
        ("brands", list(spec.brands)),
        ("hours", spec.hours),
        ("slot_capacity", spec.slot_capacity),
        # Deactivated in the console: its source (config, roster file) does not bring him back; the console does.
        ("active", spec.active and tech.suspended_at is None),
        ("home_lat", home[0]),
        ("home_lon", home[1]),
        ("source", spec.source),
    ):
        if getattr(tech, attr) != value:
            setattr(tech, attr, value)
            changed = True
    if tech.phone != spec.phone:  # compared after the cheap fields: reading it decrypts
        tech.phone = spec.phone
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
    biggest = func.max if session.get_bind().dialect.name == "sqlite" else func.greatest
    session.execute(
        update(Slot)
        .where(Slot.technician_id == tech.id, Slot.start > utcnow(), Slot.capacity != tech.slot_capacity)
        .values(capacity=biggest(Slot.booked, tech.slot_capacity))
        .execution_options(synchronize_session=False)
    )


def apply_specs(
    session: Session,
    specs: list[TechnicianSpec],
    *,
    owned: Iterable[str],
    actor: str,
    existing: dict[str, Technician] | None = None,
) -> SyncReport:
    """Make the database hold ``specs`` (matched by code); deactivate the ``owned`` sources' others.

    The caller holds :func:`take_roster_lock` and decides which codes a source may take over (the
    config sync takes any code; an import refuses codes of other sources before calling this).
    ``existing`` may pass technicians already loaded by :func:`existing_technicians`.
    """
    owned = set(owned)
    if existing is None:
        existing = existing_technicians(session, [s.code for s in specs], owned)
    report = SyncReport()
    previous_capacity = {code: t.slot_capacity for code, t in existing.items()}
    for spec in specs:
        tech = existing.pop(spec.code, None)
        if tech is None:
            tech = Technician(code=spec.code, name=spec.name, base_adcode=spec.base_adcode, coverage=[])
            _apply(tech, spec)
            session.add(tech)
            report.added.append(spec.code)
        elif _apply(tech, spec):
            report.updated.append(spec.code)
            if tech.slot_capacity != previous_capacity[spec.code]:
                _resize_future_slots(session, tech)
        else:
            report.unchanged.append(spec.code)
    for code, tech in existing.items():
        if tech.source in owned and tech.active:
            tech.active = False
            report.deactivated.append(code)
    if report.changed:
        session.add(AuditLog(actor=actor, action="technicians.sync", target="technician", detail=report.to_json()))
    session.flush()
    return report
