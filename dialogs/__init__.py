"""Conversation policy (intake, booking, handoff): pure logic, no I/O.

``step(state, parse, services, now) -> Step(state, replies, effects)`` advances one chat by one
customer message. ``services`` answers read-only questions (coverage, visit windows, progress, prices);
``effects`` are plain values the engine applies in one transaction. ``slot_taken`` produces the turn
that replaces a booking turn whose window filled up meanwhile.
"""

from dialogs.effects import (
    AlertOperators,
    BookSlot,
    CancelBooking,
    DetachTicket,
    Effect,
    EraseCustomer,
    Escalate,
    RecordSurveyAnswer,
    Reschedule,
    SaveTicket,
    ScheduleFollowUps,
    SetSubscription,
)
from dialogs.policy import slot_taken, step
from dialogs.services import Catalog, CoverageView, Offer, PriceQuote, Progress, Services
from dialogs.state import ConversationState
from dialogs.turn import Step

__all__ = [
    "AlertOperators", "BookSlot", "CancelBooking", "Catalog", "ConversationState", "CoverageView", "DetachTicket",
    "Effect", "EraseCustomer", "Escalate", "Offer", "PriceQuote", "Progress", "RecordSurveyAnswer", "Reschedule",
    "SaveTicket", "ScheduleFollowUps", "Services", "SetSubscription", "Step", "slot_taken", "step",
]
