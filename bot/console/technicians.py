"""Technicians in the console, without HTTP: today's and tomorrow's visits per technician, and
deactivation (sick, left) that lists their future bookings for reassignment.

A deactivated technician (``suspended_at``) gets no new bookings — the booking search only offers
active technicians — and stays inactive across restarts whatever config.yml says (bot/technicians.py
respects it). Their confirmed future visits are not moved silently: each is listed with a link to its
ticket, where an operator picks another window (another technician) and the customer is told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import labels
from bot.console.errors import not_found
from bot.console.services import Context
from bot.console.staff import Staff, audit
from bot.store.models import Booking, Slot, Technician, Ticket


@dataclass(frozen=True, slots=True)
class Job:
    """A confirmed visit on a technician's schedule."""

    ticket_id: int
    start: datetime
    end: datetime
    place: str
    fault: str
    status: str


@dataclass
class TechnicianDay:
    """One technician with their visits today and tomorrow."""

    id: int
    code: str
    name: str
    active: bool
    suspended: bool
    today: list[Job] = field(default_factory=list)
    tomorrow: list[Job] = field(default_factory=list)


def _jobs(session: Session, ctx: Context, technician_ids: list[int], start: datetime, end: datetime) -> list[tuple[int, Job]]:
    rows = session.execute(
        select(Slot.technician_id, Slot.start, Slot.end, Ticket)
        .join(Booking, Booking.slot_id == Slot.id).join(Ticket, Booking.ticket_id == Ticket.id)
        .where(Slot.technician_id.in_(technician_ids), Booking.status == "confirmed", Slot.start >= start,
               Slot.start < end).order_by(Slot.start))
    return [(tech, Job(t.id, s, e, labels.place(t.adcode, t.town), labels.fault(t.fault, ctx.config), t.status))
            for tech, s, e, t in rows]


def schedule(session: Session, ctx: Context, now: datetime) -> list[TechnicianDay]:
    """Every technician with today's and tomorrow's confirmed visits (local days)."""
    techs = list(session.scalars(select(Technician).order_by(Technician.active.desc(), Technician.name)))
    if not techs:
        return []
    today = now.astimezone(ctx.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow, after = today + timedelta(days=1), today + timedelta(days=2)
    days = {t.id: TechnicianDay(t.id, t.code, t.name, t.active, t.suspended_at is not None) for t in techs}
    for tech_id, job in _jobs(session, ctx, list(days), today, after):
        (days[tech_id].today if job.start < tomorrow else days[tech_id].tomorrow).append(job)
    return list(days.values())


def future_jobs(session: Session, ctx: Context, technician_id: int, now: datetime) -> list[Job]:
    """A technician's confirmed visits that have not started yet: what needs another technician."""
    return [job for _, job in _jobs(session, ctx, [technician_id], now, now + timedelta(days=3650))]


def _technician(session: Session, technician_id: int) -> Technician:
    tech = session.get(Technician, technician_id)
    if tech is None:
        raise not_found("师傅")
    return tech


def deactivate(session: Session, ctx: Context, me: Staff, technician_id: int, now: datetime) -> list[Job]:
    """Stop booking this technician; returns their future visits, to be moved one by one."""
    tech = _technician(session, technician_id)
    tech.active = False
    tech.suspended_at = tech.suspended_at or now
    jobs = future_jobs(session, ctx, tech.id, now)
    audit(session, me, "technician.deactivate", f"technician:{tech.id}", now, future_visits=len(jobs))
    return jobs


def activate(session: Session, me: Staff, technician_id: int, now: datetime) -> None:
    """Book this technician again."""
    tech = _technician(session, technician_id)
    tech.active = True
    tech.suspended_at = None
    audit(session, me, "technician.activate", f"technician:{tech.id}", now)


def technician(session: Session, ctx: Context, technician_id: int, now: datetime) -> tuple[TechnicianDay, list[Job]]:
    """One technician and their future visits (the page shown after deactivation)."""
    tech = _technician(session, technician_id)
    return (TechnicianDay(tech.id, tech.code, tech.name, tech.active, tech.suspended_at is not None),
            future_jobs(session, ctx, tech.id, now))
