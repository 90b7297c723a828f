"""Finding free visit windows: ``find_slots`` and ``offer_from_ref``.

Ordering, documented because the dialogs promise it to customers: **earliest first, then nearest**.
The result has one offer per distinct start time (the customer chooses a time, not a person): for each
time, the nearest free technician who covers the place and services the brand and product; equal
distances fall back to the technician id so results are stable.

"Free" means the window is not full *and* the technician's day still works as a route with this visit
added (travel buffers, see :mod:`bot.booking.itinerary`): a window right after a visit 200 km away is
not offered.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session, defer

from bot.booking.calendar import windows_on
from bot.booking.itinerary import Visit, booked_visits, fits, whereabouts
from bot.booking.offers import SlotOffer, parse_ref
from bot.booking.settings import BookingSettings, settings
from bot.booking.travel import home_of, km_from, visit_gap
from bot.store.models import Technician, TechnicianCoverage
from nlu.types import When

log = logging.getLogger(__name__)


def coverage_codes(adcode: str) -> tuple[str, ...]:
    """Codes whose coverage includes county ``adcode``: itself, its prefecture and its province."""
    return tuple(dict.fromkeys((adcode, adcode[:4] + "00", adcode[:2] + "0000")))


@lru_cache(maxsize=1)
def _eligible_statement() -> Select[tuple[Technician]]:
    """Built once: constructing the expression costs more than running it on a warm connection."""
    covering = select(TechnicianCoverage.technician_id).where(
        TechnicianCoverage.adcode.in_(bindparam("codes", expanding=True)),
        # A town parameter of None matches no town row (NULL = NULL is not true): whole areas only.
        or_(TechnicianCoverage.town.is_(None), TechnicianCoverage.town == bindparam("town")),
    )
    return (
        select(Technician)
        .options(defer(Technician.phone))  # personal data, and a decryption per row: not needed here
        .where(Technician.active.is_(True), Technician.id.in_(covering))
        .order_by(Technician.id)
    )


def eligible_technicians(
    session: Session, *, brand: str | None, product: str | None, adcode: str, town: str | None
) -> list[Technician]:
    """Active technicians covering the county (and town) who service ``product`` and ``brand``.

    A coverage row with a town covers only that town; with ``town=None`` only whole-area rows match.
    A technician with an empty ``brands`` list services every brand of his products.
    """
    rows = session.scalars(_eligible_statement(), {"codes": coverage_codes(adcode), "town": town})
    return [
        t
        for t in rows
        if (product is None or product in t.products) and (brand is None or not t.brands or brand in t.brands)
    ]


def _search_range(after: datetime, prefer: When | None, cfg: BookingSettings) -> tuple[datetime, datetime]:
    start, end = after, after + timedelta(days=cfg.horizon_days)
    if prefer is not None and not prefer.asap:
        if prefer.start is not None and prefer.start > start:
            start = prefer.start
        if prefer.end is not None:
            end = prefer.end if prefer.end > start else start
        elif prefer.start is not None:
            end = max(end, start + timedelta(days=cfg.horizon_days))
    return start, end


def find_slots(
    session: Session,
    *,
    brand: str | None,
    product: str | None,
    adcode: str,
    town: str | None = None,
    after: datetime,
    count: int | None = None,
    prefer: When | None = None,
    config: dict[str, Any] | None = None,
) -> list[SlotOffer]:
    """The earliest ``count`` free visit windows for a repair at ``adcode``/``town``.

    Only technicians who cover the place and service the brand and product are considered. A window
    must start after ``after`` plus the booking lead time and the technician's travel time, on a
    working day of that technician (Chinese public holidays and adjusted working days respected), and
    not be full. ``prefer`` (a :class:`nlu.types.When`, e.g. 明天下午) keeps only windows starting
    inside it; ``asap`` or None means no restriction. Ordering: earliest, then nearest (see module doc).
    Returns ``[]`` when nothing matches within the booking horizon (config ``booking.horizon_days``).
    """
    if after.tzinfo is None:
        raise ValueError("find_slots needs a timezone-aware 'after'")
    cfg = settings(config)
    count = cfg.offers if count is None else count
    if count <= 0:
        return []
    technicians = eligible_technicians(session, brand=brand, product=product, adcode=adcode, town=town)
    if not technicians:
        return []
    range_start, range_end = _search_range(after, prefer, cfg)
    if range_end <= range_start:
        return []
    lead = timedelta(minutes=cfg.min_lead_minutes)
    candidates = []
    for tech in technicians:
        km = km_from(home_of(tech), adcode)
        eta = cfg.eta_minutes(km)
        earliest = max(range_start, after + max(lead, timedelta(minutes=eta or 0)))
        candidates.append((tech, km, eta, earliest, cfg.hours_for(tech.hours)))
    day: date = range_start.astimezone(cfg.tz).date()
    last_day = range_end.astimezone(cfg.tz).date()
    booked = booked_visits(session, [t.id for t in technicians], day, last_day, cfg.tz)
    gap = visit_gap(cfg)

    offers: list[SlotOffer] = []
    while day <= last_day and len(offers) < count:
        by_start: dict[datetime, tuple[float, int, SlotOffer]] = {}
        for tech, km, eta, earliest, hours in candidates:
            route = booked.on(tech.id, day)
            for start, end in windows_on(day, hours, cfg):
                if start < earliest or start >= range_end or (tech.id, start) in booked.full:
                    continue
                rank = (km if km is not None else float("inf"), tech.id)
                if start in by_start and rank >= by_start[start][:2]:
                    continue
                if route and not fits([*route, Visit(start, end, adcode)], gap, cfg.visit_minutes):
                    continue
                by_start[start] = (*rank, SlotOffer(tech.id, tech.name, start, end, km, eta))
        for start in sorted(by_start):
            offers.append(by_start[start][2])
            if len(offers) == count:
                break
        day += timedelta(days=1)
    return offers


def offer_from_ref(
    session: Session, ref: str, *, adcode: str | None = None, config: dict[str, Any] | None = None
) -> SlotOffer | None:
    """Rebuild the offer behind ``ref`` (see :mod:`bot.booking.offers`); None if no such visit can exist.

    A window ref must name one of the technician's visit windows; an urgent ref a departure on one of
    his working days. Whether the visit is still free is decided by :func:`bot.booking.book`, which
    checks again under a lock. ``adcode`` (the customer's county) fills in distance and ETA.
    """
    try:
        parsed = parse_ref(ref)
    except ValueError:
        return None
    tech = session.get(Technician, parsed.technician_id)
    if tech is None:
        return None
    cfg = settings(config)
    local = parsed.start.astimezone(cfg.tz)
    windows = windows_on(local.date(), cfg.hours_for(tech.hours), cfg)
    if parsed.arrive_by is not None:
        if not windows:  # not one of his working days
            return None
        # As when it was offered: from where he is at departure (his last finished visit, or home).
        origin = whereabouts(session, tech, local, cfg.tz, cfg.visit_minutes)
        km = km_from(origin, adcode) if adcode else None
        return SlotOffer(tech.id, tech.name, local, parsed.arrive_by.astimezone(cfg.tz), km, cfg.eta_minutes(km),
                         kind="urgent")
    km = km_from(home_of(tech), adcode) if adcode else None
    for win_start, win_end in windows:
        if win_start == local:
            return SlotOffer(tech.id, tech.name, win_start, win_end, km, cfg.eta_minutes(km))
    return None
