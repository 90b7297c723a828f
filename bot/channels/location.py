"""A shared location (latitude, longitude) → the nearest county-level division, by geodesic distance.

Every county-level unit of the gazetteer has a point; the nearest point is the best honest guess of
the county, and the customer confirms it before it is used (``bot.attachments``). A rough planar
distance picks a handful of candidates, geopy's geodesic decides among them. A point farther than
:data:`MAX_KM` from every division (a location abroad, a 0,0 default) gives no county.
"""

from __future__ import annotations

import math
from functools import cache

from regions.gazetteer import COUNTYLESS, GBT, Division, gazetteer

MAX_KM = 150.0
_CANDIDATES = 8


@cache
def _points() -> tuple[tuple[float, float, Division], ...]:
    divisions = gazetteer().counties.values()
    return tuple((d.lat, d.lon, d) for d in divisions if d.kind in (GBT, COUNTYLESS) and not d.weak)


def nearest_county(latitude: float, longitude: float) -> Division | None:
    """The county-level division nearest to the point, or None when nothing is within :data:`MAX_KM`."""
    if not (math.isfinite(latitude) and math.isfinite(longitude)) or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    from geopy.distance import geodesic

    scale = math.cos(math.radians(latitude))
    rough = sorted(_points(), key=lambda p: (p[0] - latitude) ** 2 + ((p[1] - longitude) * scale) ** 2)
    best: tuple[float, Division] | None = None
    for lat, lon, division in rough[:_CANDIDATES]:
        km = float(geodesic((latitude, longitude), (lat, lon)).km)
        if best is None or km < best[0]:
            best = (km, division)
    if best is None or best[0] > MAX_KM:
        return None
    return best[1]
