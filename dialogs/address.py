"""The detailed address below the county (street, 小区, building, door): reading it and masking it.

A technician cannot drive to "河南省焦作市温县"; the intake asks for the street address after the
county. When the bot asked for it, the customer's reply IS the address, whether or not the NLU found
one in it (only the province/city/county the parse recognised, and filler like "地址是", are cut off).
The customer sees it masked ("中州中路218号***"); operators and technicians get it whole from the
ticket, where it is stored encrypted.
"""

from __future__ import annotations

import re

from dialogs.texts import squash, texts
from nlu.types import Parse

# A reply to "what is your address?" that is plainly something else is not taken as the address.
_NOT_AN_ANSWER = ("ask_human", "complaint", "cancel", "ask_price", "thanks", "goodbye", "greet")
_FILLER = re.compile(r"^(?:(?:我的|我家|家里|家|我|我们|那|就|嗯|好的|好)?(?:详细|具体)?(?:地址|住址|门牌|位置)?"
                     r"(?:是|在|为|改成|改为|应该是|换成)?[:：,，\s]*)+")
_CLAUSES = re.compile(r"[，,；;。!！?？]\s*")
_TRAILING = re.compile(r"[\s。.!！~～,，;；]+$")
# "地址是建设路15号", "地址改成…", "地址写错了，是…": a correction typed later in the chat.
_CORRECTION = re.compile(r"(?:详细|具体)?地址(?:也)?(?:写错了|错了|不对)?[，,\s]*(?:是|改成|改为|应该是|换成|改到|为|[:：])\s*(.+)")
# Where the street-and-number head of an address ends: "中州中路218号" | "阳光花园" | "12 Jianshe Road".
_HEAD_NUMBER = re.compile(r"^.*?(?:路|街|道|巷|弄|胡同|大道|里|村|组|屯)\s*[0-9０-９一二三四五六七八九十百零-]+\s*(?:号院|号|弄)")
_HEAD_PLACE = re.compile(r"^.*?(?:小区|花园|家园|公寓|大厦|广场|苑|庭|府|社区|新村|村|中心)")
_DIGITS = re.compile(r"\d+")
# "12 Jianshe Road": English addresses put the unit first, so the street is searched, not anchored.
_ENGLISH_STREET = re.compile(r"\d+[A-Za-z]?\s+(?:[A-Za-z]+\s+){0,3}?(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Boulevard|"
                             r"Blvd|Way|Drive|Dr)\b\.?", re.IGNORECASE)
# Something only an address has: a number, or a word for a street, compound, building or village.
_HAS_DETAIL = re.compile(r"\d|[０-９]|[路街道巷弄号栋幢楼室村组屯庄寨苑园院坊湾桥]|小区|大厦|公寓|花园|广场|社区|"
                         r"单元|宿舍|家属|中心|市场|公司|大楼|商场|酒店|学校|医院|(?i:road|street|avenue|lane|"
                         r"building|room|floor|apt|unit|village)")


def take_reply(parse: Parse) -> str | None:
    """The address in a reply to the address question, or None when the reply is about something else.

    The NLU's ``address`` wins when it found one; otherwise the text minus the place the parse
    recognised and minus filler. Commands, questions and refusals are not addresses.
    """
    if parse.address:
        return parse.address.strip() or None
    if (parse.intent in _NOT_AN_ANSWER and not _is_street(parse.text)) or is_refusal(parse.text):
        return None  # ("88 Yuncheng Road" once read as a goodbye: a street is an answer whatever the intent)
    text = strip_place(parse.text, parse)
    if parse.phone:
        text = re.sub(r"[+\d\s-]{7,}", " ", text)
        text = re.sub(r"(?:电话|手机|手机号|联系方式)(?:是|为|[:：])?", "", text)
    text = _clean(_address_parts(text))
    said = squash(text)
    if any(squash(w) in said for w in texts()["commands"]["dont_know"]):
        return None
    return text if _looks_like_words(text) and _HAS_DETAIL.search(text) else None


def _is_street(text: str) -> bool:
    """A street with its number, Chinese or English ("中州中路218号", "88 Yuncheng Road")."""
    return bool(_HEAD_NUMBER.match(text.strip()) or _ENGLISH_STREET.search(text))


def _address_parts(text: str) -> str:
    """Drop clauses that are not address ("建设路12号，明天下午来" → 建设路12号)."""
    parts = [p for p in _CLAUSES.split(text) if p.strip()]
    kept = [p for p in parts if _HAS_DETAIL.search(p)]
    if not kept:
        return text
    separator = ", " if re.search(r"[A-Za-z]", text) and not re.search(r"[\u4e00-\u9fff]", text) else "，"
    return separator.join(p.strip() for p in kept)


def correction_in(parse: Parse) -> str | None:
    """An address typed as a correction later in the chat ("地址改成建设路15号"), if any."""
    if parse.address:
        return parse.address.strip() or None
    m = _CORRECTION.search(parse.text)
    if not m:
        return None
    text = _clean(strip_place(m.group(1), parse))
    return text if _looks_like_words(text) and _HAS_DETAIL.search(text) else None




def strip_place(text: str, parse: Parse) -> str:
    """Cut the province/city/county/town the parse recognised off the front of ``text``."""
    names: list[str] = []
    places = [parse.place] if parse.place else list(parse.place_candidates)
    for place in places:
        for name in (place.province, place.city, place.county, place.town):
            if name:
                names.append(name)
                core = _short(name)
                if core != name:
                    names.append(core)
    names.sort(key=len, reverse=True)
    text = _FILLER.sub("", text.strip(), count=1)
    changed = True
    while changed and names:
        changed = False
        for name in names:
            if text.startswith(name):
                text = _FILLER.sub("", text[len(name):].lstrip(" ,，"), count=1)
                changed = True
                break
    return text


def _short(name: str) -> str:
    """河南省 → 河南, 焦作市 → 焦作, 新都区 → 新都 (two-character names such as 温县 stay whole)."""
    for suffix in ("特别行政区", "自治区", "自治州", "自治县", "地区", "林区", "省", "市", "区", "县", "盟", "旗"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _clean(text: str) -> str:
    return _TRAILING.sub("", _FILLER.sub("", text.strip(), count=1)).strip()


def _looks_like_words(text: str) -> bool:
    """At least two letters or Chinese characters: "？？", "123" or "嗯" are not addresses."""
    return len(re.findall(r"[A-Za-z\u4e00-\u9fff]", text)) >= 2


def is_refusal(text: str) -> bool:
    """"不方便说", "不想告诉你": the customer declines to give the address."""
    said = squash(text)
    return bool(said) and any(squash(w) in said for w in texts()["commands"]["refuse_address"])


def mask(address: str | None) -> str:
    """What the customer sees: the street and number ("中州中路218号***"), the rest hidden.

    Without a street number, the 小区/building name is kept ("阳光花园***"); in English the street
    ("12 Jianshe Road ***"); otherwise every number after the first is hidden.
    """
    if not address:
        return ""
    text = address.strip()
    head = _HEAD_NUMBER.match(text) or _HEAD_PLACE.match(text)
    if head:
        rest = text[head.end():].strip(" ,，")
        return head.group(0) + ("***" if rest else "")
    street = _ENGLISH_STREET.search(text)
    if street:
        rest = (text[: street.start()] + text[street.end():]).strip(" ,，")
        return street.group(0) + (" ***" if rest else "")
    first = _DIGITS.search(text)
    if not first:
        return text[: max(2, len(text) // 2)] + "***"
    tail = _DIGITS.sub(lambda m: "*" * len(m.group(0)), text[first.end():])
    return text[: first.end()] + tail
