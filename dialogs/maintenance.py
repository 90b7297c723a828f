"""The answer to a preventive-maintenance reminder (预防性维护计划): book the check, or not.

The reminder's button sends "预约保养检查"; a plain yes ("好的", "可以") means the same. The visited
ticket's device, place and phone come with the reminder (``state.maintenance``), so the customer is
offered windows at once instead of being asked everything again; a "no" is acknowledged. Anything else
goes on to the normal conversation and the offer is forgotten.
"""

from __future__ import annotations

from dialogs.effects import DetachTicket
from dialogs.intake import advance
from dialogs.state import INTAKE, ConversationState
from dialogs.texts import say, squash
from dialogs.turn import Turn


def handle(turn: Turn) -> bool:
    """Act on the reply to a maintenance reminder; False when the message is about something else."""
    offer = turn.s.maintenance
    if not offer:
        return False
    said = squash(turn.parse.text)
    intent = turn.parse.intent
    turn.s.maintenance = None
    if said == squash(say("followups.maintenance_button")) or (intent == "affirm" and not turn.parse.fault):
        _book_check(turn, offer)
        return True
    if intent == "deny":
        turn.say(say("followups.maintenance_declined"))
        return True
    return False


def _book_check(turn: Turn, offer: dict) -> None:
    """A new ticket for the check, with the visited device, place and phone; windows offered at once."""
    before = turn.s
    turn.effect(DetachTicket())
    turn.s = ConversationState(
        stage=INTAKE, turns=before.turns, brand=offer.get("brand"), brand_supported=True,
        product=offer.get("product"), fault="other", place=offer.get("place"), phone=offer.get("phone"),
        address=offer.get("address"), survey=before.survey, asked=["fault"],  # a check: no fault to ask
    )
    advance(turn, changed={"brand", "product", "fault", "place", "address"})
