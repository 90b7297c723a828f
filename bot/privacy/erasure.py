"""Erasure on request ("删除我的信息"): personal data goes, anonymous statistics stay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.store.models import Customer


def erase_customer(session: Session, customer: Customer, *, actor: str = "customer") -> None:
    """Wipe a customer's personal data; keep anonymous ticket statistics.

    Clears the customer's phone, name, address and lookup hash, the text of every message and the
    dialog state of their conversations, and their free-text survey answers. Tickets keep brand, product, fault, region
    (adcode), status and timestamps, which carry no personal data. Writes an ``AuditLog`` row naming
    the customer id only. The caller commits.
    """
    from sqlalchemy import select, update

    from bot.store.models import AuditLog, Conversation, Message, SurveyAnswer, Ticket

    customer.phone = None
    customer.phone_hash = None
    customer.name = None
    customer.address = None
    customer.erased_at = datetime.now(UTC)

    conversation_ids = set(
        session.scalars(select(Conversation.id).where(Conversation.customer_id == customer.id))
    )
    conversation_ids.update(
        cid
        for cid in session.scalars(select(Ticket.conversation_id).where(Ticket.customer_id == customer.id))
        if cid is not None
    )
    erased_messages = 0
    if conversation_ids:
        # One object each, not one UPDATE for all: the new (empty) state is encrypted for its own row.
        for conversation in session.scalars(select(Conversation).where(Conversation.id.in_(conversation_ids))):
            conversation.state = {}
            conversation.expecting = None
        erased_messages = session.execute(
            update(Message)
            .where(Message.conversation_id.in_(conversation_ids))
            .values(text=None, erased=True)
            .execution_options(synchronize_session=False)
        ).rowcount
    ticket_ids = list(session.scalars(select(Ticket.id).where(Ticket.customer_id == customer.id)))
    if ticket_ids:
        session.execute(
            update(SurveyAnswer)
            .where(SurveyAnswer.ticket_id.in_(ticket_ids))
            .values(comment=None)
            .execution_options(synchronize_session=False)
        )
    session.add(
        AuditLog(
            actor=actor,
            action="customer.erase",
            target=f"customer:{customer.id}",
            detail={"tickets_kept": len(ticket_ids), "messages_erased": erased_messages},
        )
    )
    session.flush()
