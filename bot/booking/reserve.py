"""Booking, cancelling and rescheduling visit windows without ever exceeding a slot's capacity.

How capacity holds under any concurrency, on both backends:

1. the slot row is materialised with ``INSERT … ON CONFLICT (technician_id, start) DO NOTHING``, so
   concurrent first bookings of a window agree on one row;
2. the seat is taken with ``UPDATE slot SET booked = booked + 1 WHERE id = :id AND booked < capacity``
   and the row count decides: 1 = booked, 0 = full. PostgreSQL re-checks the WHERE clause after a
   concurrent writer commits; SQLite runs one writer at a time (``BEGIN IMMEDIATE``);
3. a CHECK constraint (``booked <= capacity``) is the last guard.

Travel buffers hold the same way: before taking a seat, the booking locks the technician's row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time) and checks that his day still
works as a route with the new visit (:mod:`bot.booking.itinerary`), so two bookings of one technician
far apart in adjacent windows can never both succeed. Urgent visits (``offer.urgent``) are re-checked
the same way: still free, and leaving now he still arrives by the promised time.

All functions work inside the caller's transaction and leave committing to the caller.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot.booking.calendar import windows_on
from bot.booking.itinerary import Visit, booked_visits, fits
from bot.booking.offers import SlotOffer
from bot.booking.search import eligible_technicians
from bot.booking.settings import BookingSettings, settings
from bot.booking.travel import visit_gap
from bot.booking.urgent import check_urgent
from bot.store.db import insert_for
from bot.store.models import AuditLog, Booking, Slot, Technician, Ticket
from bot.store.types import utcnow

log = logging.getLogger(__name__)


def _valid_window(tech: Technician, offer: SlotOffer, cfg: BookingSettings) -> bool:
    local_start = offer.start.astimezone(cfg.tz)
    return any(
        start == offer.start and end == offer.end
        for start, end in windows_on(local_start.date(), cfg.hours_for(tech.hours), cfg)
    )


def _lock_technician(session: Session, tech: Technician) -> None:
    """Hold ``tech``'s row until the transaction ends, so bookings of one technician take turns.

    SQLite needs nothing: write transactions start with ``BEGIN IMMEDIATE`` and run one at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Technician.id).where(Technician.id == tech.id).with_for_update())


def _route_fits(session: Session, tech: Technician, offer: SlotOffer, ticket: Ticket, cfg: BookingSettings) -> bool:
    """Does ``tech``'s day still work as a route with this window at the ticket's county?"""
    day = offer.start.astimezone(cfg.tz).date()
    booked = booked_visits(session, [tech.id], day, day, cfg.tz, ignore_ticket=ticket.id)
    route = booked.on(tech.id, day)
    return not route or fits([*route, Visit(offer.start, offer.end, ticket.adcode)], visit_gap(cfg),
                             cfg.visit_minutes)


def _covers(session: Session, tech: Technician, ticket: Ticket) -> bool:
    """Is ``tech`` one who may come to this ticket (place, brand, product)? Urgent refs are re-checked."""
    if ticket.adcode is None:
        return False
    eligible = eligible_technicians(session, brand=ticket.brand, product=ticket.product, adcode=ticket.adcode,
                                    town=ticket.town)
    return any(t.id == tech.id for t in eligible)


@lru_cache(maxsize=4)
def _slot_upsert(dialect: str) -> Any:
    """Built once per dialect: create the slot row or find the existing one, in one statement.

    ``DO UPDATE`` with an unchanged value (not ``DO NOTHING``) so that RETURNING also answers for a row
    that already exists; the seat is taken right after with the conditional UPDATE, which locks the
    row anyway. Concurrent first bookings still agree on one row (the unique key decides).
    """
    table = Slot.__table__
    insert = insert_for(dialect, table).values(
        technician_id=bindparam("technician_id"), start=bindparam("start"), end=bindparam("end"),
        capacity=bindparam("capacity"), booked=0, kind=bindparam("kind"))
    return insert.on_conflict_do_update(
        index_elements=["technician_id", "start"], set_={"technician_id": insert.excluded.technician_id}
    ).returning(table.c.id, table.c.kind, table.c.end)


def _slot_id(session: Session, tech: Technician, offer: SlotOffer) -> int | None:
    """The slot row of ``offer`` (created on first booking); None if its start holds another kind of visit."""
    slot_id, kind, end = session.execute(
        _slot_upsert(session.get_bind().dialect.name),
        {"technician_id": tech.id, "start": offer.start, "end": offer.end, "capacity": tech.slot_capacity,
         "kind": offer.kind},
    ).one()
    return slot_id if kind == offer.kind and end == offer.end else None


@lru_cache(maxsize=2)
def _seat_update(take: bool) -> Any:
    """Take (or give back) one seat of a slot, built once: building it costs more than running it.

    Core on the slot table, not the ORM entity: no slot object is held, so there is nothing to sync.
    """
    table = Slot.__table__
    has_room = table.c.booked < table.c.capacity if take else table.c.booked > 0
    return (update(table).where(table.c.id == bindparam("slot_id"), has_room)
            .values(booked=table.c.booked + (1 if take else -1)))


def _take_seat(session: Session, slot_id: int) -> bool:
    return session.execute(_seat_update(True), {"slot_id": slot_id}).rowcount == 1


def _release_seat(session: Session, slot_id: int) -> None:
    session.execute(_seat_update(False), {"slot_id": slot_id})


def _reserve(
    session: Session, ticket: Ticket, offer: SlotOffer, config: dict[str, Any] | None, now: datetime | None
) -> Booking | None:
    tech = session.get(Technician, offer.technician_id)
    if tech is None or not tech.active:
        return None
    cfg = settings(config)
    now = now or utcnow()
    if not offer.urgent and (offer.start <= now or not _valid_window(tech, offer, cfg)):
        return None
    _lock_technician(session, tech)
    if offer.urgent:
        if not _covers(session, tech, ticket) or not check_urgent(
            session, tech, offer, adcode=ticket.adcode, now=now, cfg=cfg, ignore_ticket=ticket.id
        ):
            return None
    elif not _route_fits(session, tech, offer, ticket, cfg):
        return None
    slot_id = _slot_id(session, tech, offer)
    if slot_id is None or not _take_seat(session, slot_id):
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
    """Book ``offer`` for ``ticket``; None when the window is full, already started, no longer exists,
    or would leave the technician no time to travel between his visits.

    An urgent offer is booked when, leaving at ``now``, the technician is still free and still arrives
    by the promised time (see :mod:`bot.booking.urgent`). ``now`` (default: the clock) decides what
    "already started" means, for tests and replays.

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


def cancel(session: Session, booking: Booking, *, actor: str = "customer", reason: str | None = None,
           now: datetime | None = None) -> bool:
    """Cancel a confirmed booking: free its seat, cancel the ticket and its pending follow-ups.

    Returns False (and changes nothing) when the booking is not confirmed. ``now`` is the caller's
    clock (the engine's, so a demo at ``--now`` keeps one timeline); default the wall clock.
    """
    if booking.status != "confirmed":
        return False
    _release_seat(session, booking.slot_id)
    now = now or utcnow()
    booking.status = "cancelled"
    booking.cancelled_at = now
    ticket = booking.ticket
    ticket.status = "cancelled"
    ticket.closed_at = now
    from bot.followups import cancel_for_ticket

    cancel_for_ticket(session, ticket.id, reason=f"booking cancelled ({reason or actor})")
    session.add(
        AuditLog(actor=actor, action="booking.cancel", target=f"booking:{booking.id}", detail={"reason": reason},
                 at=now)
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
    booking.cancelled_at = now or utcnow()
    booking.ticket.status = "booked"
    session.flush()
    session.add(
        AuditLog(
            actor=actor,
            action="booking.reschedule",
            target=f"booking:{booking.id}",
            detail={"new_booking": new.id, "start": offer.start.isoformat()},
            at=booking.cancelled_at,
        )
    )
    return new
