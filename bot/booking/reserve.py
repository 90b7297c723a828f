"""Booking, cancelling and rescheduling visit windows without ever exceeding a slot's capacity.

How capacity holds under any concurrency, on both backends:

1. the slot row is materialised with ``INSERT … ON CONFLICT (technician_id, start) DO NOTHING``, so
   concurrent first bookings of a window agree on one row;
2. the seat is taken with ``UPDATE slot SET booked = booked + 1 WHERE id = :id AND booked < capacity``
   and the row count decides: 1 = booked, 0 = full. PostgreSQL re-checks the WHERE clause after a
   concurrent writer commits; SQLite runs one writer at a time (``BEGIN IMMEDIATE``);
3. a CHECK constraint (``booked <= capacity``) is the last guard.

All functions work inside the caller's transaction and leave committing to the caller.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.booking.calendar import windows_on
from bot.booking.offers import SlotOffer
from bot.booking.settings import settings
from bot.store.db import dialect_insert
from bot.store.models import AuditLog, Booking, FollowUp, Slot, Technician, Ticket
from bot.store.types import utcnow

log = logging.getLogger(__name__)


def _valid_window(tech: Technician, offer: SlotOffer, config: dict[str, Any] | None) -> bool:
    cfg = settings(config)
    local_start = offer.start.astimezone(cfg.tz)
    return any(
        start == offer.start and end == offer.end
        for start, end in windows_on(local_start.date(), cfg.hours_for(tech.hours), cfg)
    )


def _slot_id(session: Session, tech: Technician, start: datetime, end: datetime) -> int:
    session.execute(
        dialect_insert(session, Slot)
        .values(technician_id=tech.id, start=start, end=end, capacity=tech.slot_capacity, booked=0)
        .on_conflict_do_nothing(index_elements=["technician_id", "start"])
    )
    return session.scalars(select(Slot.id).where(Slot.technician_id == tech.id, Slot.start == start)).one()


def _take_seat(session: Session, slot_id: int) -> bool:
    result = session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release_seat(session: Session, slot_id: int) -> None:
    session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked > 0)
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def _reserve(
    session: Session, ticket: Ticket, offer: SlotOffer, config: dict[str, Any] | None, now: datetime | None
) -> Booking | None:
    tech = session.get(Technician, offer.technician_id)
    if tech is None or not tech.active:
        return None
    if offer.start <= (now or utcnow()) or not _valid_window(tech, offer, config):
        return None
    slot_id = _slot_id(session, tech, offer.start, offer.end)
    if not _take_seat(session, slot_id):
        return None
    booking = Booking(
        ticket=ticket,
        slot_id=slot_id,
        status="confirmed",
        distance_km=offer.distance_km,
        eta_minutes=offer.eta_minutes,
    )
    session.add(booking)
    return booking


def book(
    session: Session,
    ticket: Ticket,
    offer: SlotOffer,
    *,
    config: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Booking | None:
    """Book ``offer`` for ``ticket``; None when the window is full, already started, or no longer exists.

    ``now`` (default: the clock) decides what "already started" means, for tests and replays.

    On success the ticket becomes ``booked``. Booking the window a ticket already holds returns that
    booking again (a repeated button press); a ticket holding another window must be rescheduled.
    """
    current = ticket.active_booking
    if current is not None:
        if current.slot.technician_id == offer.technician_id and current.slot.start == offer.start:
            return current
        raise ValueError(f"ticket {ticket.id} already has booking {current.id}; use reschedule()")
    booking = _reserve(session, ticket, offer, config, now)
    if booking is None:
        return None
    ticket.status = "booked"
    session.flush()
    log.info("ticket %s booked technician %s at %s", ticket.id, offer.technician_id, offer.start.isoformat())
    return booking


def cancel(session: Session, booking: Booking, *, actor: str = "customer", reason: str | None = None) -> bool:
    """Cancel a confirmed booking: free its seat, cancel the ticket and its pending follow-ups.

    Returns False (and changes nothing) when the booking is not confirmed.
    """
    if booking.status != "confirmed":
        return False
    _release_seat(session, booking.slot_id)
    now = utcnow()
    booking.status = "cancelled"
    booking.cancelled_at = now
    ticket = booking.ticket
    ticket.status = "cancelled"
    ticket.closed_at = now
    session.execute(
        update(FollowUp)
        .where(FollowUp.ticket_id == ticket.id, FollowUp.status == "pending")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    session.add(
        AuditLog(actor=actor, action="booking.cancel", target=f"booking:{booking.id}", detail={"reason": reason})
    )
    session.flush()
    return True


def reschedule(
    session: Session,
    booking: Booking,
    offer: SlotOffer,
    *,
    actor: str = "customer",
    config: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Booking | None:
    """Move a confirmed booking to ``offer``; None when the new window is unavailable.

    The new seat is taken before the old one is released, so a failed reschedule keeps the original
    booking. The old booking becomes ``rescheduled``. Follow-ups tied to the visit time are the
    caller's to re-plan.
    """
    if booking.status != "confirmed":
        raise ValueError(f"booking {booking.id} is {booking.status}, not confirmed")
    if booking.slot.technician_id == offer.technician_id and booking.slot.start == offer.start:
        return booking
    new = _reserve(session, booking.ticket, offer, config, now)
    if new is None:
        return None
    _release_seat(session, booking.slot_id)
    booking.status = "rescheduled"
    booking.cancelled_at = utcnow()
    booking.ticket.status = "booked"
    session.flush()
    session.add(
        AuditLog(
            actor=actor,
            action="booking.reschedule",
            target=f"booking:{booking.id}",
            detail={"new_booking": new.id, "start": offer.start.isoformat()},
        )
    )
    return new
