"""The detailed address below the county (street, 小区, building, door): ``Parse.address``.

Where it starts:

- right after the place the gazetteer resolved (洛阳市西工区|中州中路218号2单元301), so the county is never
  part of it; a town or street named there (沁阳市|柏香镇东街村, 新都区|大丰街道…) stays in the address
  unless the gazetteer models towns for that city (东莞|长安镇|…: the town is in ``place.town``);
- else after an address cue (地址是, 具体地址, 住址 …), past any place named right there;
- else, when the bot has just asked for the address, at the start of the message;
- else at the start of any clause that reads as a street address on its own (a street or compound word,
  then a number with its unit: "…，18950011234，福新中路77号"), since customers often put the phone
  between the county and the street.

Where it ends: at the end of the clause (，。！？), at a product word or a fault phrase written straight
after it ("…301保险柜打不开"), or at a space followed by words that are no part of an address
("…5号楼201 门锁报警"). It must look like an address (a street, a 小区, a number …) written in Chinese, else ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from nlu.prefilter import guarded

# Patterns searched over whole texts that start with no literal ``re`` could skip ahead by are put behind
# a lookahead on their first characters (nlu.prefilter.guarded): the same matches, found sooner.
ADDRESS_CUE = re.compile(r"(?:详细地址|具体地址|家庭住址|收货地址|上门地址|地址|住址)(?:是|在|为)?\s*[:：]?\s*")
_CLAUSE_END = re.compile(r"[，,。；;！!？?、\n]")
# What makes a piece of text an address: a street, a compound, a building, a door, a number.
_MARKER = guarded(
    r"路|街|大道|巷|弄|胡同|村|组|屯|庄|镇|乡|社区|小区|花园|公寓|大厦|广场|中心|苑|庭|府|园|院|宿舍"
    r"|号|栋|幢|座|单元|室|层|楼|期|\d"
)
# A clause that is a street address by itself, wherever it stands: 福新中路77号, 友谊路88弄3号, 幸福小区5栋.
_STREET = re.compile(
    r"(?:路|街|大道|巷|弄|胡同|村|小区|花园|公寓|大厦|苑|院)[^，,。；;！!？?\n]{0,12}?"
    r"\d+\s*(?:号|栋|幢|座|单元|室|楼|弄|组|层)"
)
# A phone number with its cue is never an address, though it is made of digits ("温州鹿城区 电话1360000…").
_PHONE_ONLY = re.compile(r"^(?:联系|我的|的)?(?:电话|手机|手机号|号码|联系方式)?(?:号码)?(?:是|为)?[\d+\-]{7,}$")
# A mobile number however it is written (spaces, dashes, +86), with its cue: cut out before reading.
_PHONE_IN_TEXT = guarded(
    r"(?:(?:联系|我的)?(?:电话|手机|手机号|号码|联系方式)(?:号码)?(?:是|为)?[:：]?\s*)?"
    r"(?:\+?86[\s-]*)?1[3-9]\d(?:[\s-]*\d){8}(?!\d)"
)
_LEADING = re.compile(r"^(?:我家住在|我家住|我家在|我住在|我们在|我在|我住|家住|住在|家在|人在|的|在|是|[:：\s])+")
_TRAILING = guarded(r"(?:的|这边|那边|这里|那里|附近|家里|一带|这儿|那儿|[\s:：-])+$")
MAX_ADDRESS_CHARS = 80
_COLON = re.compile(r"[:：]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def read_address(
    text: str,
    *,
    place_end: int | None,
    stops: Callable[[], Iterable[int]] = tuple,
    expecting: bool = False,
) -> str | None:
    """The address in normalized ``text``.

    ``place_end`` is where the resolved place ends in ``text`` (``None`` when there is none);
    ``stops()`` gives the positions where something else begins (product words, fault phrases, brands):
    asked only when a clause after the place looks like an address, since most messages have none.
    """
    starts: list[int] = []
    if place_end is not None:
        starts.append(place_end)
    for cue in ADDRESS_CUE.finditer(text):
        start = cue.end()
        if place_end is not None and start <= place_end and not _CLAUSE_END.search(text, start, place_end):
            start = place_end  # 地址是厦门海沧区|新阳街道…: the place named after the cue is not the address
        starts.append(start)
    if expecting:
        starts.append(0)
    clause = 0
    while True:
        m = _CLAUSE_END.search(text, clause)
        end = m.start() if m else len(text)
        if _STREET.search(text, clause, end) and clause not in starts:
            starts.append(clause)
        if not m:
            break
        clause = m.end()
    known_stops: list[int] | None = None
    for start in starts:
        m = _CLAUSE_END.search(text, start)
        end = m.start() if m else len(text)
        if not _MARKER.search(text, start, end):
            continue
        if known_stops is None:
            known_stops = sorted(stops())
        address = _segment(text, start, min([end, *(s for s in known_stops if s > start)]))
        if address:
            return address
    return None


def looks_like_street(text: str) -> bool:
    """Whether some clause of ``text`` is a street address by itself (福新中路77号, 幸福小区5栋)."""
    return bool(_STREET.search(text))


def _segment(text: str, start: int, end: int) -> str | None:
    piece = _PHONE_IN_TEXT.sub(" ", text[start:end])
    # "地址和电话一起给你：泉城路188号": what follows a colon is the address, the words before it are talk.
    piece = _LEADING.sub("", _COLON.split(piece)[-1] if _STREET.search(piece) else piece)
    # A space ends the address where what follows has no address word ("…5号楼201 门锁报警").
    # A phone number written between the county and the street ("南京浦口 137… 江浦街道…") is no part of it.
    words = [w for w in piece.split(" ") if not _PHONE_ONLY.match(w)] or [""]
    kept = [words[0]]
    for word in words[1:]:
        if not _MARKER.search(word):
            break
        kept.append(word)
    address = _TRAILING.sub("", "".join(kept))
    if len(address) < 2 or len(address) > MAX_ADDRESS_CHARS or not _MARKER.search(address):
        return None
    if _PHONE_ONLY.match(address):
        return None
    if not _HAN.search(address):
        # "12 jianshe road": the text read here is lower-cased and glossed (English words become Chinese),
        # so an English address is left to the caller, who has the text as typed.
        return None
    return address
