"""Distances between divisions (geodesic on WGS-84, via geopy) for choosing technicians."""

from __future__ import annotations

from regions.gazetteer import gazetteer


def distance_km(adcode_a: str, adcode_b: str) -> float | None:
    """Geodesic distance in km between two divisions' points; ``None`` if either code is unknown.

    Codes may be county-level (incl. old codes of renamed units), prefecture or province codes.
    """
    gz = gazetteer()
    a, b = gz.any_division(adcode_a), gz.any_division(adcode_b)
    if a is None or b is None:
        return None
    if a.adcode == b.adcode:
        return 0.0
    from geopy.distance import geodesic  # imported on first use: geopy pulls in its geocoders (~0.1 s)

    return float(geodesic((a.lat, a.lon), (b.lat, b.lon)).km)
