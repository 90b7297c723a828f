"""Changes the dialogs ask for, as plain values; the engine applies them in order in one transaction.

Effects act on "the conversation's current ticket": the engine starts from the ticket the state
points to, :class:`SaveTicket` creates one when there is none, and :class:`DetachTicket` lets the next
intake start a fresh ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialogs.services import Offer


@dataclass(frozen=True, slots=True)
class SaveTicket:
    """Create the current ticket if there is none, then write ``fields`` and ``status`` to it.

    ``fields`` holds any of: brand, product, fault, adcode, town, place_label, covered, phone, address,
    urgent. ``status`` ``None`` leaves the ticket's status alone (e.g. ``visited`` set by a technician).
    ``reason`` says why a ticket was closed or cancelled ("declined", "self_fix", "restart" …) or why it
    is out of area; it is recorded with the status.
    """

    status: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BookSlot:
    """Book ``offer`` for the current ticket. If it is full by now, the engine calls ``dialogs.slot_taken``."""

    offer: Offer


@dataclass(frozen=True, slots=True)
class Reschedule:
    """Move the current ticket's booking to ``offer`` (same fallback as :class:`BookSlot` when full)."""

    offer: Offer


@dataclass(frozen=True, slots=True)
class CancelBooking:
    """Cancel the current ticket's booking and mark the ticket cancelled."""

    reason: str = "customer"


@dataclass(frozen=True, slots=True)
class Escalate:
    """Hand the chat to a human operator; the ticket becomes ``escalated`` with ``reason``.

    ``ticket_id`` names another ticket than the current one (a survey about an earlier visit).
    """

    reason: str
    ticket_id: int | None = None


@dataclass(frozen=True, slots=True)
class RecordSurveyAnswer:
    """Store one survey answer for ``ticket_id``: ``question`` is csat (``score`` 1–5), resolved
    (``score`` 1 = yes, 0 = no) or comment (``comment``)."""

    ticket_id: int
    question: str
    score: int | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class SetSubscription:
    """退订 (``subscribed=False``) stops non-essential proactive messages to this chat; 订阅 resumes them."""

    subscribed: bool


@dataclass(frozen=True, slots=True)
class AlertOperators:
    """Flag the current ticket for operators now, WITHOUT handing the chat over: the bot keeps talking.

    ``reason``: ``urgent`` (nobody can come today for an urgent request), ``person_shut_in`` or
    ``fire`` (the customer was told to call 110/119). The operator console lists alerted tickets.
    """

    reason: str


@dataclass(frozen=True, slots=True)
class EraseCustomer:
    """Erase the customer's personal data (phone, names, addresses, message texts); keep anonymous stats."""


@dataclass(frozen=True, slots=True)
class ScheduleFollowUps:
    """Plan the follow-up messages (reminder, satisfaction survey) for the current ticket's visit."""


@dataclass(frozen=True, slots=True)
class DetachTicket:
    """Forget the current ticket for this conversation: the next intake starts a new one."""


Effect = (SaveTicket | BookSlot | Reschedule | CancelBooking | Escalate | AlertOperators | EraseCustomer
          | ScheduleFollowUps | DetachTicket | RecordSurveyAnswer | SetSubscription)
