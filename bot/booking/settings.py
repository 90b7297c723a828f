"""Booking settings read from config.yml: working hours, holidays and the travel-time model.

See the ``hours``, ``holidays`` and ``booking`` sections of config.yml for the meaning of each key.
A technician's own ``hours`` mapping overrides the global one key by key. A malformed value fails when
the settings are parsed, naming the key (``config booking.road_speed_kmh: expected a number > 0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from bot import config_values
from bot.config import load_config

DAY_RULES = ("workdays", "mon_sat", "every_day")


@dataclass(frozen=True, slots=True)
class Hours:
    """When a technician can start visits, in local time."""

    days: str
    open: time
    close: time
    lunch: tuple[time, time] | None
    slot_minutes: int

    def key(self) -> tuple[Any, ...]:
        return (self.days, self.open, self.close, self.lunch, self.slot_minutes)


@dataclass(frozen=True, slots=True)
class BookingSettings:
    """Everything the slot search and the booking need from config."""

    tz: ZoneInfo
    hours: Hours
    use_public_holidays: bool
    closed_dates: frozenset[date]
    horizon_days: int
    min_lead_minutes: int
    slot_capacity: int
    road_speed_kmh: float
    road_factor: float
    eta_buffer_minutes: int
    offers: int
    travel_floor_minutes: int = 10
    visit_minutes: int = 60
    urgent_slack_minutes: int = 5

    def hours_for(self, override: dict[str, Any] | None) -> Hours:
        """The global hours with a technician's overrides applied."""
        if not override:
            return self.hours
        return _merged_hours(self.hours, tuple(sorted((k, _freeze(v)) for k, v in override.items())))

    def eta_minutes(self, distance_km: float | None) -> int | None:
        """Door-to-door travel estimate in minutes, None when the distance is unknown.

        Straight-line distance × road factor at the average road speed, never below the floor (even
        next door a technician has to pack up and drive), plus the buffer for parking and finding the
        door. The customer sees it as the arrival estimate; it is also the gap kept between two visits.
        """
        if distance_km is None:
            return None
        drive = round(distance_km * self.road_factor / self.road_speed_kmh * 60)
        return max(drive, self.travel_floor_minutes) + self.eta_buffer_minutes


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _parse_time(text: Any, what: str) -> time:
    try:
        hour, minute = str(text).strip().split(":")
        return time(int(hour), int(minute))
    except ValueError as exc:
        raise ValueError(f"config hours.{what}: expected HH:MM, got {text!r}") from exc


def _parse_hours(raw: dict[str, Any]) -> Hours:
    days = str(raw.get("days", "workdays"))
    if days not in DAY_RULES:
        raise ValueError(f"config hours.days must be one of {DAY_RULES}, got {days!r}")
    lunch = None
    if raw.get("lunch"):
        first, second = str(raw["lunch"]).split("-")
        lunch = (_parse_time(first, "lunch"), _parse_time(second, "lunch"))
    hours = Hours(
        days=days,
        open=_parse_time(raw.get("open", "09:00"), "open"),
        close=_parse_time(raw.get("close", "18:00"), "close"),
        lunch=lunch,
        slot_minutes=int(raw.get("slot_minutes", 120)),
    )
    if hours.open >= hours.close or hours.slot_minutes <= 0:
        raise ValueError("config hours: open must be before close and slot_minutes positive")
    return hours


def _hours_to_raw(hours: Hours) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "days": hours.days,
        "open": hours.open.strftime("%H:%M"),
        "close": hours.close.strftime("%H:%M"),
        "slot_minutes": hours.slot_minutes,
    }
    if hours.lunch:
        raw["lunch"] = f"{hours.lunch[0].strftime('%H:%M')}-{hours.lunch[1].strftime('%H:%M')}"
    return raw


@lru_cache(maxsize=256)
def _merged_hours(base: Hours, override: tuple[tuple[str, Any], ...]) -> Hours:
    return _parse_hours({**_hours_to_raw(base), **dict(override)})


def _number(section: dict[str, Any], key: str, default: float, *, minimum: float, integer: bool = True,
            exclusive: bool = False) -> Any:
    """``booking.<key>`` as an int (or float) of at least ``minimum`` (above it when ``exclusive``)."""
    return config_values.number(section, key, default, "config booking", minimum=minimum, integer=integer,
                                exclusive=exclusive)


def parse_settings(config: dict[str, Any]) -> BookingSettings:
    """Build settings from a parsed config mapping (missing keys take documented defaults)."""
    hours = config.get("hours") or {}
    holidays = config.get("holidays") or {}
    booking = config.get("booking") or {}
    if not isinstance(booking, dict):
        raise ValueError("config booking: expected a mapping")
    return BookingSettings(
        tz=ZoneInfo(str(config.get("timezone", "Asia/Shanghai"))),
        hours=_parse_hours(hours),
        use_public_holidays=str(holidays.get("calendar", "chinese")) == "chinese",
        closed_dates=frozenset(date.fromisoformat(str(d)) for d in holidays.get("closed", []) or []),
        horizon_days=_number(booking, "horizon_days", 14, minimum=1),
        min_lead_minutes=_number(booking, "min_lead_minutes", 60, minimum=0),
        slot_capacity=_number(booking, "slot_capacity", 1, minimum=1),
        road_speed_kmh=_number(booking, "road_speed_kmh", 40, minimum=0, integer=False, exclusive=True),
        road_factor=_number(booking, "road_factor", 1.3, minimum=1, integer=False),
        eta_buffer_minutes=_number(booking, "eta_buffer_minutes", 15, minimum=0),
        offers=_number(booking, "offers", 3, minimum=1),
        travel_floor_minutes=_number(booking, "travel_floor_minutes", 10, minimum=0),
        visit_minutes=_number(booking, "visit_minutes", 60, minimum=1),
        urgent_slack_minutes=_number(booking, "urgent_slack_minutes", 5, minimum=0),
    )


_cache: dict[int, tuple[dict[str, Any], BookingSettings]] = {}


def settings(config: dict[str, Any] | None = None) -> BookingSettings:
    """Settings for ``config`` (default: the active config.yml), parsed once per config object."""
    config = load_config() if config is None else config
    hit = _cache.get(id(config))
    if hit is not None and hit[0] is config:
        return hit[1]
    parsed = parse_settings(config)
    if len(_cache) > 64:  # configs are few in production; tests build many
        _cache.clear()
    _cache[id(config)] = (config, parsed)
    return parsed
