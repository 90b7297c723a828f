"""``SlotOffer``: one bookable visit window with the technician who would come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True, slots=True)
class SlotOffer:
    """A free visit window of one technician.

    ``start``/``end`` are timezone-aware in the configured local zone (Asia/Shanghai).
    ``ref`` is a compact string identifying the offer (technician id and start) for button values and
    dialog state; :func:`bot.booking.offer_from_ref` turns it back into an offer.
    """

    technician_id: int
    technician_name: str
    start: datetime
    end: datetime
    distance_km: float | None = None
    eta_minutes: int | None = None

    @property
    def ref(self) -> str:
        return f"{self.technician_id}@{self.start.isoformat(timespec='minutes')}"

    @property
    def label(self) -> str:
        """Display form: ``11月24日(周二) 13:00-15:00``."""
        return (
            f"{self.start.month}月{self.start.day}日(周{WEEKDAYS[self.start.weekday()]}) "
            f"{self.start:%H:%M}-{self.end:%H:%M}"
        )


def parse_ref(ref: str) -> tuple[int, datetime]:
    """Split an offer ref into (technician id, start); ``ValueError`` when malformed."""
    tech, _, start = ref.partition("@")
    when = datetime.fromisoformat(start)
    if when.tzinfo is None:
        raise ValueError(f"offer ref without a time zone: {ref!r}")
    return int(tech), when
