"""Distances for booking: from a technician to a customer's county, and between two visits.

A technician starts from his home: its coordinates when known (the demo roster lives at prefecture
seats, a CSV may give coordinates), else his county's point in the gazetteer. Customers and visits are
placed at their county's point (a town has no coordinates of its own in the gazetteer). Distances are
geodesic (WGS-84); minutes come from :meth:`bot.booking.settings.BookingSettings.eta_minutes`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from bot.booking.settings import BookingSettings
from bot.store.models import Technician

# Where a trip starts: a county-level (or prefecture/province) code, or (lat, lon).
Origin = str | tuple[float, float]


@lru_cache(maxsize=65536)
def distance_km(a: str, b: str) -> float | None:
    """Distance between two divisions (by adcode) in km, or None when either has no coordinates."""
    if a == b:
        return 0.0
    import regions

    try:
        value = regions.distance_km(a, b)
    except (KeyError, ValueError, LookupError):
        return None
    return None if value is None else round(float(value), 1)


@lru_cache(maxsize=65536)
def _point_km(lat: float, lon: float, adcode: str) -> float | None:
    from regions.gazetteer import gazetteer

    division = gazetteer().any_division(adcode)
    if division is None:
        return None
    from geopy.distance import geodesic

    return round(float(geodesic((lat, lon), (division.lat, division.lon)).km), 1)


def home_of(tech: Technician) -> Origin:
    """Where ``tech`` sets out from at the start of a day."""
    if tech.home_lat is not None and tech.home_lon is not None:
        return (tech.home_lat, tech.home_lon)
    return tech.base_adcode


def km_from(origin: Origin, adcode: str) -> float | None:
    """Distance from ``origin`` to county ``adcode`` in km (None when a point is unknown)."""
    if isinstance(origin, str):
        return distance_km(origin, adcode)
    return _point_km(origin[0], origin[1], adcode)


def visit_gap(cfg: BookingSettings) -> Callable[[str | None, str | None], int]:
    """Minutes needed between two visits in counties ``a`` and ``b``.

    An unknown county (a ticket without a place) counts as next door: the floor and the parking buffer
    still apply, so two visits are never back to back.
    """

    def minutes(a: str | None, b: str | None) -> int:
        km = distance_km(a, b) if a and b else None
        return cfg.eta_minutes(km if km is not None else 0.0) or 0

    return minutes
