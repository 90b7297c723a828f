"""Requested visit time: 今天下午, 明晚, 后天上午, 周六上午, 今天晚上7点以后, 明天10点, 尽快 …

A day word, a day part and a clock time are read independently and combined into a window relative
to ``now`` (local time of the configured time zone). The windows of day parts are data
(``nlu.day_parts`` in config.yml, passed in as ``NluSettings``; see :class:`TimeReader`). Rules:

- no day word: today, or tomorrow when the window is already over;
- 周六 is the coming Saturday (today if it is Saturday and the window is not over); 下周六 the
  Saturday of next week; 这周六 this week's, even if past;
- a clock hour of 1–6 without a day part is afternoon (people rarely book a 3 a.m. visit);
- "X点以后" runs to the end of the day part (or of the working day); "X点" alone is a one-hour window;
- a window for today that has begun starts now.

Words meaning "as soon as possible" set ``asap`` (with the window too, if one was also named).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from nlu.prefilter import Gates, gate, guarded
from nlu.settings import WHOLE_DAY, NluSettings
from nlu.types import When

# One-character parts only count right after a day word (明晚, 今早); alone they are too common.
_SHORT_PARTS = {"早": "早上", "晚": "晚上"}
# Other ways to say a day part, read as the part they mean.
_PART_ALIASES = {
    "一早": "早上", "清早": "早上", "一大早": "早上", "午后": "下午", "午饭后": "下午",
    "晚饭后": "晚上", "下班后": "晚上", "半夜": "夜里", "深夜": "夜里",
}

_ASAP = re.compile(r"越快越好|越早越好|尽快|尽早|马上|立刻|立即|赶紧|赶快|现在就|现在过来|现在能|急需|加急|第一时间|最快")
# "一点" meaning "a little" (早一点, 晚一点儿, 有一点), not one o'clock; 明晚一点 stays a clock time.
# "一点都不亮", "一点儿也没反应" ("not at all") say how bad the fault is, never when to come.
_A_BIT = re.compile(
    r"(?<![今明昨])(?:[早晚快慢多少好贵近远高低再]|便宜|提前|推迟|有)一点(?:儿|点)?"
    r"(?![钟半\d]|[零〇一二两三四五六七八九十]+分)"
    r"|(?<![今明昨早晚上下午])一点(?:儿)?(?=[都也])"
)
# A past day with its day part tells what happened ("昨天晚上一直响"), not when to come.
_PAST = re.compile(r"(?:大前天|前天|昨天|昨日|昨儿|昨晚|昨夜)(?:早上|早晨|上午|中午|下午|傍晚|晚上|夜里|半夜|深夜)?")
_GREETINGS = re.compile(r"早上好|早晨好|上午好|中午好|下午好|晚上好|晚安|早安")
_NUM = "零〇一二两三四五六七八九十"
_DAY_WORDS = {"大后天": 3, "后天": 2, "明天": 1, "明日": 1, "明儿": 1, "今天": 0, "今日": 0, "今儿": 0}
_DAY = re.compile(r"大后天|后天|明天|明日|明儿|今天|今日|今儿|(?P<short>[今明])(?=[早晚])")
_WEEKDAY = re.compile(r"(?P<which>下个?|这个?|本)?(?:周|星期|礼拜)(?P<d>[一二三四五六日天七1-7])")
_WEEKEND = re.compile(r"(?P<which>下个?|这个?|本)?周末")
# 25号 is a date, but 人民路25号, 晋祠路一段8号, 3号楼 and 5号线 are addresses.
_DATE = re.compile(
    r"(?<![路街道巷弄里村组栋楼区院段期排幢座\d])(?:(?P<m>\d{1,2})月)?(?P<d>\d{1,2})[日号](?![楼院门栋室单元线房铺库坑床\d])"
)


def _clock_pattern(p: str) -> str:
    return (
        rf"(?P<{p}h>\d{{1,2}}|[{_NUM}]{{1,3}})\s*(?:点|时|:|：)"
        rf"(?P<{p}m>半|一刻|三刻|\d{{1,2}}(?:分)?|[{_NUM}]{{1,3}}分)?"
    )


_RANGE = re.compile(_clock_pattern("a") + r"\s*(?:到|至|-|~|～)\s*" + _clock_pattern("b"))
_POINT = re.compile(_clock_pattern("a") + r"\s*(?P<mod>以后|之后|后|以前|之前|前|左右|前后)?")
_SHORT_PART = re.compile(r"(?:[今明]|后天|大后天|周[一二三四五六日天]|星期[一二三四五六日天])([早晚])")
# The patterns as searched: behind a lookahead on their first characters (nlu.prefilter.guarded), since
# none starts with a literal ``re`` could skip ahead by. The gates and the combined time words read them
# as written.
_FIND_RANGE, _FIND_POINT, _FIND_WEEKDAY, _FIND_WEEKEND, _FIND_DATE, _FIND_DAY, _FIND_A_BIT = map(
    guarded, (_RANGE, _POINT, _WEEKDAY, _WEEKEND, _DATE, _DAY, _A_BIT)
)
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    digits = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + digits.get(text[1:], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return digits.get(tens, 0) * 10 + (digits.get(ones, 0) if ones else 0)
    return digits.get(text)


def _minutes(text: str | None) -> int:
    if not text:
        return 0
    if text == "半":
        return 30
    if text == "一刻":
        return 15
    if text == "三刻":
        return 45
    value = _cn_number(text.removesuffix("分"))
    return value if value is not None and 0 <= value < 60 else 0


@dataclass(frozen=True, slots=True)
class _Clock:
    hour: int
    minute: int
    modifier: str | None = None
    until: tuple[int, int] | None = None  # end of an explicit range


def _part_words(parts: dict[str, tuple[int, int]]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One search for the day part named first in a text: the part names of the configuration, then the
    aliases of the parts it has, as one alternation in that order (at one position, the earlier listed
    wins), with the part each word means."""
    meaning: dict[str, str] = {}
    for name in parts:
        if name != WHOLE_DAY:
            meaning.setdefault(name, name)
    for alias, name in _PART_ALIASES.items():
        if name in parts:
            meaning.setdefault(alias, name)
    pattern = re.compile("|".join(map(re.escape, meaning)) if meaning else r"(?!x)x")
    return pattern, meaning


def _find_part(text: str, words: tuple[re.Pattern[str], dict[str, str]]) -> str | None:
    """The day part named first in the text (``_part_words``), else a one-character one after a day word."""
    pattern, meaning = words
    m = pattern.search(text)
    if m:
        return meaning[m.group()]
    m = _SHORT_PART.search(text)
    return _SHORT_PARTS[m.group(1)] if m else None


def _find_clock(text: str, may_range: bool = True) -> _Clock | None:
    """The clock time or range named first; ``may_range`` is false when the gate rules a range out."""
    m = _FIND_RANGE.search(text) if may_range else None
    if m:
        h1, h2 = _cn_number(m.group("ah")), _cn_number(m.group("bh"))
        if h1 is not None and h2 is not None and h1 <= 24 and h2 <= 24:
            return _Clock(h1, _minutes(m.group("am")), None, (h2, _minutes(m.group("bm"))))
    for m in _FIND_POINT.finditer(text):
        # "10:30" is a clock only with the colon form complete; "3点" needs 点/时.
        hour = _cn_number(m.group("ah"))
        if hour is None or hour > 24:
            continue
        return _Clock(hour, _minutes(m.group("am")), m.group("mod"))
    return None


def _to_24h(hour: int, part: str | None) -> int:
    if part in ("下午", "傍晚", "晚上", "夜里") and hour < 12:
        return hour + 12
    if part == "中午" and hour < 6:
        return hour + 12
    if part is None and 1 <= hour <= 6:
        return hour + 12
    return hour % 24 if hour != 24 else 0


def _resolve_day(
    text: str, today: date, may: tuple[bool, bool, bool, bool] = (True, True, True, True)
) -> tuple[date | None, bool, date | None]:
    """(day, flexible, weekend_end): ``flexible`` means "roll a week forward if already over".

    ``may`` says which of the weekend, weekday, day-word and date patterns may match at all (a
    pattern that cannot is not run; see nlu.prefilter).
    """
    may_weekend, may_weekday, may_day, may_date = may
    m = _FIND_WEEKEND.search(text) if may_weekend else None
    if m:
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6 and not m.group("which"):
            saturday = today - timedelta(days=1)  # on Sunday, "周末" is this (remaining) weekend
        if m.group("which") and m.group("which").startswith("下"):
            saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
            if saturday - today < timedelta(days=7) and today.weekday() < 5:
                saturday += timedelta(days=7)
        return saturday, False, saturday + timedelta(days=1)
    m = _FIND_WEEKDAY.search(text) if may_weekday else None
    if m:
        target = _WEEKDAY_INDEX.get(m.group("d"), int(m.group("d")) - 1 if m.group("d").isdigit() else 0)
        which = m.group("which") or ""
        monday = today - timedelta(days=today.weekday())
        if which.startswith("下"):
            return monday + timedelta(days=7 + target), False, None
        if which.startswith(("这", "本")):
            return monday + timedelta(days=target), False, None
        return today + timedelta(days=(target - today.weekday()) % 7), True, None
    m = _FIND_DAY.search(text) if may_day else None
    if m:
        word = m.group()
        if m.group("short"):
            word = "今天" if m.group("short") == "今" else "明天"
        return today + timedelta(days=_DAY_WORDS[word]), False, None
    m = _FIND_DATE.search(text) if may_date else None
    if m:
        day = int(m.group("d"))
        month = int(m.group("m")) if m.group("m") else today.month
        year = today.year
        try:
            candidate = date(year, month, day)
            if candidate < today:
                if m.group("m"):
                    candidate = date(year + 1, month, day)
                else:
                    month = month % 12 + 1
                    candidate = date(year + (month == 1), month, day)
        except ValueError:
            return None, False, None
        return candidate, False, None
    return None, False, None


class TimeReader:
    """Reads visit windows with one configuration's day parts and time zone (thread-safe, immutable)."""

    def __init__(self, settings: NluSettings) -> None:
        self.parts = settings.day_part_windows
        self.zone: tzinfo = ZoneInfo(settings.timezone)
        self._part_words = _part_words(self.parts)
        names = sorted({*self.parts, *_PART_ALIASES}, key=len, reverse=True)
        # Most messages name no time: the characters every time expression needs say so before any
        # regex runs (see nlu.prefilter). The subs in ``read`` only blank text, so they add no match.
        said = [_RANGE, _POINT, _WEEKDAY, _WEEKEND, _DATE, _DAY, _SHORT_PART, *map(re.escape, names)]
        self._gates = Gates([
            gate(said), gate([_ASAP]), gate([_A_BIT, *said]),  # anything at all; asap; for strip
            gate([_GREETINGS]), gate([_PAST]), gate([_A_BIT]),  # the blanking in read
            gate([_WEEKEND]), gate([_WEEKDAY]), gate([_DAY]), gate([_DATE]),  # _resolve_day
            gate([_SHORT_PART, *map(re.escape, names)]), gate([_RANGE, _POINT]),  # _find_part, _find_clock
            gate([_RANGE]),  # a range needs 到/至/-/~ besides the clock words: most clock times are points
        ])
        self._time_words = guarded(
            "|".join(
                [_RANGE.pattern, _POINT.pattern.replace("(?P<a", "(?P<c"), _WEEKDAY.pattern.replace("(?P<", "(?P<w"),
                 _WEEKEND.pattern.replace("(?P<", "(?P<e"), _DATE.pattern.replace("(?P<", "(?P<x"),
                 _DAY.pattern.replace("(?P<", "(?P<y"), *map(re.escape, names)]
            )
        )

    def local_now(self, now: datetime | None = None) -> datetime:
        """``now`` in the local zone; a naive value is taken as local time; default: the current time."""
        if now is None:
            return datetime.now(self.zone)
        return now.replace(tzinfo=self.zone) if now.tzinfo is None else now.astimezone(self.zone)

    def read(self, text: str, now: datetime | None = None) -> When | None:
        """The visit window named in normalized text, or ``None`` when no time is mentioned."""
        opened = self._gates.open(text)
        may_say_when, may_say_asap, _may_strip, greeting, past, a_bit = opened[:6]
        if not may_say_when and not may_say_asap:
            return None
        # Blanking only removes characters: what could not match before cannot match after.
        if greeting:
            text = _GREETINGS.sub(" ", text)
        if past:
            text = _PAST.sub(" ", text)
        if a_bit:
            text = _FIND_A_BIT.sub(" ", text)
        asap = may_say_asap and bool(_ASAP.search(text))
        if not may_say_when:
            return When(asap=True) if asap else None
        now = self.local_now(now).replace(second=0, microsecond=0)
        parts = self.parts
        day, flexible, weekend_end = _resolve_day(text, now.date(), opened[6:10])
        part = _find_part(text, self._part_words) if opened[10] else None
        clock = _find_clock(text, opened[12]) if opened[11] else None
        if day is None and part is None and clock is None:
            return When(asap=True) if asap else None

        zone = now.tzinfo
        explicit_day = day is not None
        day = day or now.date()
        start_h, end_h = parts.get(part or WHOLE_DAY, parts[WHOLE_DAY])
        start = datetime.combine(day, time(start_h % 24), zone)
        end = datetime.combine(day, time(0), zone) + timedelta(hours=end_h)
        if clock:
            at = datetime.combine(day, time(_to_24h(clock.hour, part), clock.minute), zone)
            if clock.until:
                until = datetime.combine(day, time(_to_24h(clock.until[0], part), clock.until[1]), zone)
                if until <= at:
                    until += timedelta(hours=12) if until + timedelta(hours=12) > at else timedelta(days=1)
                start, end = at, until
            elif clock.modifier in ("以后", "之后", "后"):
                day_end = datetime.combine(day, time(0), zone) + timedelta(hours=parts[WHOLE_DAY][1])
                start, end = at, max(end if end > at else day_end, at + timedelta(hours=1))
            elif clock.modifier in ("以前", "之前", "前"):
                start, end = (start if start < at else at - timedelta(hours=2)), at
            elif clock.modifier in ("左右", "前后"):
                start, end = at - timedelta(minutes=30), at + timedelta(minutes=30)
            else:
                start, end = at, at + timedelta(hours=1)
        if weekend_end is not None:
            end = datetime.combine(weekend_end, time(0), zone) + timedelta(hours=end_h)
        if end <= now and (not explicit_day or flexible):
            shift = timedelta(days=7 if flexible else 1)
            start, end = start + shift, end + shift
        if start < now < end:
            start = now
        return When(asap=asap, start=start, end=end)

    def strip(self, text: str) -> str:
        """The text with its time expressions (days, day parts, clock times) replaced by spaces.

        The intent classifier reads what is left: 明天下午 says when, not whether the customer is
        asking for a first visit or a change of one.
        """
        opened = self._gates.open(text)
        if not opened[2]:
            return text  # no time expression can be in it
        if opened[5]:
            # 便宜一点 / 早一点 keep their comparative (that is the request), only "一点" goes.
            text = _FIND_A_BIT.sub(lambda m: m.group()[: m.group().index("一点")] + " ", text)
        # Blanking only removes characters: a time word that could not match before cannot match after.
        return self._time_words.sub(" ", text) if opened[0] else text
