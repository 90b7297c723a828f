"""A technician's day as a route: can he make every booked visit, arriving inside each window?

Visit windows promise an *arrival* between ``start`` and ``end``; on site he stays ``visit_minutes``,
then needs the travel time to the next visit's county (the same estimate customers see). An urgent
visit is fixed: he arrives at its ``end`` (the "arrive by" time promised). Checking a day is a walk
through its visits by deadline (earliest ``end`` first), arriving as early as each window and the
previous visit allow; if any arrival falls after its window, the day does not fit. That keeps one
technician from ever being booked into two places at once, with capacity > 1 per window as well.

``booked_visits`` reads what is booked; ``fits`` and ``busy`` decide.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session

from bot.booking.travel import Origin, home_of
from bot.store.models import Booking, Slot, Technician, Ticket
from bot.store.types import UTCDateTime

# Bookings that put a technician somewhere: still to come, or done (he was there).
_ON_ROUTE = ("confirmed", "done")

# Minutes from one county to another (None = unknown place).
Travel = Callable[[str | None, str | None], int]


@dataclass(frozen=True, slots=True)
class Visit:
    """One visit on a technician's day: arrival between ``start`` and ``end``, at county ``adcode``."""

    start: datetime
    end: datetime
    adcode: str | None
    urgent: bool = False

    @property
    def earliest(self) -> datetime:
        """The earliest arrival: the window's start, or the promised time of an urgent visit."""
        return self.end if self.urgent else self.start


@dataclass(slots=True)
class Bookings:
    """Booked visits of some technicians, by (technician id, local day), and their full windows."""

    visits: dict[tuple[int, date], list[Visit]]
    full: set[tuple[int, datetime]]

    def on(self, technician_id: int, day: date) -> list[Visit]:
        return self.visits.get((technician_id, day), [])


def fits(visits: Iterable[Visit], travel: Travel, visit_minutes: int) -> bool:
    """Can one technician make all ``visits`` (one day), each arrival inside its window?"""
    stay = timedelta(minutes=visit_minutes)
    free_at: datetime | None = None
    here: str | None = None
    for visit in sorted(visits, key=lambda v: (v.end, v.start)):
        arrive = visit.earliest
        if free_at is not None:
            arrive = max(arrive, free_at + timedelta(minutes=travel(here, visit.adcode)))
        if arrive > visit.end:
            return False
        free_at, here = arrive + stay, visit.adcode
    return True


def busy(visits: Iterable[Visit], start: datetime, end: datetime, visit_minutes: int) -> bool:
    """Is any visit possibly in progress between ``start`` and ``end``?

    Without live tracking, a visit may occupy the technician from its window's start until its latest
    arrival plus the time on site.
    """
    stay = timedelta(minutes=visit_minutes)
    return any(v.start < end and v.end + stay > start for v in visits)


def last_place(visits: Iterable[Visit], now: datetime, visit_minutes: int) -> str | None:
    """County of the latest visit certainly over by ``now`` (where the technician is), or None."""
    stay = timedelta(minutes=visit_minutes)
    over = [v for v in visits if v.end + stay <= now and v.adcode]
    return max(over, key=lambda v: v.end).adcode if over else None


@lru_cache(maxsize=1)
def _visits_statement() -> Select[Any]:
    """Built once (see ``bot.booking.search._eligible_statement``): slots with a seat taken, each with the
    county of every booking on the route."""
    return (
        select(Slot.technician_id, Slot.start, Slot.end, Slot.kind, Slot.capacity, Slot.booked,
               Booking.ticket_id, Ticket.adcode)
        .select_from(Slot)
        .outerjoin(Booking, and_(Booking.slot_id == Slot.id, Booking.status.in_(_ON_ROUTE)))
        .outerjoin(Ticket, Ticket.id == Booking.ticket_id)
        .where(Slot.technician_id.in_(bindparam("ids", expanding=True)),
               Slot.start >= bindparam("start", type_=UTCDateTime()), Slot.start < bindparam("end", type_=UTCDateTime()),
               Slot.booked > 0)
    )


def booked_visits(
    session: Session,
    technician_ids: list[int],
    first_day: date,
    last_day: date,
    tz: ZoneInfo,
    *,
    ignore_ticket: int | None = None,
) -> Bookings:
    """Visits booked for ``technician_ids`` on local days ``first_day``..``last_day``, in one query.

    Whole days, since a visit later the same day still needs the technician to get there.
    ``ignore_ticket``: a ticket being rescheduled does not stand in its own way.
    """
    if not technician_ids:
        return Bookings({}, set())
    start = datetime.combine(first_day, time(), tzinfo=tz)
    end = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=tz)
    rows = session.execute(_visits_statement(), {"ids": technician_ids, "start": start, "end": end})
    visits: dict[tuple[int, date], list[Visit]] = defaultdict(list)
    full: set[tuple[int, datetime]] = set()
    for tech_id, slot_start, slot_end, kind, capacity, booked, ticket_id, adcode in rows:
        if booked >= capacity:
            full.add((tech_id, slot_start))
        if ticket_id is None or ticket_id == ignore_ticket:
            continue
        local_day = slot_start.astimezone(tz).date()
        visits[(tech_id, local_day)].append(Visit(slot_start, slot_end, adcode, kind == "urgent"))
    return Bookings(dict(visits), full)


def whereabouts(session: Session, tech: Technician, now: datetime, tz: ZoneInfo, visit_minutes: int,
                *, ignore_ticket: int | None = None) -> Origin:
    """Where ``tech`` sets out from at ``now``: his last visit today that is certainly over, else home."""
    day = now.astimezone(tz).date()
    route = booked_visits(session, [tech.id], day, day, tz, ignore_ticket=ignore_ticket).on(tech.id, day)
    return last_place(route, now, visit_minutes) or home_of(tech)
