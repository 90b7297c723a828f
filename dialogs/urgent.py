"""Urgent requests and danger: safety first, then the fastest arrival today, or the truth and a person.

- ``parse.safety`` (someone shut in, smoke or fire): tell the customer to call 110/119 now, alert the
  operators, and go on helping (the intake continues in the same reply).
- ``parse.urgent`` (shut out, "急", "马上"): the earliest same-day arrival is offered FIRST, as its own
  button, before the usual windows. When nobody can come today (outside working hours, everyone
  busy) the customer is told so plainly, gets the earliest windows, and the operators are alerted at
  once so a person can try. The surcharge note of the price list is stated before booking.

Alerting operators is not a hand-over: the bot keeps the conversation (see ``AlertOperators``).
"""

from __future__ import annotations

from typing import Any

from dialogs.effects import AlertOperators
from dialogs.services import Offer, Services
from dialogs.texts import hhmm, say
from dialogs.turn import Turn

URGENT_COUNT = 1


def note_safety_and_urgency(turn: Turn) -> None:
    """Read the message's danger and urgency into the state; danger is answered before anything else."""
    p, s = turn.parse, turn.s
    newly = (p.urgent or p.safety) and not s.urgent
    if p.urgent or p.safety:
        s.urgent = True
    if p.safety and p.safety not in s.alerted:
        alert(turn, p.safety)
        turn.lead(say(f"safety.{p.safety}"))
    elif newly:
        # Heard at once, even while the intake still has questions; the windows' own text replaces it.
        turn.lead(say("urgent_noted"))


def alert(turn: Turn, reason: str) -> None:
    """Alert the operators once per reason for this ticket (the bot keeps talking)."""
    if reason not in turn.s.alerted:
        turn.s.alerted.append(reason)
        turn.effect(AlertOperators(reason))


def fast_arrivals(turn: Turn) -> list[Offer]:
    """Same-day arrivals for the current intake (empty when nobody can come today)."""
    s = turn.s
    if not (s.brand and s.place_value):
        return []
    return _urgent_offers(turn.services, brand=s.brand, product=s.product, place=s.place_value, now=turn.now,
                          count=URGENT_COUNT)


def _urgent_offers(services: Services, **query: Any) -> list[Offer]:
    """``services.urgent_offers`` when the runtime has it, else ``[]`` ("nobody free today").

    Compatibility shim, the one deliberate exception: ``urgent_offers`` is implemented in
    ``bot/services.py`` on the roster branch. Until that lands, the engine's services lack the method
    and an urgent request gets the honest "nobody can come today" answer and an operator alert.
    """
    method = getattr(services, "urgent_offers", None)
    if method is None:
        return []
    return [o for o in method(**query) if o.arrive_by is not None]


def button(offer: Offer) -> tuple[str, str, str, Any]:
    """"今天 15:10 前到达，约 35 分钟"; its value is a distinct text naming the arrival and technician."""
    assert offer.arrive_by is not None
    arrive = hhmm(offer.arrive_by)
    if offer.eta_minutes is not None:
        label = say("urgent_button", arrive=arrive, minutes=offer.eta_minutes)
    else:
        label = say("urgent_button_no_eta", arrive=arrive)
    return ("offer", label, say("urgent_value", arrive=arrive, technician=offer.technician), offer.to_json())


def explain(turn: Turn, fast: list[Offer]) -> None:
    """What to say above the windows of an urgent request (and alert the operators when nobody is free).

    The surcharge note comes first: it must be read before anything is pressed.
    """
    s = turn.s
    turn.drop_lead(say("urgent_noted"))
    note = turn.services.price(s.product, s.fault).note
    if note:
        turn.lead(say("surcharge", note=note))
    if fast:
        turn.lead(say("urgent_fast"))
    else:
        alert(turn, "urgent")
        turn.lead(say("urgent_none"))
