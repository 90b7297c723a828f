"""The facts a feedback summary counts, read from the database for one period (no HTTP, no output).

Each fact is an event with a moment (when it happened) and the ticket it concerns; the summary groups
events by the ticket's brand, province, technician and fault, and by the week of the event itself:

- a ticket opened (``Ticket.created_at``); an escalation (the engine's ``ticket.escalate`` audit entry);
- a survey asked (its outbox row sent), and whether that ticket answered;
- a CSAT score 1–5, a "resolved" yes/no, a comment (``SurveyAnswer``);
- the first operator reply after an escalation (minutes), the first booking of a ticket (hours after
  it was opened).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import AuditLog, Booking, Message, OutboxMessage, Slot, SurveyAnswer, Technician, Ticket


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What a ticket is grouped by."""

    id: int
    brand: str | None
    product: str | None
    fault: str | None
    adcode: str | None
    technician: str | None


@dataclass(frozen=True, slots=True)
class Event:
    """One countable thing that happened to a ticket at ``at``; ``value`` is a score, minutes or hours."""

    kind: str  # opened | escalated | asked | csat | resolved | first_response | booked
    ticket_id: int
    at: datetime
    value: float | None = None
    answered: bool = False
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    """A survey comment with its ticket's CSAT score (None when the customer gave none)."""

    ticket_id: int
    at: datetime
    text: str
    score: int | None


@dataclass
class Facts:
    """Everything the summary needs for one period."""

    since: datetime
    until: datetime
    events: list[Event] = field(default_factory=list)
    tickets: dict[int, TicketFacts] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)


def _within(column: object, since: datetime, until: datetime) -> object:
    return (column >= since) & (column < until)  # type: ignore[operator]


def gather(session: Session, since: datetime, until: datetime) -> Facts:
    """Read the period's events and the facts of every ticket they concern."""
    facts = Facts(since, until)
    ev = facts.events
    for tid, at in session.execute(select(Ticket.id, Ticket.created_at).where(_within(Ticket.created_at, since, until))):
        ev.append(Event("opened", tid, at))
    escalations: dict[int, datetime] = {}
    for target, at, detail in session.execute(select(AuditLog.target, AuditLog.at, AuditLog.detail).where(
            AuditLog.action == "ticket.escalate", _within(AuditLog.at, since, until)).order_by(AuditLog.at)):
        tid = _ticket_id(target)
        if tid is not None and tid not in escalations:  # a ticket counts once per period
            escalations[tid] = at
            ev.append(Event("escalated", tid, at, reason=(detail or {}).get("reason")))
    asked = {tid: at for tid, at in session.execute(select(OutboxMessage.ticket_id, func.min(OutboxMessage.sent_at))
             .where(OutboxMessage.kind == "survey", OutboxMessage.status == "sent", OutboxMessage.ticket_id.is_not(None),
                    _within(OutboxMessage.sent_at, since, until)).group_by(OutboxMessage.ticket_id))}
    answered = set(session.scalars(select(SurveyAnswer.ticket_id).where(
        SurveyAnswer.ticket_id.in_(list(asked))).distinct())) if asked else set()
    ev.extend(Event("asked", tid, at, answered=tid in answered) for tid, at in asked.items())
    scores: dict[int, int] = {}
    comments: list[tuple[int, datetime, str]] = []
    # Whole rows, not columns: the comment is ciphertext that is opened with its row.
    for answer in session.scalars(select(SurveyAnswer).where(_within(SurveyAnswer.created_at, since, until))
                                  .order_by(SurveyAnswer.id)):
        tid, question, score, comment, at = (answer.ticket_id, answer.question, answer.score, answer.comment,
                                             answer.created_at)
        if question == "csat" and score is not None:
            ev.append(Event("csat", tid, at, float(score)))
            scores[tid] = score
        elif question == "resolved" and score is not None:
            ev.append(Event("resolved", tid, at, float(score)))
        elif question == "comment" and comment:
            comments.append((tid, at, comment))
    _first_responses(session, escalations, ev)
    _bookings(session, since, until, ev)
    ids = {e.ticket_id for e in ev} | {tid for tid, _, _ in comments}
    facts.tickets = _ticket_facts(session, ids)
    if comments:
        missing = {tid for tid, _, _ in comments if tid not in scores}
        if missing:  # the score may have come before the period began
            for tid, score in session.execute(select(SurveyAnswer.ticket_id, SurveyAnswer.score).where(
                    SurveyAnswer.ticket_id.in_(missing), SurveyAnswer.question == "csat")):
                scores[tid] = score
        facts.comments = [Comment(tid, at, text, scores.get(tid)) for tid, at, text in comments]
    return facts


def _ticket_id(target: str | None) -> int | None:
    if not target or not target.startswith("ticket:"):
        return None
    try:
        return int(target.split(":", 1)[1])
    except ValueError:
        return None


def _first_responses(session: Session, escalations: dict[int, datetime], ev: list[Event]) -> None:
    """Minutes from each escalation to the first operator message in that ticket's chat after it."""
    if not escalations:
        return
    chats = dict(session.execute(select(Ticket.id, Ticket.conversation_id).where(Ticket.id.in_(list(escalations)))).all())
    conv_ids = {c for c in chats.values() if c is not None}
    replies: dict[int, list[datetime]] = {}
    if conv_ids:
        for cid, at in session.execute(select(Message.conversation_id, Message.created_at).where(
                Message.conversation_id.in_(conv_ids), Message.author == "operator")):
            replies.setdefault(cid, []).append(at)
    for tid, at in escalations.items():
        first = min((r for r in replies.get(chats.get(tid) or -1, []) if r >= at), default=None)
        if first is not None:
            ev.append(Event("first_response", tid, at, (first - at).total_seconds() / 60))


def _bookings(session: Session, since: datetime, until: datetime, ev: list[Event]) -> None:
    """Hours from opening to the first booking, for tickets first booked in the period."""
    first = select(Booking.ticket_id, func.min(Booking.created_at).label("at")).group_by(Booking.ticket_id).subquery()
    for tid, at, opened in session.execute(select(first.c.ticket_id, first.c.at, Ticket.created_at)
                                           .join(Ticket, Ticket.id == first.c.ticket_id)
                                           .where(_within(first.c.at, since, until))):
        ev.append(Event("booked", tid, at, max(0.0, (at - opened).total_seconds() / 3600)))


def _ticket_facts(session: Session, ids: set[int]) -> dict[int, TicketFacts]:
    if not ids:
        return {}
    technician: dict[int, str] = {}
    # The technician who came (done) or is coming (confirmed); the latest such booking wins.
    for tid, name in session.execute(select(Booking.ticket_id, Technician.name).join(Slot, Booking.slot_id == Slot.id)
                                     .join(Technician, Slot.technician_id == Technician.id)
                                     .where(Booking.ticket_id.in_(ids), Booking.status.in_(("done", "confirmed")))
                                     .order_by(Booking.id)):
        technician[tid] = name
    return {t.id: TicketFacts(t.id, t.brand, t.product, t.fault, t.adcode, technician.get(t.id))
            for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids)))}
