"""Which days technicians work and which visit windows each day has.

Public holidays and adjusted working days (调休) come from the ``chinesecalendar`` package. Its table
covers a fixed range of years and raises for others (the State Council publishes each year's schedule
late in the year before); there we fall back to weekends plus the fixed-date statutory holidays
(元旦, 劳动节, 国庆节 1–3 October) and log a warning once per year, rather than refusing to book. The lunar
holidays and the adjusted working days of such a year are unknown until the package is updated.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

from bot.booking.settings import BookingSettings, Hours

log = logging.getLogger(__name__)

_warned_years: set[int] = set()
# Statutory holidays on fixed Gregorian dates (元旦, 劳动节, 国庆节), for years the package does not cover.
FIXED_DATE_HOLIDAYS = frozenset({(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)})


@lru_cache(maxsize=4096)
def _official(day: date) -> tuple[bool, bool]:
    """(is_workday, is_public_holiday) from the official calendar, or the fallback outside its table.

    Cached: every slot search asks for each technician and day, and the package's lookups cost tens of
    microseconds each; the calendar of a given date never changes within a process.
    """
    try:
        workday = chinese_calendar.is_workday(day)
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "chinese_calendar has no data for %s; only weekends and fixed-date holidays are days off",
                day.year,
            )
        fixed = (day.month, day.day) in FIXED_DATE_HOLIDAYS
        return (day.weekday() < 5 and not fixed), fixed
    return workday, bool(on_holiday and name)


def is_working_day(day: date, rule: str, settings: BookingSettings) -> bool:
    """Does a technician with day rule ``rule`` (workdays | mon_sat | every_day) work on ``day``?"""
    if day in settings.closed_dates:
        return False
    if rule == "every_day":
        return True
    if not settings.use_public_holidays:
        return day.weekday() < (6 if rule == "mon_sat" else 5)
    workday, public_holiday = _official(day)
    if rule == "mon_sat":
        # Saturdays are ordinary working days for this rule; holidays and non-adjusted Sundays are off.
        return workday or (day.weekday() == 5 and not public_holiday)
    return workday


@lru_cache(maxsize=64)
def day_windows(hours: Hours) -> tuple[tuple[time, time], ...]:
    """Visit windows of a working day: back-to-back slots from open to close, none crossing lunch."""
    length = timedelta(minutes=hours.slot_minutes)
    anchor = datetime(2000, 1, 1)
    cursor, close = datetime.combine(anchor, hours.open), datetime.combine(anchor, hours.close)
    lunch = (datetime.combine(anchor, hours.lunch[0]), datetime.combine(anchor, hours.lunch[1])) if hours.lunch else None
    windows = []
    while cursor + length <= close:
        end = cursor + length
        if lunch and cursor < lunch[1] and end > lunch[0]:
            cursor = lunch[1]  # the overlapping slot would run into lunch: restart after it
            continue
        windows.append((cursor.time(), end.time()))
        cursor = end
    return tuple(windows)


def windows_on(day: date, hours: Hours, settings: BookingSettings) -> list[tuple[datetime, datetime]]:
    """Timezone-aware visit windows on local date ``day`` (empty on days off)."""
    if not is_working_day(day, hours.days, settings):
        return []
    tz: ZoneInfo = settings.tz
    return [
        (datetime.combine(day, start, tzinfo=tz), datetime.combine(day, end, tzinfo=tz))
        for start, end in day_windows(hours)
    ]
