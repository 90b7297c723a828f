"""The confirmed visit of a ticket, as the progress answer and the TICKET view both show it."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from bot.store.models import Booking, Slot, Technician


class BookedVisit(NamedTuple):
    """A visit booked in this transaction, shaped like a :func:`confirmed_visit` row, so the turn that
    booked it shows it and plans its reminders without reading it back."""

    booking_id: int
    start: datetime
    end: datetime
    name: str
    eta_minutes: int | None


def confirmed_visit(session: Session, ticket_id: int) -> Row | None:
    """The latest confirmed booking of ``ticket_id``: a row with ``booking_id``, ``start``, ``end``,
    ``name`` (the technician) and ``eta_minutes``; None when the ticket has no confirmed visit."""
    return session.execute(_confirmed_visit_statement(), {"ticket_id": ticket_id}).first()


@lru_cache(maxsize=1)
def _confirmed_visit_statement() -> Any:
    """Built once: on a booked chat it runs on most turns, and building it costs more than running it."""
    return (
        select(Booking.id.label("booking_id"), Slot.start, Slot.end, Technician.name, Booking.eta_minutes)
        .join(Booking, Booking.slot_id == Slot.id)
        .join(Technician, Technician.id == Slot.technician_id)
        .where(Booking.ticket_id == bindparam("ticket_id"), Booking.status == "confirmed")
        .order_by(Booking.id.desc())
        .limit(1)
    )
