"""``step``: one customer turn through the conversation policy.

Precedence inside a turn: commands that work anywhere (erase, restart) → danger and urgency (110/119
first) → "I don't know" to the brand or fault question → a rebook of an ended request → a pressed or
typed pick (an ambiguous one gets a short question) and an open yes/no question → ending the request
("先不修了") → the reply to the address question → intents that work anywhere (human, complaint,
cancel, reschedule, progress, price) → the stage's own handling (intake, offering, booked, not
served, escalated).

No question is shown a third time: after two unusable answers in a row the chat goes to a person,
and the customer is told why.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from functools import cache

from dialogs import address, booking, ending, maintenance, subscription, survey, urgent
from dialogs.choices import WINDOW_KINDS, Ambiguous, match_choice, pick
from dialogs.effects import CancelBooking, DetachTicket, EraseCustomer, SaveTicket
from dialogs.handoff import escalate, handoff_button
from dialogs.intake import advance, merge
from dialogs.services import Offer, Services
from dialogs.state import BOOKED, CLOSED, ESCALATED, INTAKE, NEW, OFFERING, OUT_OF_AREA, ConversationState
from dialogs.texts import mask_phone, say, squash, texts
from dialogs.turn import Choice, Step, Turn, town_core
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
    _check_handoff_intent(turn)
    if _command(turn):
        return
    # Answers to what the bot asked on its own initiative (survey, maintenance) and 退订, then the answer
    # to an open yes/no question: all before a finished visit turns the message into a new request.
    if subscription.handle(turn) or survey.answer(turn) or maintenance.handle(turn) or _pending(turn):
        return
    _new_request_after_visit(turn)
    urgent.note_safety_and_urgency(turn)
    if _dont_know(turn) or _rebook(turn) or _typed_decline(turn) or _buttons(turn) or _ending(turn) \
            or _address(turn) or _second_device(turn):
        return
    _intents_and_stage(turn)


def _check_handoff_intent(turn: Turn) -> None:
    """Believe "ask_human" / "complaint" / "ask_price" only with a word that says so (texts.yml ``intent_cues``);
    a question about when the technician comes is a progress question (``eta_question``)."""
    p = turn.parse
    said = squash(p.text)
    if p.intent in ("ask_price", "reschedule", "out_of_scope") and not p.when \
            and any(squash(w) in said for w in texts()["eta_question"]):
        turn.parse = replace(p, intent="ask_progress")
        return
    cues = texts()["intent_cues"].get(p.intent or "")
    if cues and not any(squash(str(c)) in said for c in cues):
        turn.parse = replace(p, intent="out_of_scope")


def _command(turn: Turn) -> bool:
    said = squash(turn.parse.text)
    if _is_command(said, "erase"):
        _ask_erase(turn)
    elif _is_command(said, "restart"):
        _restart(turn)
    else:
        return False
    return True


def _new_request_after_visit(turn: Turn) -> None:
    """The visit is done (or was cancelled by staff): a new message is a new request, and a repeat of
    the same fault ("又打不开了") can reuse the device, place and phone."""
    s = turn.s
    if s.stage == BOOKED and turn.parse.intent != "ask_progress" and _visit_finished(turn):
        turn.effect(DetachTicket())
        turn.s = ConversationState(turns=s.turns, previous=booking.remembered(s), survey=s.survey)


def _dont_know(turn: Turn) -> bool:
    """"不知道" to the brand question (where to look) or to the fault question (asked once: move on)."""
    p, said = turn.parse, squash(turn.parse.text)
    if turn.before.expecting == "brand" and _is_command(said, "dont_know") and not p.brand:
        return _pressed(turn, Choice("brand_unknown", p.text))
    if turn.before.expecting == "fault" and _only_dont_know(said):
        # "不知道" alone (the NLU may read it as 忘记密码 when a fault is expected)
        turn.lead(say("fault_skipped"))
        advance(turn)
        return True
    return False


def _rebook(turn: Turn) -> bool:
    """"重新预约" after a decline, a cancellation or a visit: the last request's facts, confirmed in one line."""
    s, p = turn.s, turn.parse
    if not (s.previous and s.stage in (NEW, CLOSED)):
        return False
    if not (ending.wants_rebook(p) or ending.repeats_fault(p, s.previous)):
        return False
    ending.restore(turn)
    advance(turn, changed=merge(turn) | {"place"})
    return True


def _pending(turn: Turn) -> bool:
    """The answer to an open yes/no question (erase, cancel); anything else closes the question."""
    s = turn.s
    if not s.pending:
        return False
    choice = pick(s, turn.parse, turn.now)
    if _answer_pending(turn, choice if isinstance(choice, Choice) else None):
        return True
    s.pending = None
    return False


def _buttons(turn: Turn) -> bool:
    """A pressed or typed pick."""
    s = turn.s
    choice = pick(s, turn.parse, turn.now)
    if choice is None and turn.before.expecting == "town":
        choice = _typed_town(turn)
    if isinstance(choice, Ambiguous):
        _ask_which(turn, choice)
        return True
    return bool(choice) and _pressed(turn, choice)


def _typed_decline(turn: Turn) -> bool:
    """"这几个时间都不行，先不弄了": a decline typed over the offers beats a loose typed pick (一个 pressed
    button still means the button)."""
    if match_choice(turn.s, turn.parse.text) is not None:
        return False
    return _ending(turn)


def _second_device(turn: Turn) -> bool:
    """After a booking, "另外家里的保险柜也坏了": another device gets its own request (place, address and
    phone carried over); the booked visit is left as it is. A correction ("说错了，是…") is not this."""
    s, p = turn.s, turn.parse
    if s.stage != BOOKED or not (p.product or p.brand):
        return False
    said = squash(p.text)
    same_kind = (p.product or s.product) == s.product and (p.brand or s.brand) == s.brand
    if same_kind and not _is_command(said, "another_same_device"):
        return False
    if not _is_command(said, "another_device") or _is_command(said, "correction"):
        return False
    kept = booking.remembered(s) or {}
    turn.effect(DetachTicket())
    turn.s = new = ConversationState(stage=INTAKE, turns=s.turns, survey=s.survey)
    for key in ("place", "phone", "address"):
        setattr(new, key, kept.get(key))
    changed = merge(turn)
    cat = turn.services.catalog
    turn.lead(say("second_device", brand=new.brand or "", product=cat.product_label(new.product)))
    turn.summarised = True
    advance(turn, changed=changed | {"place"})
    return True


def _ending(turn: Turn) -> bool:
    reason = ending.decline_reason(turn.parse.text)
    return bool(reason) and _decline(turn, reason)


def _address(turn: Turn) -> bool:
    """The reply to "详细地址是？" (True when the turn is answered here, e.g. a refusal)."""
    if turn.before.expecting != "address" or turn.parse.address or turn.s.stage not in (NEW, INTAKE, BOOKED):
        return False
    return _address_reply(turn)


def _intents_and_stage(turn: Turn) -> None:
    """Intents that work anywhere, then the stage's own handling."""
    s, p = turn.s, turn.parse
    intent = p.intent
    if intent == "ask_human":
        escalate(turn, "out_of_area" if s.stage == OUT_OF_AREA else "customer_asked")
        return
    if intent == "complaint":
        escalate(turn, "complaint")
        return
    if s.stage == CLOSED:
        # A finished conversation: whatever comes next starts a new intake (urgent if this message is).
        turn.s = s = ConversationState(turns=s.turns, urgent=s.urgent, alerted=s.alerted)
    if s.stage == ESCALATED:
        merge(turn)
        turn.say(say("escalated_wait") if intent not in ("thanks", "goodbye") else say(intent))
        return
    if intent == "cancel":
        booking.ask_cancel(turn)
        return
    if intent == "ask_progress" and not (s.stage != BOOKED and p.when and (p.when.start or p.when.asap)):
        _progress(turn)  # "周六上午来" (read as a progress question) before a booking is a requested time
        return
    if intent == "ask_price":
        _price(turn)
        return
    if intent == "reschedule" and s.stage == BOOKED and not _changes_contact(p):
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
    _note_other_answer(turn, changed)
    advance(turn, changed=changed)


def _note_other_answer(turn: Turn, changed: set[str]) -> None:
    """Asked one thing, told another ("请问详细地址？" → the phone): say it was taken before asking again,
    so the repeated question does not read as if the answer was lost."""
    asked, names = turn.before.expecting, texts()["noted_fact_names"]
    if asked not in names or asked in changed:
        return
    got = [names[k] for k in names if k in changed and k != asked]
    if got:
        turn.lead(say("noted_fact", what="、".join(got)))


def _faq(turn: Turn) -> bool:
    """A question about the service itself ("你们是机器人吗"): answered, never a misunderstanding."""
    said = squash(turn.parse.text)
    for entry in texts()["faq"].values():
        if said and _faq_pattern(tuple(entry["patterns"])).search(said):
            turn.lead(entry["answer"])
            return True
    return False


@cache
def _faq_pattern(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(patterns))


def _changes_contact(p: Parse) -> bool:
    """"地址改成索河路8号", "电话换一下 150…": 改/换 changes a fact here, not the visit's time."""
    return bool(p.phone or p.place or address.correction_in(p))


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


def _address_reply(turn: Turn) -> bool:
    """The answer to "详细地址是？": taken as the address whatever the NLU found; True when handled here."""
    p = turn.parse
    taken = address.take_reply(p)
    if taken:
        turn.parse = replace(p, address=taken, intent="report_fault" if p.intent in _CHATTER else p.intent)
        return False
    if address.is_refusal(p.text):
        turn.ask("address", say("address_refused"), [handoff_button()])
        turn.reasked = True
        return True
    return False


# Intents a bare answer is often mistaken for; an answer to our question is none of them.
_CHATTER = ("out_of_scope", "affirm", "deny", "ask_progress", "reschedule", "greet")


def _decline(turn: Turn, reason: str) -> bool:
    """"先不修了", "我自己再试试", "等我问问家里人": end the request politely (stage permitting)."""
    s = turn.s
    if s.stage in (INTAKE, OFFERING) or (s.stage == NEW and (s.started or s.ticket_id is not None)):
        ending.close(turn, reason)
    elif s.stage == BOOKED:
        booking.ask_cancel(turn)  # a booked visit is cancelled only after a yes
    elif s.stage == OUT_OF_AREA:
        turn.say(say("out_of_area_closed"))
    elif s.stage in (NEW, CLOSED):
        turn.say(say("come_back_new"))
    else:
        return False
    return True


def _ask_which(turn: Turn, ambiguous: Ambiguous) -> None:
    """A short question after a typed pick that fits several buttons (or a number not on screen)."""
    s = turn.s
    shown = [(c["kind"], c.get("label") or c["value"], c["value"], c.get("data")) for c in s.choices]
    if ambiguous.options:
        options = [(c["kind"], c.get("label") or c["value"], c["value"], c.get("data")) for c in ambiguous.options]
        windows = all(c["kind"] in WINDOW_KINDS for c in ambiguous.options)
        text = say("which_window" if windows else "which_option", count=len(options))
        options += [b for b in shown if b[0] == "other_time"]
    else:
        text, options = say("which_number", count=len(shown)), shown
    turn.ask(turn.before.expecting or "choice", text, options)
    turn.reasked = True


def _no_new_facts(turn: Turn) -> None:
    """Nothing usable in the message: answer the social intents, else admit it and ask again."""
    s, intent = turn.s, turn.parse.intent
    if turn.parse.urgent or turn.parse.safety:
        # Understood: the danger or urgency was answered; go on with what is still missing.
        if s.stage == OFFERING:
            booking.offer(turn, summary=False)
        else:
            advance(turn)
        return
    if intent in ("thanks", "goodbye"):
        turn.say(say(intent))
        return
    if _faq(turn):
        if s.stage == OFFERING:
            _reshow_offers(turn)
        else:
            advance(turn)
        return
    if s.stage == NEW and (intent == "greet" or (intent == "report_fault" and not s.started
                                                  and _is_command(squash(turn.parse.text), "repair_request"))):
        turn.say(say("greet"))  # "你好我要报修": what we need to know, not "I only do repairs"
        return
    if intent == "reschedule" and s.stage == OFFERING:
        turn.ask("time", say("ask.time"))  # "另约个时间": which time suits them?
        return
    if intent == "deny" and turn.before.expecting == "phone":
        turn.ask("phone", say("phone_refused"), [handoff_button()])
        turn.reasked = True
        return
    if intent == "reschedule":
        turn.lead(say("nothing_to_reschedule"))
    elif intent == "deny" and s.stage == OFFERING:
        turn.ask(None, say("what_to_fix"))
        return
    elif intent == "affirm" and s.stage == OFFERING:
        turn.reasked = True  # "好的" to the offers: the reminder below says what to do
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
        s.asked.append("brand")  # "where to look" asks for the brand again: it counts as a showing
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


def _only_dont_know(said: str) -> bool:
    """The whole message is "I don't know" ("不知道啊", "说不清"), nothing else."""
    core = said.rstrip("啊呀呢吧哦嘛了诶")
    return bool(core) and core in _command_words("dont_know")


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
    """Messages after booking: time changes reschedule, a new phone or address is saved, a new place
    re-plans (after asking the street address there)."""
    s, intent = turn.s, turn.parse.intent
    if changed & {"brand", "product", "place"}:
        place = s.place_value
        cov = turn.services.coverage(s.brand, s.product, place) if s.brand and place else None
        if cov and cov.covered is False:
            escalate(turn, "booking_change")
            return
        if "place" in changed and not s.address:
            turn.ask("address", say("ask.address"))
            return
        booking.offer_reschedule(turn, lead=say("place_changed_after_booking"))
        return
    if "address" in changed and turn.before.expecting == "address":
        # The street address of a new county, asked for above: now the visit can be re-planned.
        booking.offer_reschedule(turn, lead=say("place_changed_after_booking"))
        return
    if changed & {"address", "phone"} and "when" not in changed:
        # Both may be corrected in one message ("电话写错了，是…，地址是…"): say back each.
        said = [say("updated_address", address=address.mask(s.address))] if "address" in changed else []
        said += [say("updated_phone", phone=mask_phone(s.phone))] if "phone" in changed else []
        turn.say("".join(said))
        return
    if "when" in changed:
        booking.offer_reschedule(turn)
        return
    if turn.phone_invalid:
        turn.ask("phone", say("phone_invalid"))
        turn.reasked = True
        return
    if intent in ("thanks", "goodbye"):
        turn.say(say(intent))
        return
    if _faq(turn):
        turn.flush_lead()
        return
    if intent == "out_of_scope":
        turn.misunderstood = True
    w = booking.window_of(s.booking) if s.booking else None
    turn.say(say("already_booked", **w) if w else say("welcome_back"))


# -- end of turn ------------------------------------------------------------------------------------
def _finish(turn: Turn) -> Step:
    s, before = turn.s, turn.before
    s.misunderstood = s.misunderstood + 1 if turn.misunderstood else 0
    asked_again = s.expecting is not None and s.expecting == before.expecting and (turn.reasked or turn.misunderstood)
    s.unanswered = before.unanswered + 1 if asked_again else 0
    if max(s.misunderstood, s.unanswered) >= MISUNDERSTOOD_LIMIT and s.stage != ESCALATED:
        # The same question would be shown a third time, or two messages in a row made no sense:
        # a person takes over, and the customer hears why.
        asked_twice = before.expecting if s.unanswered >= MISUNDERSTOOD_LIMIT else None
        escalate(turn, "misunderstood", replace=True, text=_why_handoff(asked_twice))
    turn.flush_lead()
    effects = list(turn.effects)
    save = _autosave(turn)
    if save and any(isinstance(e, DetachTicket) for e in effects):
        effects.append(save)  # facts of a new request, after the old ticket was let go
    elif save:
        effects.insert(0, save)
    return Step(state=s, replies=turn.replies, effects=effects)


def _why_handoff(question: str | None) -> str:
    names = texts()["question_names"]
    if question in names:
        return say("handoff_unanswered", what=names[question])
    return say("handoff_misunderstood")


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
