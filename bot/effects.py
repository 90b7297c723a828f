"""Apply the dialogs' effects to the database, inside the engine's per-message transaction.

Effects act on the conversation's *current ticket* (see ``dialogs/effects.py``). A booking that no
longer fits (the window filled up meanwhile) raises :class:`SlotUnavailable`; the engine then rolls
the turn's effects back to a savepoint and runs ``dialogs.slot_taken`` instead.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from bot.privacy import erase_customer, lookup_hash, normalise_phone
from bot.store.models import AuditLog, Booking, Conversation, Customer, SurveyAnswer, Technician, Ticket
from dialogs import (
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

if TYPE_CHECKING:
    from bot.booking.visits import BookedVisit

log = logging.getLogger(__name__)

_TICKET_FACTS = ("brand", "product", "fault", "adcode", "town", "covered", "address", "urgent")
_FINAL = ("cancelled", "closed")


_AUDIT_INSERT = AuditLog.__table__.insert()


class SlotUnavailable(Exception):
    """The chosen visit window can no longer be booked."""


class EffectApplier:
    """Applies effects in order for one conversation; ``ticket`` is the current ticket afterwards."""

    def __init__(self, session: Session, conversation: Conversation, ticket: Ticket | None,
                 config: dict[str, Any], now: datetime) -> None:
        self.session = session
        self.conversation = conversation
        self.ticket = ticket
        self.config = config
        self.now = now
        self.touched: Ticket | None = ticket  # the last ticket changed, shown to web clients
        self._technician: Technician | None = None
        # Visits booked by these effects, by ticket id: the TICKET view and the reminders use them as
        # they are instead of reading the booking back (two SELECTs less on the booking press).
        self.booked: dict[int, BookedVisit] = {}

    def apply(self, effects: list[Effect]) -> None:
        """Apply every effect; raises :class:`SlotUnavailable` when a booking or reschedule fails."""
        for effect in effects:
            handler = getattr(self, "_" + type(effect).__name__)
            handler(effect)
        # No flush of its own: the engine's next statement (or the savepoint's end, around bookings)
        # flushes, and then the conversation's changes of this turn go out as one UPDATE, not two.

    # -- tickets -------------------------------------------------------------------------------------
    def _current(self) -> Ticket:
        if self.ticket is None:
            # The engine's clock, not the wall clock: a demo or test at --now keeps one timeline.
            self.ticket = Ticket(conversation_id=self.conversation.id, status="collecting",
                                 customer_id=self.conversation.customer_id, created_at=self.now, updated_at=self.now)
            self.session.add(self.ticket)
            self.session.flush()
        self.touched = self.ticket
        return self.ticket

    def _SaveTicket(self, effect: SaveTicket) -> None:  # noqa: N802 - named after the effect type
        ticket = self._current()
        for key in _TICKET_FACTS:
            if key in effect.fields:
                value = effect.fields[key]
                setattr(ticket, key, bool(value) if key == "urgent" else value)
        phone = effect.fields.get("phone")
        if phone:
            self._link_customer(ticket, phone, ticket.address if "address" in effect.fields else None)
        if ticket.address and ticket.customer_id is not None and "address" in effect.fields:
            # The customer's latest address, for operators looking them up (encrypted like the ticket's).
            customer = self.session.get(Customer, ticket.customer_id)
            if customer is not None and customer.erased_at is None:
                customer.address = ticket.address
        if effect.status and effect.status != ticket.status:
            ticket.status = effect.status
            if effect.status in _FINAL:
                ticket.closed_at = self.now
                ticket.close_reason = effect.reason
            self._audit(f"ticket.{effect.status}", ticket, {"reason": effect.reason} if effect.reason else {})

    def _link_customer(self, ticket: Ticket, phone: str, address: str | None = None) -> None:
        """Find the customer by the keyed hash of the phone, or create one; link chat and ticket.

        ``address``: given with the phone, a new customer is inserted with it (one INSERT, no UPDATE).
        """
        digest = lookup_hash(normalise_phone(phone))
        customer = self.conversation.customer
        if customer is None or customer.phone_hash != digest:
            customer = self.session.scalars(
                select(Customer).where(Customer.phone_hash == digest, Customer.erased_at.is_(None)).limit(1)
            ).first()
        if customer is None:
            customer = Customer(phone=normalise_phone(phone), phone_hash=digest, address=address)
            self.session.add(customer)
            self.session.flush()
        self.conversation.customer_id = customer.id
        self.conversation.customer = customer
        ticket.customer_id = customer.id
        ticket.customer = customer

    def _DetachTicket(self, effect: DetachTicket) -> None:  # noqa: N802
        self.ticket = None

    def _Escalate(self, effect: Escalate) -> None:  # noqa: N802
        ticket = self._own_ticket(effect.ticket_id) if effect.ticket_id is not None else None
        ticket = ticket or self._current()
        ticket.status = "escalated"
        ticket.escalation_reason = effect.reason
        self._audit("ticket.escalate", ticket, {"reason": effect.reason})
        from bot.channels.alerts import plan_operator_alert

        self.session.flush()  # the ticket needs its id for the alert
        plan_operator_alert(self.session, ticket, effect.reason, self.conversation, self.config, self.now)

    def _own_ticket(self, ticket_id: int) -> Ticket | None:
        """A ticket of this conversation by id (a survey's); None for anyone else's."""
        ticket = self.session.get(Ticket, ticket_id)
        return ticket if ticket is not None and ticket.conversation_id == self.conversation.id else None

    def _AlertOperators(self, effect: AlertOperators) -> None:  # noqa: N802
        """Put the ticket in the operators' queue at once (status ``escalated``, the alert's reason) while
        the chat stays with the bot: the customer can still book the earliest window, and booking it
        settles the ticket as ``booked``. Nobody holds the chat until an operator takes it over."""
        ticket = self._current()
        ticket.urgent = True  # every alert is about something that cannot wait
        ticket.alert_reason = effect.reason
        ticket.alerted_at = self.now
        if ticket.status in ("collecting", "out_of_area"):
            ticket.status = "escalated"
            ticket.escalation_reason = effect.reason
        self._audit("ticket.alert", ticket, {"reason": effect.reason})

    # -- bookings ------------------------------------------------------------------------------------
    def _slot_offer(self, ref: str) -> Any:
        from bot.booking import offer_from_ref
        from bot.booking.offers import parse_ref

        ticket = self._current()
        with contextlib.suppress(ValueError):  # a malformed ref: offer_from_ref refuses it below
            # Held for the rest of the turn: the session keeps only referenced objects, and booking
            # reads this technician again (one SELECT instead of two).
            # Without the phone: booking does not need it, and reading it decrypts.
            self._technician = self.session.get(Technician, parse_ref(ref).technician_id,
                                                options=[defer(Technician.phone)])
        offer = offer_from_ref(self.session, ref, adcode=ticket.adcode, config=self.config)
        if offer is None:
            raise SlotUnavailable(ref)
        return offer

    def _BookSlot(self, effect: BookSlot) -> None:  # noqa: N802
        self._book(self._current(), effect.offer.ref)

    def _Reschedule(self, effect: Reschedule) -> None:  # noqa: N802
        from bot.booking import reschedule

        ticket = self._current()
        current = ticket.active_booking
        if current is None:  # nothing left to move (e.g. staff cancelled it): book the window afresh
            self._book(ticket, effect.offer.ref)
            return
        offer = self._slot_offer(effect.offer.ref)
        new = reschedule(self.session, current, offer, config=self.config, now=self.now)
        if new is None:
            raise SlotUnavailable(effect.offer.ref)
        self._remember(ticket, new, offer)

    def _book(self, ticket: Ticket, ref: str) -> None:
        from bot.booking import book

        # No autoflush: none of the booking's reads depend on this turn's pending ticket changes, which
        # then go out with the booking in book()'s one flush instead of a flush before each read.
        with self.session.no_autoflush:
            offer = self._slot_offer(ref)
            booking = book(self.session, ticket, offer, config=self.config, now=self.now)
        if booking is None:
            raise SlotUnavailable(ref)
        self._remember(ticket, booking, offer)

    def _remember(self, ticket: Ticket, booking: Booking, offer: Any) -> None:
        from bot.booking.visits import BookedVisit

        self.booked[ticket.id] = BookedVisit(booking.id, offer.start, offer.end, offer.technician_name,
                                             booking.eta_minutes)

    def _CancelBooking(self, effect: CancelBooking) -> None:  # noqa: N802
        from bot.booking import cancel

        ticket = self._current()
        self.booked.pop(ticket.id, None)
        booking = ticket.active_booking
        if booking is not None:
            cancel(self.session, booking, reason=effect.reason, now=self.now)
        if ticket.status not in _FINAL:
            ticket.status = "cancelled"
            ticket.closed_at = self.now
        if ticket.status == "cancelled":
            ticket.close_reason = effect.reason

    def _ScheduleFollowUps(self, effect: ScheduleFollowUps) -> None:  # noqa: N802
        """Plan the reminders of the booked visit; a reschedule replaces the earlier plan."""
        from bot.followups import plan_visit

        self.session.flush()
        ticket = self._current()
        booked = self.booked.get(ticket.id)
        # The ticket's bookings were loaded by the booking itself: no query to tell a first booking.
        first = booked is not None and [b.id for b in ticket.bookings] == [booked.booking_id]
        plan_visit(self.session, ticket, now=self.now, config=self.config, booked=booked, first_booking=first)

    # -- feedback and subscriptions ------------------------------------------------------------------
    def _RecordSurveyAnswer(self, effect: RecordSurveyAnswer) -> None:  # noqa: N802
        ticket = self._own_ticket(effect.ticket_id)
        if ticket is None:
            log.warning("survey answer for ticket %s outside conversation %s ignored", effect.ticket_id,
                        self.conversation.id)
            return
        self.session.add(SurveyAnswer(ticket_id=ticket.id, question=effect.question, score=effect.score,
                                      comment=effect.comment, created_at=self.now))

    def _SetSubscription(self, effect: SetSubscription) -> None:  # noqa: N802
        conv = self.conversation
        conv.unsubscribed_at = None if effect.subscribed else (conv.unsubscribed_at or self.now)
        self.session.add(AuditLog(actor="customer", action="subscribe" if effect.subscribed else "unsubscribe",
                                  target=f"conversation:{conv.id}", detail={}, at=self.now))

    # -- privacy -------------------------------------------------------------------------------------
    def _EraseCustomer(self, effect: EraseCustomer) -> None:  # noqa: N802
        """This chat's and the customer's personal data go, through the one erasure everyone calls."""
        from bot.evidence import EvidenceSettings

        erase_customer(self.session, self.conversation.customer, conversation=self.conversation,
                       evidence=EvidenceSettings.from_config(self.config), now=self.now)

    def _audit(self, action: str, ticket: Ticket, detail: dict[str, Any]) -> None:
        # Core on the session's connection (same transaction and savepoint): the row needs no object,
        # and a unit-of-work flush costs several times the INSERT.
        self.session.connection().execute(_AUDIT_INSERT, {"actor": "bot", "action": action,
                                                          "target": f"ticket:{ticket.id}", "detail": detail,
                                                          "at": self.now})
