"""Urgent same-day visits: who can leave now, and by when he arrives.

A technician can take an urgent visit when, at ``now``:

- it is one of his working days and ``now`` is inside his hours (open to close), and he would arrive
  before closing time;
- no booked visit of his may be in progress or due before he would be done (see
  :func:`bot.booking.itinerary.busy`), and his later visits that day still fit his route;
- he covers the place and services the brand and product (as for windows).

He sets out from his last visit of the day that is certainly over, else from home. The promised
arrival is ``now`` + travel time + ``booking.urgent_slack_minutes``, rounded up to five minutes
("15:10 前到达"); the slack lets the customer take a minute to press the button and still be promised
the truth. Booking re-checks all of it under the technician's lock (:func:`check_urgent`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.booking.calendar import is_working_day, windows_on
from bot.booking.itinerary import Visit, booked_visits, busy, fits, last_place
from bot.booking.offers import URGENT, SlotOffer
from bot.booking.search import eligible_technicians
from bot.booking.settings import BookingSettings, settings
from bot.booking.travel import home_of, km_from, visit_gap
from bot.store.models import Technician

_ROUND = timedelta(minutes=5)


def _round_up(moment: datetime) -> datetime:
    """Up to the next five minutes (15:06 → 15:10), as a promise is said aloud."""
    base = moment.replace(second=0, microsecond=0)
    if base < moment:
        base += timedelta(minutes=1)
    remainder = (base.minute % 5) and (5 - base.minute % 5)
    return base + timedelta(minutes=remainder)


def _departure(tech: Technician, now: datetime, cfg: BookingSettings) -> datetime:
    """``now`` to the minute; one minute later if that is the start of one of his visit windows.

    Slot rows are keyed by (technician, start): an urgent visit must not share its start with a window
    row of the same technician.
    """
    depart = now.replace(second=0, microsecond=0)
    starts = {start for start, _ in windows_on(depart.date(), cfg.hours_for(tech.hours), cfg)}
    return depart + timedelta(minutes=1) if depart in starts else depart


def _trip(
    tech: Technician, route: list[Visit], adcode: str, now: datetime, cfg: BookingSettings
) -> tuple[float | None, int, datetime] | None:
    """(distance km, ETA minutes, closing time) if ``now`` is inside ``tech``'s working hours."""
    hours = cfg.hours_for(tech.hours)
    day = now.date()
    if not is_working_day(day, hours.days, cfg):
        return None
    opens = datetime.combine(day, hours.open, tzinfo=cfg.tz)
    closes = datetime.combine(day, hours.close, tzinfo=cfg.tz)
    if not opens <= now < closes:
        return None
    origin = last_place(route, now, cfg.visit_minutes) or home_of(tech)
    km = km_from(origin, adcode)
    eta = cfg.eta_minutes(km)
    return None if eta is None else (km, eta, closes)


def _free(route: list[Visit], visit: Visit, now: datetime, cfg: BookingSettings) -> bool:
    """Nothing in progress or due while he goes and works there, and the rest of his day still fits."""
    if busy(route, now, visit.end + timedelta(minutes=cfg.visit_minutes), cfg.visit_minutes):
        return False
    return fits([*route, visit], visit_gap(cfg), cfg.visit_minutes)


def urgent_offers(
    session: Session,
    *,
    brand: str | None,
    product: str | None,
    adcode: str,
    town: str | None = None,
    now: datetime,
    count: int = 1,
    config: dict[str, Any] | None = None,
) -> list[SlotOffer]:
    """Same-day arrivals, soonest first (then nearest), one per technician; at most ``count``.

    Empty outside working hours or when nobody who covers the place is free today.
    """
    if now.tzinfo is None:
        raise ValueError("urgent_offers needs a timezone-aware 'now'")
    if count <= 0:
        return []
    cfg = settings(config)
    local = now.astimezone(cfg.tz)
    technicians = eligible_technicians(session, brand=brand, product=product, adcode=adcode, town=town)
    if not technicians:
        return []
    today: date = local.date()
    booked = booked_visits(session, [t.id for t in technicians], today, today, cfg.tz)
    offers: list[SlotOffer] = []
    for tech in technicians:
        route = booked.on(tech.id, today)
        depart = _departure(tech, local, cfg)
        trip = _trip(tech, route, adcode, depart, cfg)
        if trip is None:
            continue
        km, eta, closes = trip
        arrive_by = _round_up(depart + timedelta(minutes=eta + cfg.urgent_slack_minutes))
        if arrive_by <= closes and _free(route, Visit(depart, arrive_by, adcode, urgent=True), depart, cfg):
            offers.append(SlotOffer(tech.id, tech.name, depart, arrive_by, km, eta, kind=URGENT))
    offers.sort(key=lambda o: (o.end, o.distance_km if o.distance_km is not None else float("inf"),
                               o.technician_id))
    return offers[:count]


def check_urgent(
    session: Session,
    tech: Technician,
    offer: SlotOffer,
    *,
    adcode: str | None,
    now: datetime,
    cfg: BookingSettings,
    ignore_ticket: int | None = None,
) -> bool:
    """May ``offer`` (urgent) still be booked at ``now``? The caller holds the technician's lock.

    True when, leaving now, he still arrives by the promised time, is free, and his day still fits.
    """
    if adcode is None:
        return False  # no county: no travel time, no honest promise
    local = now.astimezone(cfg.tz)
    if offer.start.astimezone(cfg.tz).date() != local.date() or local < offer.start - timedelta(minutes=1):
        return False
    booked = booked_visits(session, [tech.id], local.date(), local.date(), cfg.tz,
                           ignore_ticket=ignore_ticket)
    route = booked.on(tech.id, local.date())
    trip = _trip(tech, route, adcode, local, cfg)
    if trip is None:
        return False
    _, eta, closes = trip
    if local + timedelta(minutes=eta) > offer.end or offer.end > closes:
        return False
    return _free(route, Visit(offer.start, offer.end, adcode, urgent=True), local, cfg)
