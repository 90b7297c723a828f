"""Hand-off to a human operator: why, what the customer is told, and the escalation effect."""

from __future__ import annotations

from dialogs.effects import Escalate
from dialogs.state import ESCALATED
from dialogs.texts import say
from dialogs.turn import Turn

# Reason recorded on the ticket -> what the customer reads.
_TEXT_FOR_REASON = {
    "customer_asked": "handoff",
    "complaint": "handoff_complaint",
    "misunderstood": "handoff_misunderstood",
    "out_of_area": "handoff_out_of_area",
    "out_of_area_insisted": "handoff_out_of_area",
    "brand_unsupported": "handoff_out_of_area",
    "no_slots": "no_offers",
    "visit_overdue": "progress_late",
    "survey_low_score": "survey.recovery_low_score",
    "survey_unresolved": "survey.recovery_unresolved",
}


def escalate(turn: Turn, reason: str, *, text: str | None = None, replace: bool = False,
             ticket_id: int | None = None) -> None:
    """Hand the chat to a human: the ticket becomes ``escalated`` with ``reason``; the customer is told so.

    ``ticket_id`` escalates another ticket than the conversation's current one (a survey's).
    """
    s = turn.s
    if replace:
        turn.replace_replies()
    s.stage = ESCALATED
    s.escalation_reason = reason
    s.pending = None
    s.expecting = None
    s.choices = []
    s.misunderstood = 0
    turn.effect(Escalate(reason, ticket_id=ticket_id))
    turn.say(text if text is not None else say(_TEXT_FOR_REASON.get(reason, "handoff")))


def handoff_button() -> tuple[str, str, str, None]:
    """The "转人工客服" button offered whenever the bot cannot help."""
    label = say("handoff_button")
    return ("handoff", label, label, None)
