"""``SlotOffer``: one bookable visit with the technician who would come, and its ``ref`` string.

Two kinds of offer share the booking path:

- a visit **window** of the technician's working day: ref ``"<tech id>@<start>"``, e.g.
  ``"12@2026-11-24T13:00+08:00"``;
- an **urgent** same-day visit: he leaves at ``start`` and arrives by ``end``; ref
  ``"U<tech id>@<start>/<end>"``, e.g. ``"U12@2026-11-24T14:00+08:00/2026-11-24T14:40+08:00"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WEEKDAYS = "一二三四五六日"
WINDOW, URGENT = "window", "urgent"
_URGENT_MARK = "U"


@dataclass(frozen=True, slots=True)
class SlotOffer:
    """A free visit of one technician.

    ``start``/``end`` are timezone-aware in the configured local zone (Asia/Shanghai): the arrival
    window, or for an urgent visit the departure and the latest arrival. ``ref`` is a compact string
    identifying the offer for button values and dialog state; :func:`bot.booking.offer_from_ref` turns
    it back into an offer.
    """

    technician_id: int
    technician_name: str
    start: datetime
    end: datetime
    distance_km: float | None = None
    eta_minutes: int | None = None
    kind: str = WINDOW

    @property
    def urgent(self) -> bool:
        return self.kind == URGENT

    @property
    def arrive_by(self) -> datetime | None:
        """The promised latest arrival of an urgent visit (None for a window)."""
        return self.end if self.urgent else None

    @property
    def ref(self) -> str:
        start = self.start.isoformat(timespec="minutes")
        if self.urgent:
            return f"{_URGENT_MARK}{self.technician_id}@{start}/{self.end.isoformat(timespec='minutes')}"
        return f"{self.technician_id}@{start}"

    @property
    def label(self) -> str:
        """Display form: ``11月24日(周二) 13:00-15:00``, or ``11月24日 14:40 前到达，约 35 分钟``."""
        day = f"{self.start.month}月{self.start.day}日"
        if self.urgent:
            eta = f"，约 {self.eta_minutes} 分钟" if self.eta_minutes is not None else ""
            return f"{day} {self.end:%H:%M} 前到达{eta}"
        return f"{day}(周{WEEKDAYS[self.start.weekday()]}) {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class ParsedRef:
    """What a ref names: the technician, the start, and for an urgent visit the promised arrival."""

    technician_id: int
    start: datetime
    arrive_by: datetime | None = None

    @property
    def kind(self) -> str:
        return URGENT if self.arrive_by is not None else WINDOW


def _aware(text: str, ref: str) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"offer ref without a time zone: {ref!r}")
    return when


def parse_ref(ref: str) -> ParsedRef:
    """Split an offer ref (either form, see module doc); ``ValueError`` when malformed."""
    urgent = ref.startswith(_URGENT_MARK)
    tech, sep, times = ref.removeprefix(_URGENT_MARK).partition("@")
    if not sep or not tech.isdigit():
        raise ValueError(f"not an offer ref: {ref!r}")
    if not urgent:
        return ParsedRef(int(tech), _aware(times, ref))
    start, sep, end = times.partition("/")
    if not sep:
        raise ValueError(f"urgent offer ref without an arrival time: {ref!r}")
    parsed = ParsedRef(int(tech), _aware(start, ref), _aware(end, ref))
    if parsed.arrive_by is None or parsed.arrive_by <= parsed.start:
        raise ValueError(f"urgent offer ref arrives before it leaves: {ref!r}")
    return parsed
