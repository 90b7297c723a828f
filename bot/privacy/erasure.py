"""Erasure on request ("删除我的信息"): personal data goes, anonymous statistics stay.

This is the one implementation: the chat's own erase command (``bot/effects.py``) and anyone acting on
a customer's request elsewhere (a console action, a script) call :func:`erase_customer`, so a new kind
of personal data is added here once and every path erases it. What goes, for the customer and every
chat of theirs (and the chat the request came from, even with no customer row behind it): phone, name,
address and lookup hash; dialog state; message texts and buttons; operators' notes; survey comments; the
tickets' street addresses and visit notes; photos (rows now, encrypted files once the transaction commits); stored button values; the
outbox (pending rows cancelled, sent ones blanked). Tickets keep brand, product, fault, region, status
and timestamps, which name no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.evidence.settings import EvidenceSettings
    from bot.store.models import Conversation, Customer


@dataclass(frozen=True, slots=True)
class Erased:
    """What one erasure removed, as counts (the audit row records the same)."""

    conversations: int
    tickets: int
    messages: int
    photos: int


def erase_customer(session: Session, customer: Customer | None, *, conversation: Conversation | None = None,
                   evidence: EvidenceSettings | None = None, actor: str = "customer",
                   now: datetime | None = None) -> Erased:
    """Wipe a customer's personal data (and ``conversation``'s); keep anonymous ticket statistics.

    ``customer`` may be None for a chat that never gave a phone: then ``conversation`` alone is erased.
    ``evidence`` says where photo files live (default: config.yml ``evidence``). Writes one audit row
    (``customer.erase`` or ``conversation.erase``) with counts only. The caller commits.
    """
    if customer is None and conversation is None:
        raise ValueError("erase_customer needs a customer or a conversation")
    now = now or datetime.now(UTC)
    if evidence is None:
        from bot.config import load_config
        from bot.evidence.settings import EvidenceSettings

        evidence = EvidenceSettings.from_config(load_config())
    from bot.evidence.erase import erase_photos

    conversation_ids, ticket_ids = _scope(session, customer, conversation)
    if customer is not None:
        customer.phone = None
        customer.phone_hash = None
        customer.name = None
        customer.address = None
        customer.erased_at = now
    messages = _wipe_chats(session, conversation_ids)
    _wipe_tickets(session, ticket_ids)
    photos = erase_photos(session, conversation_ids=conversation_ids, ticket_ids=ticket_ids, settings=evidence,
                          actor=actor)
    _stop_outbox(session, conversation_ids)
    erased = Erased(len(conversation_ids), len(ticket_ids), messages, photos)
    _audit(session, customer, conversation, erased, actor, now)
    session.flush()
    return erased


def _scope(session: Session, customer: Customer | None,
           conversation: Conversation | None) -> tuple[set[int], set[int]]:
    """The chats and tickets to erase: the request's chat, and every chat and ticket of the customer."""
    from sqlalchemy import or_, select

    from bot.store.models import Conversation, Ticket

    conversation_ids = {conversation.id} if conversation is not None else set()
    if customer is not None:
        conversation_ids |= set(session.scalars(select(Conversation.id).where(Conversation.customer_id == customer.id)))
        conversation_ids |= {cid for cid in session.scalars(
            select(Ticket.conversation_id).where(Ticket.customer_id == customer.id)) if cid is not None}
    owners = [Ticket.conversation_id.in_(conversation_ids)] if conversation_ids else []
    if customer is not None:
        owners.append(Ticket.customer_id == customer.id)
    ticket_ids = set(session.scalars(select(Ticket.id).where(or_(*owners))))
    return conversation_ids, ticket_ids


def _wipe_chats(session: Session, conversation_ids: set[int]) -> int:
    """Empty each chat's state, unlink it from the customer, blank its messages; returns messages blanked."""
    from sqlalchemy import delete, select, update

    from bot.store.models import CallbackRef, Conversation, Message

    if not conversation_ids:
        return 0
    # One object each, not one UPDATE for all: the new (empty) state is encrypted for its own row.
    for conv in session.scalars(select(Conversation).where(Conversation.id.in_(conversation_ids))):
        conv.state = {}
        conv.expecting = None
        conv.customer = None  # the chat's next message starts afresh, not as the erased customer
        conv.customer_id = None
        session.execute(delete(CallbackRef).where(CallbackRef.channel == conv.channel,
                                                  CallbackRef.chat_id == conv.chat_id))
    # Operators' notes about the customer are personal data too: they go with the chat.
    from bot.store.models import ConsoleNote

    session.execute(delete(ConsoleNote).where(ConsoleNote.conversation_id.in_(conversation_ids))
                    .execution_options(synchronize_session=False))
    return session.execute(
        update(Message).where(Message.conversation_id.in_(conversation_ids))
        .values(text=None, buttons=None, erased=True).execution_options(synchronize_session=False)
    ).rowcount or 0


def _wipe_tickets(session: Session, ticket_ids: set[int]) -> None:
    """Street addresses, the technician's visit notes and free-text survey answers; the ticket's anonymous
    facts (and the post-repair check's figures) stay."""
    from sqlalchemy import select, update

    from bot.store.models import SurveyAnswer, Ticket

    if not ticket_ids:
        return
    # Objects, so a ticket the caller holds in this session reads as erased too.
    for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))):
        ticket.address = None
        ticket.visit_notes = None
    session.execute(update(SurveyAnswer).where(SurveyAnswer.ticket_id.in_(ticket_ids)).values(comment=None)
                    .execution_options(synchronize_session=False))


def _stop_outbox(session: Session, conversation_ids: set[int]) -> None:
    """Nothing more is sent to these chats, what was sent keeps no text, and what failed to go is closed
    (an operator could not resend an erased message anyway)."""
    from sqlalchemy import select

    from bot.outbox import queue
    from bot.store.models import OutboxMessage

    for conversation_id in sorted(conversation_ids):
        queue.cancel(session, conversation_id=conversation_id, reason="customer erased their data")
    if conversation_ids:
        # Row by row: each ciphertext is bound to its row (bot.privacy), and a chat has a handful of rows.
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.conversation_id.in_(conversation_ids))):
            row.payload = {"text": "", "buttons": [], "erased": True}
            if row.status == "failed":
                row.status, row.last_error = "cancelled", "customer erased their data"


def _audit(session: Session, customer: Customer | None, conversation: Conversation | None, erased: Erased,
           actor: str, now: datetime) -> None:
    from bot.store.models import AuditLog

    detail = {"tickets_kept": erased.tickets, "messages_erased": erased.messages, "photos_erased": erased.photos,
              "conversations": erased.conversations}
    if customer is not None:
        session.add(AuditLog(actor=actor, action="customer.erase", target=f"customer:{customer.id}", detail=detail,
                             at=now))
    elif conversation is not None:
        session.add(AuditLog(actor=actor, action="conversation.erase", target=f"conversation:{conversation.id}",
                             detail=detail, at=now))
