"""Visit windows: offering them, booking the pressed one, rescheduling, cancelling, and progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialogs import urgent
from dialogs.address import mask
from dialogs.effects import BookSlot, CancelBooking, DetachTicket, Reschedule, SaveTicket, ScheduleFollowUps
from dialogs.handoff import escalate, handoff_button
from dialogs.requested import unserved_reason
from dialogs.services import Offer
from dialogs.state import BOOKED, CLOSED, OFFERING, ConversationState
from dialogs.texts import day_label, hhmm, mask_phone, say
from dialogs.turn import Turn
from nlu.types import When

OFFER_COUNT = 3


def _prefer(state: ConversationState) -> When | None:
    if not state.when:
        return None
    w = state.when
    return When(
        asap=bool(w.get("asap")),
        start=datetime.fromisoformat(w["start"]) if w.get("start") else None,
        end=datetime.fromisoformat(w["end"]) if w.get("end") else None,
    )


def window_of(offer: dict[str, Any] | Offer) -> dict[str, str]:
    """Technician, day and times of a window, ready for the texts' placeholders."""
    o = offer if isinstance(offer, Offer) else Offer.from_json(offer)
    return {"technician": o.technician, "day": day_label(o.start), "start": hhmm(o.start), "end": hhmm(o.end)}


def offer_button(kind: str, offer: Offer) -> tuple[str, str, str, Any]:
    """A button for one window: label with technician and travel time, value naming it uniquely."""
    eta = say("offer_eta", minutes=offer.eta_minutes) if offer.eta_minutes is not None else ""
    w = window_of(offer)
    label = say("offer_button", eta=eta, **w)
    value = f"预约 {w['day']} {w['start']}-{w['end']} {offer.technician}"
    return (kind, label, value, offer.to_json())


@dataclass(frozen=True, slots=True)
class Found:
    """Windows to show, and what to say about the customer's requested time (None: nothing asked)."""

    offers: list[Offer]
    lead: str | None = None
    honoured: bool = True


def find_offers(turn: Turn, *, exclude: dict[str, Any] | None = None) -> Found:
    """Earliest windows for the intake facts, honouring the requested time when there is one.

    When the requested time has no windows, the reason is said plainly ("周六不安排上门。") when there
    is one, and the earliest windows are offered instead.
    """
    s = turn.s
    place = s.place_value
    assert s.brand and place
    prefer = _prefer(s)
    offers = _fetch(turn, prefer, exclude)
    if prefer is None:
        return Found(offers)
    if offers or prefer.start is None:
        return Found(offers, say("offers_preferred"))
    nearest = _fetch(turn, None, exclude)
    reason = unserved_reason(turn, prefer, nearest)
    lead = reason + say("nearest_offers") if reason else say("no_offers_preferred")
    return Found(nearest, lead, honoured=False)


def _fetch(turn: Turn, prefer: When | None, exclude: dict[str, Any] | None) -> list[Offer]:
    s = turn.s
    got = turn.services.offers(
        brand=s.brand or "", product=s.product, place=s.place_value, after=turn.now, prefer=prefer,
        count=OFFER_COUNT + (1 if exclude else 0),
    )
    if exclude:
        # By ref (technician id and start), not by the display name and an ISO string of the start.
        got = [o for o in got if o.ref != exclude.get("ref")]
    return got[:OFFER_COUNT]


def offer(turn: Turn, *, summary: bool, apology: str | None = None) -> None:
    """Show the windows as buttons (after the intake summary when ``summary``).

    An urgent request gets today's fastest arrival first, or the plain truth that nobody can come
    today (and an operator alert); see :mod:`dialogs.urgent`.
    """
    s = turn.s
    fast = urgent.fast_arrivals(turn) if s.urgent else []
    found = find_offers(turn)
    if not found.offers and not fast:
        escalate(turn, "no_slots", text=say("no_offers", place=s.place_value.label if s.place_value else ""))
        return
    s.stage = OFFERING
    s.offers = [o.to_json() for o in fast + found.offers]
    if summary and not turn.summarised:
        turn.lead(summary_text(turn) + "\n")
    if apology:
        turn.lead(apology)
    if s.urgent:
        urgent.explain(turn, fast)
    elif not apology:
        turn.lead(found.lead or say("offers"))
    buttons = [urgent.button(o) for o in fast] + [offer_button("offer", o) for o in found.offers]
    buttons.append(("other_time", say("other_time_button"), say("other_time_button"), None))
    turn.ask("choice", "", buttons)


def summary_text(turn: Turn) -> str:
    """The intake said back in one line: device, fault, place with the masked address, masked phone."""
    s = turn.s
    cat = turn.services.catalog
    place = s.place_value
    return say(
        "summary", brand=s.brand or "", product=cat.product_label(s.product), fault=fault_text(turn),
        place=place.label if place else "", address=mask(s.address), phone=mask_phone(s.phone),
    )


def fault_text(turn: Turn) -> str:
    """The fault's label, or "to be checked on site" when the customer could not say."""
    return turn.services.catalog.fault_label(turn.s.fault) if turn.s.fault else say("fault_unknown")


def book(turn: Turn, chosen: dict[str, Any]) -> None:
    """The customer pressed a window: book it (the engine falls back to ``slot_taken`` if it is full)."""
    o = Offer.from_json(chosen)
    turn.s.stage = BOOKED
    _take(turn, o, BookSlot(o), "booked_urgent" if o.arrive_by else "booked")


def offer_reschedule(turn: Turn, *, lead: str | None = None) -> None:
    """Show other windows for a booked visit."""
    s = turn.s
    found = find_offers(turn, exclude=s.booking)
    if not found.offers:
        turn.say(say("reschedule_none"), [handoff_button()])
        return
    s.offers = [o.to_json() for o in found.offers]
    if lead:
        turn.lead(lead)
    elif not found.honoured and found.lead:
        turn.lead(found.lead)
    else:
        turn.lead(say("reschedule_offers"))
    turn.ask("choice", "", [offer_button("reschedule", o) for o in found.offers])


def reschedule(turn: Turn, chosen: dict[str, Any]) -> None:
    """The customer pressed a new window for a booked visit."""
    o = Offer.from_json(chosen)
    _take(turn, o, Reschedule(o), "rescheduled")


def _take(turn: Turn, o: Offer, effect: BookSlot | Reschedule, text_key: str) -> None:
    """The pressed window becomes the visit: offers forgotten, follow-ups planned, the customer told."""
    s = turn.s
    s.booking = o.to_json()
    s.offers = []
    s.choices = []
    s.when = None
    turn.effect(effect)
    turn.effect(ScheduleFollowUps())
    arrive = {"arrive": hhmm(o.arrive_by)} if o.arrive_by else {}
    turn.say(say(text_key, phone=mask_phone(s.phone), **arrive, **window_of(o)))


def ask_cancel(turn: Turn) -> None:
    """Cancel by chat: a booked visit needs a yes; an unfinished intake is simply dropped."""
    s = turn.s
    if s.stage == BOOKED and s.booking:
        s.pending = "cancel"
        yes, no = say("cancel_yes_button"), say("cancel_no_button")
        turn.ask("confirm", say("cancel_confirm", **window_of(s.booking)),
                 [("yes", yes, yes, None), ("no", no, no, None)])
    elif s.started or s.ticket_id is not None:
        turn.effect(SaveTicket(status="cancelled", reason="customer"))
        turn.effect(DetachTicket())
        turn.s = ConversationState(stage=CLOSED, turns=s.turns, previous=remembered(s))
        turn.say(say("intake_cancelled") + say("come_back" if turn.s.previous else "come_back_new"))
    else:
        turn.say(say("nothing_to_cancel"))


def cancel_booking(turn: Turn) -> None:
    """The customer confirmed: cancel the visit; a later "重新预约" reuses the request's facts."""
    turn.effect(CancelBooking("customer"))
    turn.effect(DetachTicket())
    turn.s = ConversationState(stage=CLOSED, turns=turn.s.turns, previous=remembered(turn.s))
    turn.say(say("cancelled") + say("come_back"))


def remembered(s: ConversationState) -> dict[str, Any] | None:
    """The request's facts to keep for a rebook, or None when nothing worth reusing was said."""
    return s.request_facts() if (s.brand or s.product or s.place) else None


def progress(turn: Turn) -> bool:
    """Answer "师傅到哪了" from the booking; returns False when there is no booking to talk about."""
    s = turn.s
    if s.stage != BOOKED or not s.booking:
        return False
    booked = Offer.from_json(s.booking)
    info = turn.services.progress(s.ticket_id)
    if info and info.status in ("visited", "closed"):
        turn.say(say("progress_visited"))
        return True
    start = info.start if info and info.start else booked.start
    end = info.end if info and info.end else booked.end
    technician = info.technician if info and info.technician else booked.technician
    w = {"technician": technician, "day": day_label(start), "start": hhmm(start), "end": hhmm(end)}
    eta = info.eta_minutes if info and info.eta_minutes is not None else booked.eta_minutes
    if turn.now < start:
        turn.say(say("progress_before", **w))
    elif turn.now <= end:
        text = say("progress_window", eta=eta, **w) if eta is not None else say("progress_window_no_eta", **w)
        turn.say(text, [handoff_button()])
    else:
        escalate(turn, "visit_overdue", text=say("progress_late", **w))
    return True


def slot_taken_step(turn: Turn) -> None:
    """The window the customer pressed was full by the time it was booked: apologise, offer fresh ones."""
    s = turn.s
    if s.stage == BOOKED:  # the state before a failed reschedule still holds the old booking
        offer_reschedule(turn, lead=say("slot_taken"))
    else:
        offer(turn, summary=False, apology=say("slot_taken"))
