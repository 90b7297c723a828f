"""Ending a request without a visit, and coming back to it later.

"先不修了", "我自己再试试", "等我问问家里人", "那就不麻烦了" end the request: the ticket is closed with a
reason (``closed``, never left ``collecting``) and the customer hears how to come back. What was
said (device, place, address, phone) is remembered in ``state.previous``, so "重新预约" after a
decline, a cancellation or a visit offers windows straight away, confirming those facts in one line.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from dialogs.address import mask
from dialogs.booking import fault_text, remembered
from dialogs.effects import DetachTicket, SaveTicket
from dialogs.state import CLOSED, INTAKE, ConversationState
from dialogs.texts import mask_phone, say, squash, texts
from dialogs.turn import Turn
from nlu.types import Parse

DECLINE_REASONS = ("resolved", "self_fix", "consult", "declined")


@cache
def _words(name: str) -> tuple[str, ...]:
    return tuple(w for w in (squash(word) for word in texts()["commands"][name]) if w)


@cache
def _decline_words() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Per reason, its phrases as one alternation: a single scan instead of one ``in`` per phrase."""
    table = texts()["commands"]["decline"]
    phrases = ((reason, [w for w in map(squash, table[reason]) if w]) for reason in DECLINE_REASONS)
    return tuple((reason, re.compile("|".join(map(re.escape, words)))) for reason, words in phrases if words)


@cache
def _decline_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    table = texts()["commands"].get("decline_patterns") or {}
    return tuple((reason, re.compile("|".join(table[reason]))) for reason in DECLINE_REASONS if table.get(reason))


@cache
def _rebook_pattern() -> re.Pattern[str] | None:
    patterns = texts()["commands"].get("rebook_patterns") or []
    return re.compile("|".join(patterns)) if patterns else None


def decline_reason(text: str) -> str | None:
    """Why the customer ends the request ("self_fix", "consult" …), or None if they do not.

    A message that says 取消 is a cancellation (its own flow), not a decline. The phrase lists come
    first; the patterns then catch the wordings lists cannot enumerate ("跟我老婆商量下", "先不弄了").
    """
    said = squash(text)
    if not said or "取消" in said:
        return None
    for reason, words in _decline_words():
        if words.search(said):
            return reason
    for reason, pattern in _decline_patterns():
        if pattern.search(said):
            return reason
    return None


def close(turn: Turn, reason: str) -> None:
    """Close the open request with ``reason``; keep its facts for a later "重新预约"."""
    s = turn.s
    keep = remembered(s)
    if s.ticket_id is not None or s.started:
        turn.effect(SaveTicket(status="closed", fields=s.ticket_fields(), reason=reason))
        turn.effect(DetachTicket())
    turn.s = ConversationState(stage=CLOSED, turns=s.turns, previous=keep)
    turn.say(say(f"declined.{reason}") + say("come_back" if keep else "come_back_new"))


def wants_rebook(parse: Parse) -> bool:
    """"重新预约", "帮我再约个时间", "还是修吧": the customer asks for a visit again."""
    said = squash(parse.text)
    if parse.intent == "reschedule" or any(w in said for w in _words("rebook")):
        return True
    pattern = _rebook_pattern()
    return bool(pattern and pattern.search(said))


def repeats_fault(parse: Parse, previous: dict[str, Any]) -> bool:
    """"又打不开了", "还是打不开": the same device broke again (no other device named)."""
    said = squash(parse.text)
    if parse.intent != "report_fault" or not any(w in said for w in _words("repeat")):
        return False
    return ((not parse.brand or parse.brand == previous.get("brand"))
            and (not parse.product or parse.product == previous.get("product")))


def restore(turn: Turn) -> None:
    """Start a new request from the previous one's facts and say them back in one line.

    The caller then merges the message (a new time or phone wins) and advances the intake.
    """
    s = turn.s
    prev = s.previous or {}
    turn.s = new = ConversationState(stage=INTAKE, turns=s.turns, urgent=s.urgent, alerted=s.alerted)
    for key in ("brand", "brand_supported", "product", "fault", "place", "phone", "address"):
        setattr(new, key, prev.get(key))
    if new.fault:
        new.asked = ["fault"]  # asked (or told) the first time: a rebook does not ask again
    if new.brand and new.place and new.phone:
        place = new.place_value
        turn.lead(say("rebook_confirm", brand=new.brand, product=turn.services.catalog.product_label(new.product),
                      fault=fault_text(turn), place=place.label if place else "", address=mask(new.address),
                      phone=mask_phone(new.phone)) + "\n")
        turn.summarised = True
