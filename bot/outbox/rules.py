"""When a claimed outbox row may go: pure decisions over plain values, no I/O.

The dispatcher gathers the facts (:class:`Facts`) for each row it claimed and asks :func:`decide`.
Order matters and is the policy:

1. a message whose moment passed (``expires_at``) is dropped — a reminder once the visit has started
   is worse than none;
2. a non-essential message to a customer who unsubscribed (退订) is dropped;
3. a follow-up about a ticket that was cancelled or closed meanwhile is dropped, and so is the
   survey's nudge once the survey has an answer;
4. while an operator holds the chat, the bot says nothing on its own (operator replies still go);
   the row is held and looked at again later;
5. quiet hours hold bot-initiated messages until the morning (operator replies and manager digests
   are not held: a person is writing them now);
6. otherwise: send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.outbox.settings import OutboxSettings

SEND = "send"
HOLD = "hold"
DROP = "drop"

#: Kinds written by people, or the bot's answer to a message the customer just sent (``reply``: a
#: messenger reply that could not go out at once); neither quiet hours nor an operator's hold apply.
HUMAN_KINDS = frozenset({"operator_reply", "digest", "operator_alert", "reply"})
_FINISHED_TICKET = frozenset({"cancelled", "closed"})


@dataclass(frozen=True, slots=True)
class Facts:
    """What the dispatcher knows about one claimed row when deciding."""

    kind: str
    essential: bool
    expires_at: datetime | None = None
    unsubscribed: bool = False
    held_by_operator: bool = False
    ticket_status: str | None = None
    survey_answered: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """``action`` is SEND, HOLD (look again at ``until``) or DROP (with ``reason``)."""

    action: str
    until: datetime | None = None
    reason: str | None = None


def decide(facts: Facts, now: datetime, settings: OutboxSettings, tz: ZoneInfo) -> Decision:
    """The fate of one row at ``now`` (see the module docstring for the order)."""
    if facts.expires_at is not None and now >= facts.expires_at:
        return Decision(DROP, reason="expired")
    if facts.unsubscribed and not facts.essential:
        return Decision(DROP, reason="unsubscribed")
    if facts.kind not in HUMAN_KINDS and facts.ticket_status in _FINISHED_TICKET:
        return Decision(DROP, reason=f"ticket {facts.ticket_status}")
    if facts.kind == "survey_nudge" and facts.survey_answered:
        return Decision(DROP, reason="survey already answered")
    if facts.kind in HUMAN_KINDS:
        return Decision(SEND)
    if facts.held_by_operator:
        return Decision(HOLD, until=now + timedelta(seconds=settings.hold_recheck_s), reason="operator holds the chat")
    quiet_end = end_of_quiet_hours(now, settings, tz)
    if quiet_end is not None:
        if facts.expires_at is not None and quiet_end >= facts.expires_at:
            return Decision(DROP, reason="expires during quiet hours")
        return Decision(HOLD, until=quiet_end, reason="quiet hours")
    return Decision(SEND)


def end_of_quiet_hours(now: datetime, settings: OutboxSettings, tz: ZoneInfo) -> datetime | None:
    """When the quiet span containing ``now`` ends (timezone-aware), or None outside quiet hours."""
    quiet = settings.quiet_hours
    if quiet is None:
        return None
    local = now.astimezone(tz)
    if not quiet.contains(local.time()):
        return None
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end
