"""A requested visit time that has no windows: say why in plain words, then offer the nearest ones.

"周六不安排上门", "10月1日是国庆节假期，不安排上门", "11月24日（周二） 20:00-21:00不在师傅的上门时间
内": the customer hears the reason instead of a generic "no free technician". The reason is read from
the windows themselves (a day with no window at all, a time outside every window seen) and from the
official calendar for holidays and weekends, so the dialogs need no copy of the booking settings.
When the day has windows, just not free ones at that time, the answer stays "已约满" (no reason given).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar

from dialogs.services import Offer
from dialogs.texts import day_label, hhmm, say, texts
from dialogs.turn import Turn
from nlu.types import When

_SAME_DAY_COUNT = 12  # more than a working day's windows


def unserved_reason(turn: Turn, prefer: When, seen: list[Offer]) -> str | None:
    """Why ``prefer`` has no windows ("周六不安排上门。"), or None when it is simply booked up.

    ``seen`` are windows already fetched for this intake (they help tell working hours apart).
    """
    if prefer.start is None:
        return None
    end = prefer.end or prefer.start + timedelta(hours=1)
    if end <= turn.now:
        return say("day_past")
    day = prefer.start.date()
    same_day = _windows_on(turn, day, prefer.start)
    if same_day:
        return _outside_hours(prefer.start, end, same_day + seen)
    holiday = _holiday(day)
    if holiday:
        return say("day_off_holiday", day=day_label(prefer.start), holiday=holiday)
    if _weekend(day) and not _windows_on(turn, day + timedelta(days=7), prefer.start):
        return say("day_off_weekend", weekday=texts()["weekdays"][day.weekday()], date=f"{day.month}月{day.day}日")
    return None


def _windows_on(turn: Turn, day: date, like: datetime) -> list[Offer]:
    s = turn.s
    tz = like.tzinfo
    start = max(datetime.combine(day, time(0), tzinfo=tz), turn.now)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    if end <= start or not (s.brand and s.place_value):
        return []
    return turn.services.offers(brand=s.brand, product=s.product, place=s.place_value, after=turn.now,
                                prefer=When(start=start, end=end), count=_SAME_DAY_COUNT)


def _outside_hours(start: datetime, end: datetime, windows: list[Offer]) -> str | None:
    """The requested span lies wholly before the first or after the last window of any day seen."""
    opens = min(w.start.time() for w in windows)
    closes = max(w.end.time() for w in windows)
    if start.time() >= closes or (end.time() <= opens and end.date() == start.date()):
        return say("day_outside_hours", day=day_label(start), start=hhmm(start), end=hhmm(end))
    return None


def _holiday(day: date) -> str | None:
    """The name of the public holiday on ``day`` (国庆节 …), or None (also outside the calendar's table)."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        workday = chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None
    if not on_holiday or workday or not name:
        return None
    return texts()["holiday_names"].get(name, say("holiday_generic"))


def _weekend(day: date) -> bool:
    """Saturday or Sunday that is not an adjusted working day (调休)."""
    if day.weekday() < 5:
        return False
    try:
        return not chinese_calendar.is_workday(day)
    except NotImplementedError:
        return True
