"""``step``: one customer turn through the conversation policy.

Precedence inside a turn: commands that work anywhere (erase, restart) → an open yes/no question →
a pressed button → intents that work anywhere (human, complaint, cancel, reschedule, progress, price)
→ the stage's own handling (intake, offering, booked, not served, escalated).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from dialogs import booking, maintenance, subscription, survey
from dialogs.effects import CancelBooking, DetachTicket, EraseCustomer, SaveTicket
from dialogs.handoff import escalate, handoff_button
from dialogs.intake import advance, merge
from dialogs.services import Offer, Services
from dialogs.state import BOOKED, CLOSED, ESCALATED, INTAKE, NEW, OFFERING, OUT_OF_AREA, ConversationState
from dialogs.texts import mask_phone, say, squash, texts
from dialogs.turn import Choice, Step, Turn, match_choice, town_core
from nlu.types import Parse

# Ticket status written for each stage (None: the stage does not decide the status).
_STATUS = {NEW: "collecting", INTAKE: "collecting", OFFERING: "collecting", BOOKED: "booked",
           OUT_OF_AREA: "out_of_area", ESCALATED: "escalated", CLOSED: None}
MISUNDERSTOOD_LIMIT = 2


def step(state: ConversationState, parse: Parse, services: Services, now: datetime) -> Step:
    """Advance the conversation by one customer message. Pure: no I/O, effects are returned."""
    turn = Turn(state, parse, services, now)
    turn.s.turns += 1
    turn.s.expecting = None
    _dispatch(turn)
    return _finish(turn)


def slot_taken(state: ConversationState, services: Services, now: datetime) -> Step:
    """The window pressed in the last turn was full when booked: apologise and offer fresh windows.

    ``state`` is the state from BEFORE the failed turn (the engine discards that turn's step).
    """
    turn = Turn(state, Parse(text=""), services, now)
    booking.slot_taken_step(turn)
    return _finish(turn)


# -- the turn ---------------------------------------------------------------------------------------
def _dispatch(turn: Turn) -> None:
    s, p = turn.s, turn.parse
    said = squash(p.text)
    if _is_command(said, "erase"):
        _ask_erase(turn)
        return
    if _is_command(said, "restart"):
        _restart(turn)
        return
    if subscription.handle(turn) or survey.answer(turn) or maintenance.handle(turn):
        return
    if turn.before.expecting == "brand" and _is_command(said, "dont_know") and not p.brand:
        _pressed(turn, Choice("brand_unknown", p.text))
        return
    choice = match_choice(s, p.text)
    if choice is None and turn.before.expecting == "town":
        choice = _typed_town(turn)
    if s.pending:
        if _answer_pending(turn, choice):
            return
        s.pending = None
    if s.stage == BOOKED and p.intent != "ask_progress" and _visit_finished(turn):
        # The visit is done (or was cancelled by staff): a new message is a new request.
        turn.effect(DetachTicket())
        turn.s = s = ConversationState(turns=s.turns, survey=s.survey)
        choice = None
    if choice and _pressed(turn, choice):
        return
    intent = p.intent
    if intent == "ask_human":
        escalate(turn, "out_of_area" if s.stage == OUT_OF_AREA else "customer_asked")
        return
    if intent == "complaint":
        escalate(turn, "complaint")
        return
    if s.stage == CLOSED:
        # A finished conversation: whatever comes next starts a new intake.
        turn.s = s = ConversationState(turns=s.turns)
    if s.stage == ESCALATED:
        merge(turn)
        turn.say(say("escalated_wait") if intent not in ("thanks", "goodbye") else say(intent))
        return
    if intent == "cancel":
        booking.ask_cancel(turn)
        return
    if intent == "ask_progress":
        _progress(turn)
        return
    if intent == "ask_price":
        _price(turn)
        return
    if intent == "reschedule" and s.stage == BOOKED:
        merge(turn)
        booking.offer_reschedule(turn)
        return
    if s.stage == OUT_OF_AREA:
        _not_served_turn(turn)
        return
    changed = merge(turn)
    if s.stage == BOOKED:
        _booked_turn(turn, changed)
        return
    if not changed and not turn.phone_invalid:
        _no_new_facts(turn)
        return
    advance(turn, changed=changed)


def _visit_finished(turn: Turn) -> bool:
    info = turn.services.progress(turn.s.ticket_id)
    return info is not None and info.status in ("visited", "closed", "cancelled")


def _typed_town(turn: Turn) -> Choice | None:
    """A town typed instead of pressed, served or not (coverage decides next): "长安" → 长安镇."""
    s = turn.s
    if not s.place or turn.parse.place is not None:
        return None
    said = squash(turn.parse.text)
    for town in turn.services.towns_of(s.place["adcode"]):
        core = squash(town_core(town))
        if said and (said == squash(town) or (len(core) >= 2 and said.startswith(core))):
            return Choice("town", town, town)
    return None


def _no_new_facts(turn: Turn) -> None:
    """Nothing usable in the message: answer the social intents, else admit it and ask again."""
    s, intent = turn.s, turn.parse.intent
    if intent in ("thanks", "goodbye"):
        turn.say(say(intent))
        return
    if intent == "greet" and s.stage == NEW:
        turn.say(say("greet"))
        return
    if intent == "reschedule" and s.stage == OFFERING:
        turn.ask("time", say("ask.time"))  # "另约个时间": which time suits them?
        return
    if intent == "deny" and turn.before.expecting == "phone":
        turn.ask("phone", say("phone_refused"), [handoff_button()])
        return
    if intent == "reschedule":
        turn.lead(say("nothing_to_reschedule"))
    elif intent == "deny" and s.stage == OFFERING:
        turn.ask(None, say("what_to_fix"))
        return
    elif intent == "affirm" and s.stage == OFFERING:
        pass  # "好的" to the offers: the reminder below says what to do
    elif intent in ("out_of_scope", "deny", "affirm", "report_fault"):
        turn.misunderstood = intent in ("out_of_scope", "report_fault") or turn.before.expecting is not None
        turn.lead(say("misunderstood") if s.started else say("not_a_repair"))
    if s.stage == OFFERING:
        _reshow_offers(turn)
    else:
        advance(turn)


def _reshow_offers(turn: Turn) -> None:
    s = turn.s
    buttons = [booking.offer_button("offer", Offer.from_json(o)) for o in s.offers]
    buttons.append(("other_time", say("other_time_button"), say("other_time_button"), None))
    turn.lead(say("pick_offer"))
    turn.ask("choice", "", buttons)


def _pressed(turn: Turn, choice: Choice) -> bool:
    """Act on a button press; False when the press no longer means anything (then read it as text)."""
    s = turn.s
    kind = choice.kind
    if kind == "offer" and s.stage == OFFERING:
        booking.book(turn, choice.data)
    elif kind == "reschedule" and s.stage == BOOKED:
        booking.reschedule(turn, choice.data)
    elif kind == "handoff":
        escalate(turn, "out_of_area" if s.stage == OUT_OF_AREA else "customer_asked")
    elif kind == "other_time":
        turn.ask("time", say("ask.time"))
    elif kind == "brand_other":
        turn.ask("brand", say("ask_brand_name"))
    elif kind == "brand_unknown":
        turn.say(say("brand_unknown", product=turn.services.catalog.product_label(s.product)), [handoff_button()])
        s.expecting = "brand"
    elif kind in ("place", "town", "brand", "product", "fault"):
        changed = _set_from_choice(turn, choice)
        if s.stage in (OUT_OF_AREA, CLOSED):
            s.stage = INTAKE
        advance(turn, changed=changed)
    else:
        return False
    return True


def _set_from_choice(turn: Turn, choice: Choice) -> set[str]:
    s = turn.s
    if choice.kind == "place":
        s.place, s.place_candidates = dict(choice.data), []
    elif choice.kind == "town":
        if s.place:
            s.place = {**s.place, "town": choice.data}
    elif choice.kind == "brand":
        s.brand, s.brand_supported = choice.data, True
        served = turn.services.catalog.products_of(s.brand)
        if len(served) == 1 and not s.product:
            s.product = served[0]
    elif choice.kind == "product":
        s.product = choice.data
    elif choice.kind == "fault":
        s.fault = choice.data
        return {"fault"}
    s.covered = None
    return {choice.kind}


def _answer_pending(turn: Turn, choice: Choice | None) -> bool:
    """Handle the answer to an open yes/no question; False if the message is about something else."""
    s, intent = turn.s, turn.parse.intent
    yes = (choice.kind == "yes") if choice else intent == "affirm"
    no = (choice.kind == "no") if choice else intent == "deny"
    if not (yes or no):
        return False
    pending, s.pending = s.pending, None
    if pending == "erase":
        if yes:
            _erase(turn)
        else:
            turn.say(say("erase_kept"))
    elif pending == "cancel":
        if yes:
            booking.cancel_booking(turn)
        else:
            turn.say(say("cancel_kept"))
    return True


def _is_command(said: str, name: str) -> bool:
    return any(word in said for word in _command_words(name)) if said else False


@cache
def _command_words(name: str) -> tuple[str, ...]:
    """The squashed phrases of a command, computed once rather than on every turn."""
    return tuple(w for w in (squash(word) for word in texts()["commands"][name]) if w)


def _ask_erase(turn: Turn) -> None:
    turn.s.pending = "erase"
    yes, no = say("erase_yes_button"), say("erase_no_button")
    turn.ask("confirm", say("erase_confirm"), [("yes", yes, yes, None), ("no", no, no, None)])


def _erase(turn: Turn) -> None:
    if turn.s.stage == BOOKED:
        turn.effect(CancelBooking("erased"))
    elif turn.s.ticket_id is not None and turn.s.stage != CLOSED:
        turn.effect(SaveTicket(status="cancelled", reason="erased"))
    turn.effect(EraseCustomer())
    turn.effect(DetachTicket())
    turn.s = ConversationState(stage=CLOSED, turns=turn.s.turns)
    turn.say(say("erased"))


def _restart(turn: Turn) -> None:
    s = turn.s
    if s.stage in (NEW, INTAKE, OFFERING, OUT_OF_AREA) and (s.started or s.ticket_id is not None):
        turn.effect(SaveTicket(status="cancelled", reason="restart"))
    if s.ticket_id is not None or s.started:
        turn.effect(DetachTicket())
    turn.s = ConversationState(turns=s.turns)
    turn.lead(say("restart"))
    turn.say(say("greet"))


def _progress(turn: Turn) -> None:
    s = turn.s
    if booking.progress(turn):
        return
    if s.stage == ESCALATED:
        turn.say(say("progress_escalated"))
        return
    turn.lead(say("progress_none"))
    merge(turn)
    if s.stage == OFFERING:
        _reshow_offers(turn)
    elif s.stage == OUT_OF_AREA:
        turn.flush_lead()
    else:
        advance(turn)


def _price(turn: Turn) -> None:
    s = turn.s
    changed = merge(turn)
    cat = turn.services.catalog
    quote = turn.services.price(s.product, s.fault)
    if quote.low is not None and quote.high is not None:
        text = say("price", product=cat.product_label(s.product), fault=cat.fault_label(s.fault), low=quote.low,
                   high=quote.high, fee=quote.call_out_fee, currency=quote.currency)
    else:
        text = say("price_general", fee=quote.call_out_fee, currency=quote.currency)
    if quote.note:
        text += say("price_note", note=quote.note)
    turn.say(text)
    if s.stage == OFFERING and not changed:
        _reshow_offers(turn)
    elif s.stage in (INTAKE, OFFERING) or (s.stage == NEW and s.started):
        advance(turn, changed=changed)


def _not_served_turn(turn: Turn) -> None:
    """After "we cannot come": a corrected place or brand starts over; pushing on goes to a human."""
    s, intent = turn.s, turn.parse.intent
    changed = merge(turn)
    if changed & {"brand", "product", "place", "place_candidates"}:
        s.stage = INTAKE
        advance(turn, changed=changed)
        return
    if intent == "affirm":
        escalate(turn, "out_of_area")
    elif intent in ("thanks", "goodbye"):
        turn.say(say(intent))
    elif intent == "deny":
        turn.say(say("out_of_area_closed"))
    else:
        s.insisted += 1
        escalate(turn, "out_of_area_insisted")


def _booked_turn(turn: Turn, changed: set[str]) -> None:
    """Messages after booking: time changes reschedule, a new phone is saved, a new place re-plans."""
    s, intent = turn.s, turn.parse.intent
    if changed & {"brand", "product", "place"}:
        place = s.place_value
        cov = turn.services.coverage(s.brand, s.product, place) if s.brand and place else None
        if cov and cov.covered is False:
            escalate(turn, "booking_change")
            return
        booking.offer_reschedule(turn, lead=say("place_changed_after_booking"))
        return
    if "when" in changed:
        booking.offer_reschedule(turn)
        return
    if "phone" in changed:
        turn.say(say("updated_phone", phone=mask_phone(s.phone)))
        return
    if turn.phone_invalid:
        turn.ask("phone", say("phone_invalid"))
        return
    if intent in ("thanks", "goodbye"):
        turn.say(say(intent))
        return
    if intent == "out_of_scope":
        turn.misunderstood = True
    w = booking.window_of(s.booking) if s.booking else None
    turn.say(say("already_booked", **w) if w else say("welcome_back"))


# -- end of turn ------------------------------------------------------------------------------------
def _finish(turn: Turn) -> Step:
    s = turn.s
    s.misunderstood = s.misunderstood + 1 if turn.misunderstood else 0
    if s.misunderstood >= MISUNDERSTOOD_LIMIT and s.stage != ESCALATED:
        escalate(turn, "misunderstood", replace=True)
    turn.flush_lead()
    effects = list(turn.effects)
    save = _autosave(turn)
    if save and any(isinstance(e, DetachTicket) for e in effects):
        effects.append(save)  # facts of a new request, after the old ticket was let go
    elif save:
        effects.insert(0, save)
    return Step(state=s, replies=turn.replies, effects=effects)


def _autosave(turn: Turn) -> SaveTicket | None:
    """Write the intake facts to the ticket whenever they or the stage's status changed."""
    s, before = turn.s, turn.before
    if s.stage == CLOSED or not (s.started or s.stage == ESCALATED):
        return None
    status = _STATUS.get(s.stage)
    status_changed = status != _STATUS.get(before.stage) or s.ticket_id is None
    facts = s.ticket_fields()
    if not status_changed and facts == before.ticket_fields():
        return None
    if s.ticket_id is not None and facts["phone"] == before.phone:
        del facts["phone"]  # unchanged: spare the engine the customer lookup
    return SaveTicket(status=status if status_changed else None, fields=facts,
                      reason=s.coverage_reason if s.stage == OUT_OF_AREA else None)
