"""Picks typed in words instead of pressed: "第2个时间", "选3", "最早的那个", "周五上午那个", "就 8 点那个".

Pressing a button sends its value, and that stays the contract (``turn.match_choice``). Customers also
type their pick, on every channel; :func:`pick` reads such a message against the buttons on screen
(``state.choices``) and answers with the one button it names, with the few it could mean (the dialog
then asks which: :class:`Ambiguous`), or with ``None`` (the message is read as anything else).

Numbers count the buttons as shown, in order, exactly like the terminal's and WeChat's numbered lists,
so "2" means the same button whatever the front door.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from dialogs.state import ConversationState
from dialogs.texts import squash, texts
from dialogs.turn import Choice, match_choice
from nlu.types import Parse

# Button kinds that stand for a visit window (their ``data`` is an Offer.to_json()).
WINDOW_KINDS = ("offer", "reschedule")
# Buttons that are not one of the listed options ("another time", "hand me to a person" …):
# "the last one" and superlatives never land on them.
_EXTRA_KINDS = ("other_time", "handoff", "brand_other", "brand_unknown")
# Intents that mean the customer is asking for something else, not answering the buttons.
_OTHER_BUSINESS = ("ask_human", "complaint", "cancel", "ask_price")

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(\d{1,2}|[零一二两三四五六七八九十]{1,3})"
# What may stand before and after a pick typed as a position: "好的，那就第一个吧", "我选最后那个就行".
_PICK_HEAD = r"^(?:好的|好吧|好|行|嗯+|呃+|额|那个|就是|ok|okay|可以|那|那就|就|我|我就|还是|麻烦|帮我|给我)*(?:要|选|选择|挑|定|约|订|预约|安排)?"
_PICK_TAIL = (r"(?:时间段|时间|时段|选项|师傅|档)?(?:的)?(?:那个|这个|那一个|这一个)?"
              r"(?:吧|啊|呀|哦|了|就行|就好|可以|行|好了|谢谢)*$")
# "第2个", "选3", "就第二个吧", "要1号": a position (the whole message is the pick).
_POSITION = re.compile(_PICK_HEAD + r"(?:第)?" + _NUM + r"(?:个|号|项|条|种)?" + _PICK_TAIL)
# "最后一个", "要最后那个吧": the last listed option.
_LAST = re.compile(_PICK_HEAD + r"(?:最后|最末)(?:一个|那个|那一个|一项|个)?" + _PICK_TAIL)
_ENGLISH_POSITION = re.compile(r"^(?:the|option|number|no|#|choice)?(\d|first|second|third|fourth|fifth|1st|2nd|3rd|"
                               r"4th|5th|last)(?:one|option)?(?:please|pls)?$")
_ENGLISH_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
                     "fifth": 5, "5th": 5}
_FROM_END = re.compile(r"倒数第" + _NUM + r"个?")
_DAY_OF_MONTH = re.compile(r"(?:(\d{1,2})月)?(\d{1,2})[日号]")
_WEEKDAY = re.compile(r"(下个?|这个?|本)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_CLOCK = re.compile(_NUM + r"\s*(?:点|:|：|时)\s*(半|\d{1,2})?")
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
# Hours (start of a window) each part of the day covers, [from, to).
_PARTS = {"早上": (0, 10), "早晨": (0, 10), "上午": (0, 12), "中午": (11, 14), "下午": (12, 18),
          "傍晚": (17, 19), "晚上": (18, 24), "夜里": (18, 24)}
_PM_PARTS = ("下午", "傍晚", "晚上", "夜里")
# "Whichever comes first": the earliest window ("随便" to a list of windows means any will do).
_EARLIEST = ("最早", "最快", "最近", "越快越好", "越早越好", "最先", "随便", "都行", "都可以", "哪个都行", "earliest",
             "soonest")
# Words of a question about the windows ("最早什么时候能来"), which never pick one.
_ASKING = ("什么时候", "啥时候", "什么时间", "几点", "哪天", "多久", "when")
# Filler around a named pick: "就南京那个吧" → 南京.
_FILLER_HEAD = re.compile(r"^(?:那|那就|就|我|我就|是|在|我在|我要|我选|要|选|选择)+")
_FILLER_TAIL = re.compile(r"(?:的|那个|这个|那一个|这一个|那边|这边|吧|啊|呀|哦|呢|嘛|了|就行|就好|可以)+$")


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A typed pick that fits several buttons, or names a position that is not on screen.

    ``options`` are the buttons it could mean (``state.choices`` entries); empty when the number was out
    of range. The dialog asks a short question instead of re-showing everything silently.
    """

    options: tuple[dict[str, Any], ...] = ()


def pick(state: ConversationState, parse: Parse, now: datetime) -> Choice | Ambiguous | None:
    """The button ``parse.text`` names among ``state.choices`` (see the module docstring)."""
    exact = match_choice(state, parse.text)
    if exact is not None or not state.choices:
        return exact
    said = squash(parse.text)
    answer = _yes_no(state, said)  # "确定取消" answers "取消吗？", though it reads as a cancel request
    if answer is not None:
        return answer
    single = _the_one_window(state, said)  # "可以" to the one window on screen takes it
    if single is not None:
        return single
    if not said:
        return None
    shown = state.choices
    # A whole message that is a position ("要最后一个") is a pick whatever intent the NLU guessed for it.
    position = _position(said, shown)
    if position is not None:
        return position
    if parse.intent in _OTHER_BUSINESS or _brings_new_facts(state, parse):
        return None
    windows = [c for c in shown if c["kind"] in WINDOW_KINDS]
    if windows:
        by_time = _by_time(windows, parse.text, said, now)
        if by_time is not None:
            return by_time
    named = [c for c in shown if c["kind"] not in (*WINDOW_KINDS, "yes", "no")]
    return _by_name(named, said) if named else None


def _choice(c: dict[str, Any]) -> Choice:
    return Choice(c["kind"], c["value"], c.get("data"))


def _one_or_ask(found: list[dict[str, Any]]) -> Choice | Ambiguous | None:
    if not found:
        return None
    return _choice(found[0]) if len(found) == 1 else Ambiguous(tuple(found))


def _brings_new_facts(state: ConversationState, parse: Parse) -> bool:
    """A message that also corrects the intake ("我在孟州，明天下午") is not a pick among old buttons."""
    p = parse
    if p.place is not None and (not state.place or p.place.adcode != state.place.get("adcode")):
        return True
    return bool((p.brand and p.brand != state.brand) or (p.product and p.product != state.product)
                or (p.phone and p.phone != state.phone) or p.address)


# -- yes / no ---------------------------------------------------------------------------------------
def _yes_no(state: ConversationState, said: str) -> Choice | None:
    kinds = {c["kind"]: c for c in state.choices}
    if "yes" not in kinds or "no" not in kinds:
        return None
    words = _answer_words()
    # "不取消了", "嗯好的吧", "确定啊": the answer with a filler before or a particle after.
    core = _ANSWER_TAIL.sub("", _ANSWER_HEAD.sub("", said)) or said
    for answer in (said, core):
        if answer in words["yes"]:
            return _choice(kinds["yes"])
        if answer in words["no"]:
            return _choice(kinds["no"])
    return None


def _the_one_window(state: ConversationState, said: str) -> Choice | None:
    """A plain yes when exactly one window is on screen (beside "another time"): that window."""
    windows = [c for c in state.choices if c["kind"] in WINDOW_KINDS]
    if len(windows) != 1:
        return None
    core = _ANSWER_TAIL.sub("", _ANSWER_HEAD.sub("", said)) or said
    yes = _answer_words()["yes"] | {"就这个", "这个", "就它", "那就这个", "这个可以", "这个时间可以", "这个时间"}
    return _choice(windows[0]) if core in yes or said in yes else None


_ANSWER_HEAD = re.compile(r"^(?:呃|额|嗯(?=.)|那|那就|还是)+")
_ANSWER_TAIL = re.compile(r"(?:了|吧|啦|呀|啊|哈|哦|呢|嘛|的吧|谢谢)+$")


@cache
def _answer_words() -> dict[str, frozenset[str]]:
    """Squashed yes and no words (texts.yml ``answers``), computed once."""
    return {k: frozenset(squash(w) for w in texts()["answers"][k]) for k in ("yes", "no")}


# -- positions --------------------------------------------------------------------------------------
def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if token.startswith("十"):
        return 10 + _CN_DIGITS.get(token[1:], 0)
    if "十" in token:
        tens, _, ones = token.partition("十")
        return _CN_DIGITS.get(tens, 0) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(token) if len(token) == 1 else None


def _position(said: str, shown: list[dict[str, Any]]) -> Choice | Ambiguous | None:
    """"第2个", "选3", "2", "最后一个", "the second one": the button at that place on screen."""
    listed = [c for c in shown if c["kind"] not in _EXTRA_KINDS] or shown
    if said in ("last", "thelastone", "lastone") or _LAST.fullmatch(said):
        return _choice(listed[-1])
    from_end = _FROM_END.fullmatch(said)
    if from_end:
        n = _number(from_end.group(1))
        return _choice(listed[-n]) if n and n <= len(listed) else Ambiguous()
    english = _ENGLISH_POSITION.fullmatch(said)
    match = english or _POSITION.fullmatch(said)
    if not match:
        return None
    token = match.group(1)
    if english and token == "last":
        return _choice(listed[-1])
    n = _ENGLISH_ORDINALS.get(token) or _number(token)
    if n is None:
        return None
    if "号" in said or "日" in said:
        # "24号" is a day when a shown window falls on it; otherwise it is a position (as "2号").
        days = [c for c in shown if c["kind"] in WINDOW_KINDS and _start(c).day == n]
        if days:
            return _one_or_ask(days)
    if 1 <= n <= len(shown):
        return _choice(shown[n - 1])
    return Ambiguous()


# -- windows by time, technician or superlative -----------------------------------------------------
def _start(c: dict[str, Any]) -> datetime:
    data = c.get("data") or {}
    return datetime.fromisoformat(data.get("arrive_by") or data["start"])


def _end(c: dict[str, Any]) -> datetime:
    return datetime.fromisoformat((c.get("data") or {})["end"])


def _by_time(windows: list[dict[str, Any]], text: str, said: str, now: datetime) -> Choice | Ambiguous | None:
    """"最早的那个", "周五上午那个", "就 8 点那个", "王师傅那个": the windows fitting every clue given."""
    if "不" in said or "没" in said:
        return None  # "周五上午不行", "最早的不方便": a refusal, not a pick
    if any(q in said for q in _ASKING):
        return None  # "那最早什么时候": a question about the windows, not a pick
    tests = _clues(windows, text, said, now)
    fitting = [c for c in windows if all(test(c) for test in tests)]
    if fitting and any(w in said for w in _EARLIEST):
        return _choice(min(fitting, key=_start))  # ties keep the shown order: nearest technician first
    if fitting and any(w in said for w in ("最晚", "最迟", "latest")):
        return _choice(max(fitting, key=_start))
    return _one_or_ask(fitting) if tests else None


def _clues(windows: list[dict[str, Any]], text: str, said: str, now: datetime) -> list[Any]:
    """One predicate per clue in the text (day, part of day, clock time, technician); [] when none or
    when the clues contradict each other (two days, morning and afternoon)."""
    clues: list[Any] = []
    days = _day_clues(said, now)
    if len(days) > 1:
        return []
    clues += days
    parts = [p for p in _PARTS if p in said]
    if len({_PARTS[p] for p in parts}) > 1 and set(parts) != {"早上", "上午"}:
        return []
    if parts:
        low, high = _PARTS[parts[0]]
        clues.append(lambda c: low <= _start(c).hour < high)
    clock = _clock_clue(text, parts[0] if parts else None)
    if clock is not None:
        clues.append(clock)
    names = {str((c.get("data") or {}).get("technician") or "") for c in windows} - {""}
    named = {n for n in names if n in said or f"{n[0]}师傅" in said}
    if named:
        clues.append(lambda c: (c.get("data") or {}).get("technician") in named)
    return clues


def _day_clues(said: str, now: datetime) -> list[Any]:
    """Predicates for each day named: 今天/明天/后天, 周五/下周一/星期六, 24号/11月24日."""
    today = now.date()
    found: list[Any] = []
    for word, offset in sorted(_RELATIVE_DAYS.items(), key=lambda kv: -len(kv[0])):
        if word in said:
            target = today + timedelta(days=offset)
            found.append(lambda c, d=target: _start(c).date() == d)
            said = said.replace(word, "")
    next_monday = today + timedelta(days=7 - today.weekday())
    for m in _WEEKDAY.finditer(said):
        name = m.group(2)
        weekday = int(name) - 1 if name.isdigit() else 6 if name == "天" else "一二三四五六日".index(name)
        scope = m.group(1) or ""

        def on_weekday(c: dict[str, Any], w: int = weekday, s: str = scope) -> bool:
            day = _start(c).date()
            if day.weekday() != w:
                return False
            return day >= next_monday if s.startswith("下") else day < next_monday if s else True

        found.append(on_weekday)
    for m in _DAY_OF_MONTH.finditer(said):
        month, mday = (int(m.group(1)) if m.group(1) else None), int(m.group(2))
        found.append(lambda c, mo=month, d=mday: _start(c).day == d and (mo is None or _start(c).month == mo))
    return found


def _clock_clue(text: str, part: str | None) -> Any:
    """"8点", "下午3点半", "9:00": the window starting then, else the one running at that moment."""
    m = _CLOCK.search(text)
    if not m:
        return None
    hour = _number(m.group(1))
    if hour is None or hour > 23:
        return None
    minute = 30 if m.group(2) == "半" else int(m.group(2)) if m.group(2) else 0
    if minute > 59:
        return None
    if hour < 12 and (part in _PM_PARTS or (part is None and 1 <= hour <= 7)):
        hour += 12  # "3点" said about visit windows is the afternoon

    def fits(c: dict[str, Any]) -> bool:
        start = _start(c)
        return (start.hour, start.minute) == (hour, minute) or (
            start <= start.replace(hour=hour, minute=minute) < _end(c))

    return fits


# -- named options ----------------------------------------------------------------------------------
def _by_name(named: list[dict[str, Any]], said: str) -> Choice | Ambiguous | None:
    """"南京那个", "江苏的", "保险柜吧", "其他的", "换个时间": the option whose label contains what was typed."""
    core = _FILLER_TAIL.sub("", _FILLER_HEAD.sub("", said))
    if len(core) < 2:
        return None
    found = [c for c in named if core in squash(c.get("label") or c["value"])]
    return _one_or_ask(found)
