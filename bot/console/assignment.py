"""Who gets a new escalation: its customer's last operator when online (客户专属顾问), else round-robin.

"Online" is an active operator whose console page was open within ``console.online_window_s`` (the
live stream refreshes ``Operator.last_seen_at``). Round-robin picks the online operator who was given a
chat longest ago (never first), so work spreads evenly, as chatwoot's auto-assignment does with its
queue of agents. A chat is assigned by a conditional UPDATE (``WHERE assignee_id IS NULL``), so several
processes passing at once assign it once. Assignment does not take the chat over: the assignee sees it
first and the SLA clock runs, but the bot keeps telling the customer a person is coming.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store.models import AuditLog, Conversation, Operator, Ticket

ASSIGNABLE_ROLES = ("operator",)


def online_operators(session: Session, now: datetime, window_s: float) -> list[Operator]:
    """Active operators seen within the window, in round-robin order (longest since an assignment first)."""
    since = now - timedelta(seconds=window_s)
    rows = session.scalars(select(Operator).where(Operator.active.is_(True), Operator.role.in_(ASSIGNABLE_ROLES),
                                                  Operator.last_seen_at >= since))
    epoch = datetime.min.replace(tzinfo=now.tzinfo)
    return sorted(rows, key=lambda o: (o.last_assigned_at or epoch, o.id))


def waiting_unassigned(session: Session, now: datetime) -> list[Conversation]:
    """Escalated chats nobody holds or is assigned, not snoozed, oldest escalation first."""
    escalated = select(Ticket.conversation_id).where(Ticket.status == "escalated", Ticket.conversation_id.is_not(None))
    rows = session.scalars(select(Conversation).where(
        Conversation.id.in_(escalated), Conversation.operator_id.is_(None), Conversation.assignee_id.is_(None),
        (Conversation.snoozed_until.is_(None)) | (Conversation.snoozed_until <= now)).order_by(Conversation.updated_at))
    return list(rows)


def last_operator(session: Session, conv: Conversation) -> int | None:
    """Who handled this customer last: on this chat, else on any other chat of the same customer."""
    if conv.last_operator_id is not None:
        return conv.last_operator_id
    if conv.customer_id is None:
        return None
    return session.scalar(select(Conversation.last_operator_id).where(
        Conversation.customer_id == conv.customer_id, Conversation.id != conv.id,
        Conversation.last_operator_id.is_not(None)).order_by(Conversation.updated_at.desc()).limit(1))


def assign_waiting(session: Session, now: datetime, window_s: float) -> dict[int, int]:
    """Assign every waiting unassigned chat to an online operator; returns {conversation id: operator id}."""
    waiting = waiting_unassigned(session, now)
    if not waiting:
        return {}
    online = online_operators(session, now, window_s)
    if not online:
        return {}
    by_id = {o.id: o for o in online}
    assigned: dict[int, int] = {}
    for conv in waiting:
        preferred = last_operator(session, conv)
        chosen = by_id.get(preferred) if preferred is not None else None
        why = "returning_customer" if chosen is not None else "round_robin"
        if chosen is None:
            chosen = online[0]
        won = session.execute(
            update(Conversation).where(Conversation.id == conv.id, Conversation.assignee_id.is_(None),
                                       Conversation.operator_id.is_(None))
            .values(assignee_id=chosen.id, assigned_at=now).execution_options(synchronize_session=False)).rowcount
        if not won:
            continue
        chosen.last_assigned_at = now
        online.sort(key=lambda o: (o.last_assigned_at or datetime.min.replace(tzinfo=now.tzinfo), o.id))
        session.add(AuditLog(actor="system", action="conversation.assign", target=f"conversation:{conv.id}",
                             detail={"operator_id": chosen.id, "why": why}, at=now))
        assigned[conv.id] = chosen.id
    return assigned


def touch(session: Session, operator_ids: set[int], now: datetime) -> None:
    """Mark these operators as seen now (their console pages are open)."""
    if operator_ids:
        session.execute(update(Operator).where(Operator.id.in_(operator_ids)).values(last_seen_at=now)
                        .execution_options(synchronize_session=False))
