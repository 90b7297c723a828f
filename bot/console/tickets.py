"""Ticket work in the console, without HTTP: read a ticket, fix its fields, book or move its visit,
report the visit done with the post-repair check.

Fixes made here also go into the chat's dialog state when the chat is about this ticket, so the bot,
once it has the chat back, does not write the old county or fault over the operator's correction.
Booking goes through ``bot.booking`` (capacity-safe under any concurrency) and re-plans the reminders
(``bot.followups.plan_visit``); the customer is told the window on their own channel.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking import SlotOffer, book, find_slots, offer_from_ref, reschedule
from bot.console import labels
from bot.console.errors import ConsoleError, not_found
from bot.console.photos import PhotoView, for_ticket
from bot.console.services import Context, address_of
from bot.console.staff import Staff, audit
from bot.followups import plan_visit
from bot.outbox import queue as outbox
from bot.privacy import mask_phone
from bot.store.models import AuditLog, Booking, Conversation, Customer, Slot, SurveyAnswer, Technician, Ticket
from bot.visit_report import CheckItem, VisitError, checklist, mark_done
from dialogs.replies import Reply
from dialogs.services import Offer
from dialogs.state import BOOKED, ESCALATED, ConversationState

MAX_ADDRESS_CHARS = 200
OFFER_COUNT = 6
_BOOKABLE = ("collecting", "escalated", "booked", "out_of_area")


@dataclass(frozen=True, slots=True)
class Visit:
    """A booking of the ticket as listed on its page."""

    start: datetime
    end: datetime
    technician: str
    status: str


@dataclass(frozen=True, slots=True)
class Trail:
    """One audit entry about the ticket: who did what, when."""

    at: datetime
    actor: str
    action: str


@dataclass
class TicketView:
    """Everything the ticket page shows."""

    id: int
    status: str
    reason: str | None
    conversation_id: int | None
    brand: str | None
    product: str
    fault: str | None
    fault_label: str
    adcode: str | None
    place: str
    covered: bool | None
    address: str | None
    phone_masked: str
    created_at: datetime
    visited_at: datetime | None
    visit_check: dict[str, Any]
    visits: list[Visit] = field(default_factory=list)
    offers: list[SlotOffer] = field(default_factory=list)
    offers_note: str | None = None
    checks: list[CheckItem] = field(default_factory=list)
    faults: list[tuple[str, str]] = field(default_factory=list)
    survey: list[tuple[str, str]] = field(default_factory=list)
    trail: list[Trail] = field(default_factory=list)
    photos: list[PhotoView] = field(default_factory=list)
    can_book: bool = False
    can_report_visit: bool = False


def _ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise not_found("工单")
    return ticket


def page(session: Session, ctx: Context, ticket_id: int, now: datetime) -> TicketView:
    """The ticket page: fields, photos, visits, windows it could be booked in, checklist, survey, audit trail."""
    t = _ticket(session, ticket_id)
    customer = session.get(Customer, t.customer_id) if t.customer_id else None
    view = TicketView(
        id=t.id, status=t.status, reason=t.escalation_reason, conversation_id=t.conversation_id, brand=t.brand,
        product=labels.product(t.product, ctx.config), fault=t.fault, fault_label=labels.fault(t.fault, ctx.config),
        adcode=t.adcode, place=labels.place(t.adcode, t.town), covered=t.covered, address=address_of(session, t),
        phone_masked=mask_phone(customer.phone) if customer is not None and customer.phone else "-",
        created_at=t.created_at, visited_at=t.visited_at, visit_check=dict(t.visit_check or {}))
    view.visits = [Visit(s.start, s.end, name, b.status) for b, s, name in session.execute(
        select(Booking, Slot, Technician.name).join(Slot, Booking.slot_id == Slot.id)
        .join(Technician, Slot.technician_id == Technician.id).where(Booking.ticket_id == t.id)
        .order_by(Booking.id))]
    view.can_book = t.status in _BOOKABLE and t.visited_at is None
    view.can_report_visit = t.active_booking is not None and t.visited_at is None
    if view.can_book:
        view.offers, view.offers_note = offers(session, ctx, t, now)
    view.checks = list(checklist(ctx.config).values())
    view.faults = [(str(k), str(v)) for k, v in (ctx.config.get("faults") or {}).items()]
    for answer in session.scalars(select(SurveyAnswer).where(SurveyAnswer.ticket_id == t.id).order_by(SurveyAnswer.id)):
        if answer.question == "comment":
            view.survey.append(("留言", answer.comment or ""))
        elif answer.question == "resolved":
            view.survey.append(("是否解决", "已解决" if answer.score else "未解决"))
        else:
            view.survey.append(("满意度", f"{answer.score} 分" if answer.score is not None else "-"))
    view.photos = for_ticket(session, t.id)
    view.trail = [Trail(a.at, a.actor, a.action) for a in session.scalars(
        select(AuditLog).where(AuditLog.target == f"ticket:{t.id}").order_by(AuditLog.id.desc()).limit(50))]
    return view


def offers(session: Session, ctx: Context, ticket: Ticket, now: datetime) -> tuple[list[SlotOffer], str | None]:
    """Free windows for the ticket (the booked one left out), or none with the reason why."""
    if not (ticket.brand and ticket.product and ticket.adcode):
        return [], "需要先有品牌、产品和区县才能查询可约时段"
    found = find_slots(session, brand=ticket.brand, product=ticket.product, adcode=ticket.adcode, town=ticket.town,
                       after=now, count=OFFER_COUNT + 1, config=ctx.config)
    current = ticket.active_booking
    if current is not None:
        found = [o for o in found if not (o.technician_id == current.slot.technician_id
                                          and o.start == current.slot.start)]
    found = found[:OFFER_COUNT]
    return found, None if found else "没有可约时段（该区县没有可服务的师傅，或近期已约满）"


def _chat_state(session: Session, ticket: Ticket) -> tuple[Conversation | None, ConversationState | None]:
    """The chat and its dialog state when the chat is about this ticket now."""
    conv = session.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
    if conv is None:
        return None, None
    state = ConversationState.from_json(conv.state)
    return (conv, state) if state.ticket_id == ticket.id else (conv, None)


def edit(session: Session, ctx: Context, me: Staff, ticket_id: int, *, county: str | None, fault: str | None,
         address: str | None, now: datetime) -> list[str]:
    """Fix the county, the fault and/or the address; returns the names of the fields changed."""
    ticket = _ticket(session, ticket_id)
    conv, state = _chat_state(session, ticket)
    changed: list[str] = []
    if county is not None and county.strip():
        place = _place(county.strip())
        if (place.adcode, place.town) != (ticket.adcode, ticket.town):
            import regions

            ticket.adcode, ticket.town = place.adcode, place.town
            ticket.covered = regions.covers(ticket.brand, place).covered if ticket.brand else None
            if state is not None:
                state.place, state.covered = place.to_json(), ticket.covered
            changed.append("county")
    if fault is not None and fault.strip() and fault != ticket.fault:
        if fault not in (ctx.config.get("faults") or {}):
            raise ConsoleError(400, "故障类型无效")
        ticket.fault = fault
        if state is not None:
            state.fault = fault
        changed.append("fault")
    if address is not None and address.strip() and address.strip() != (address_of(session, ticket) or ""):
        _set_address(session, ticket, address.strip())
        changed.append("address")
    if conv is not None and state is not None and changed:
        conv.state = state.to_json()
    if changed:
        audit(session, me, "ticket.edit", f"ticket:{ticket.id}", now, fields=changed, adcode=ticket.adcode,
              fault=ticket.fault)
    return changed


def _place(text: str) -> Any:
    """A county from what the operator typed (名称 or a 6-digit code); 400 when unknown or ambiguous."""
    import regions

    if text.isdigit() and len(text) == 6:
        division = regions.lookup(text)
        if division is None or division.level != "county" and not division.has_towns:
            raise ConsoleError(400, f"没有区县代码 {text}")
        return division.place()
    match = regions.find_place(text, expecting=True)
    if match.place is not None:
        return match.place
    if match.candidates:
        names = "、".join(p.label for p in match.candidates[:6])
        raise ConsoleError(400, f"“{text}”有多个同名区县：{names}，请写上所在城市")
    raise ConsoleError(400, f"没有找到区县“{text}”")


def _set_address(session: Session, ticket: Ticket, address: str) -> None:
    if len(address) > MAX_ADDRESS_CHARS:
        raise ConsoleError(400, f"地址最多 {MAX_ADDRESS_CHARS} 字")
    # The ticket keeps its own visit address once the model has one (street-address intake); until
    # then the address lives with the customer.
    if hasattr(Ticket, "address"):
        ticket.address = address
        return
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    if customer is None:
        raise ConsoleError(409, "这个工单还没有客户电话，地址无处保存：请先让客户留下电话")
    customer.address = address


def book_visit(session: Session, ctx: Context, me: Staff, ticket_id: int, ref: str, now: datetime) -> str:
    """Book (or move) the ticket's visit into the offered window ``ref``; the customer is told. Returns the label."""
    ticket = _ticket(session, ticket_id)
    if ticket.status not in _BOOKABLE or ticket.visited_at is not None:
        raise ConsoleError(409, f"工单状态为“{labels.status(ticket.status)}”，不能预约")
    try:
        offer = offer_from_ref(session, ref, adcode=ticket.adcode, config=ctx.config)
    except ValueError:
        offer = None
    if offer is None:
        raise ConsoleError(409, "这个时段已不可约，请重新选择")
    current = ticket.active_booking
    moved = current is not None
    booking = (reschedule(session, current, offer, actor=me.actor, config=ctx.config, now=now) if current is not None
               else book(session, ticket, offer, config=ctx.config, now=now))
    if booking is None:
        raise ConsoleError(409, "这个时段刚刚被约满了，请选择其他时段")
    plan_visit(session, ticket, now=now, config=ctx.config)
    conv, state = _chat_state(session, ticket)
    visit = Offer(ref=offer.ref, technician=offer.technician_name, start=offer.start, end=offer.end,
                  distance_km=offer.distance_km, eta_minutes=offer.eta_minutes)
    if conv is not None and state is not None:
        state.booking = visit.to_json()
        if state.stage != ESCALATED:
            state.stage = BOOKED
        conv.state = state.to_json()
    if conv is not None:
        text = (f"已为您{'改约' if moved else '预约'}：{offer.technician_name}师傅 {offer.label} 上门，"
                "师傅出发前会电话联系您。")
        outbox.enqueue(session, key=f"operator_reply:{conv.id}:{uuid.uuid4().hex}", channel=conv.channel,
                       chat_id=conv.chat_id, kind="operator_reply", reply=Reply(text), due_at=now,
                       conversation_id=conv.id, ticket_id=ticket.id, meta={"operator_id": me.id})
    audit(session, me, "booking.reschedule" if moved else "booking.book", f"ticket:{ticket.id}", now,
          technician=offer.technician_id, start=offer.start.isoformat())
    return offer.label


def report_visit(session: Session, ctx: Context, me: Staff, ticket_id: int, *, check: dict[str, str],
                 notes: str | None, now: datetime) -> None:
    """Mark the visit done with the post-repair check (blank items are left out); the survey is planned."""
    _ticket(session, ticket_id)
    items = checklist(ctx.config)
    values: dict[str, int | str] = {}
    try:
        for key, raw in check.items():
            if key not in items:
                raise ConsoleError(400, f"未知的检测项 {key}")
            if raw.strip():
                values[key] = items[key].read(raw.strip())
        _, changed = mark_done(session, ticket_id, now=now, config=ctx.config, notes=(notes or "").strip() or None,
                               check=values, actor=me.actor)
    except VisitError as exc:
        raise ConsoleError(400, str(exc)) from exc
    if not changed:
        raise ConsoleError(409, "这个工单已经报告过上门完成")
