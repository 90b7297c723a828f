"""Chats in the console, without HTTP: the queue, take over, reply, notes, hand back, close, transfer, snooze.

A chat with an undelivered message (bot/console/deliveries.py) is in the queue whatever else it is: with
a badge in its part, or in the 未送达 part when nothing else would show it; its page shows those
messages in its timeline where they were meant to go.

Holding a chat is ``Conversation.operator_id``: while it is set the engine answers nothing and the
outbox holds the bot's own messages (follow-ups included), so "the bot says nothing" needs no flag of
its own. Taking over is one conditional UPDATE (``WHERE operator_id IS NULL``): when two operators
press at once exactly one row count is 1, and the other is told who was first.

Only the holder replies; replies are outbox rows of kind ``operator_reply`` (sent on the customer's own
channel by the dispatcher, which also writes them into the history). Notes never reach the customer;
a *private* note is read only by its author, managers and admins (:func:`can_read_note`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.console import deliveries, labels
from bot.console.deliveries import Undelivered
from bot.console.errors import ConsoleError, not_found
from bot.console.photos import PhotoSummary, PhotoView, for_conversation, summaries
from bot.console.settings import ConsoleSettings
from bot.console.staff import Staff, audit
from bot.outbox import queue as outbox
from bot.privacy import mask_phone
from bot.store.models import AuditLog, ConsoleNote, Conversation, Customer, Message, Operator, Ticket
from dialogs.replies import Reply
from dialogs.state import BOOKED, CLOSED, ESCALATED, INTAKE, NEW, ConversationState

MAX_REPLY_CHARS = 2000
MAX_NOTE_CHARS = 2000
_FINAL = ("closed", "cancelled")


@dataclass(frozen=True, slots=True)
class Context:
    """What every console service needs besides the session: config, console settings, local zone."""

    config: dict[str, Any]
    settings: ConsoleSettings
    tz: ZoneInfo


# -- reading -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Sla:
    """The two service-level timers of an escalated chat, measured from the escalation."""

    escalated_at: datetime
    first_response_due: datetime
    responded_at: datetime | None
    resolution_due: datetime
    first_response_breached: bool
    resolution_breached: bool


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One chat in the queue with what an operator decides by."""

    conversation_id: int
    channel: str
    ticket_id: int | None
    status: str | None
    reason: str | None
    brand: str | None
    product: str
    fault: str
    place: str
    phone_masked: str
    since: datetime | None
    waiting_minutes: int | None
    assignee: str | None
    holder: str | None
    mine: bool
    snoozed_until: datetime | None
    sla: Sla | None
    photos: PhotoSummary | None = None
    #: Messages to this chat that did not go out (failed outbox rows).
    undelivered: int = 0


@dataclass(frozen=True, slots=True)
class QueueView:
    """The queue: escalated chats nobody holds, held chats, chats the bot is handling, snoozed chats, and
    chats none of those would show that have an undelivered message."""

    waiting: list[QueueRow]
    held: list[QueueRow]
    active: list[QueueRow]
    snoozed: list[QueueRow]
    now: datetime
    undelivered: list[QueueRow] = field(default_factory=list)
    #: Every undelivered message, chats or not (alerts and digests have none): the header's badge.
    undelivered_total: int = 0


@dataclass(frozen=True, slots=True)
class Line:
    """One message of a chat as the operator reads it."""

    id: int
    author: str
    who: str
    text: str
    at: datetime
    proactive: bool


@dataclass(frozen=True, slots=True)
class NoteView:
    """A note as shown: who wrote it, whether it is private, the text."""

    id: int
    author: str
    private: bool
    text: str
    at: datetime
    mine: bool


@dataclass(frozen=True, slots=True)
class OperatorChoice:
    """An operator a chat can be transferred to."""

    id: int
    name: str
    online: bool


@dataclass
class ChatView:
    """Everything the conversation page shows."""

    id: int
    channel: str
    holder: str | None
    holder_id: int | None
    assignee: str | None
    held_by_me: bool
    snoozed_until: datetime | None
    ticket: QueueRow | None
    ticket_id: int | None
    address: str | None
    lines: list[Line] = field(default_factory=list)
    notes: list[NoteView] = field(default_factory=list)
    operators: list[OperatorChoice] = field(default_factory=list)
    photos: list[PhotoView] = field(default_factory=list)
    last_message_id: int = 0
    undelivered: list[Undelivered] = field(default_factory=list)

    @property
    def timeline(self) -> list[tuple[str, Line | Undelivered]]:
        """History and undelivered messages in one order: each failed message where it was meant to go
        (its due time), after the history written at that same moment. Items are ``("line", Line)`` or
        ``("undelivered", Undelivered)``."""
        entries: list[tuple[datetime, int, int, str, Line | Undelivered]] = [
            (m.at, 0, m.id, "line", m) for m in self.lines]
        entries += [(u.due_at, 1, u.id, "undelivered", u) for u in self.undelivered]
        entries.sort(key=lambda e: e[:3])
        return [(what, item) for _, _, _, what, item in entries]


def _conversation(session: Session, conversation_id: int) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise not_found("对话")
    return conv


def current_ticket(session: Session, conv: Conversation) -> Ticket | None:
    """The chat's escalated ticket if it has one, else the ticket it is about now, else its latest."""
    escalated = session.scalars(select(Ticket).where(Ticket.conversation_id == conv.id, Ticket.status == "escalated")
                                .order_by(Ticket.id.desc()).limit(1)).first()
    if escalated is not None:
        return escalated
    state_ticket = ConversationState.from_json(conv.state).ticket_id
    if state_ticket is not None:
        ticket = session.get(Ticket, state_ticket)
        if ticket is not None:
            return ticket
    return session.scalars(select(Ticket).where(Ticket.conversation_id == conv.id)
                           .order_by(Ticket.id.desc()).limit(1)).first()


def escalation_times(session: Session, ticket_ids: list[int]) -> dict[int, datetime]:
    """When each ticket was last escalated (from the audit trail the engine writes)."""
    if not ticket_ids:
        return {}
    targets = {f"ticket:{i}": i for i in ticket_ids}
    rows = session.execute(select(AuditLog.target, func.max(AuditLog.at)).where(
        AuditLog.action == "ticket.escalate", AuditLog.target.in_(list(targets))).group_by(AuditLog.target))
    return {targets[target]: at for target, at in rows if target in targets}


def _operator_names(session: Session, ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Operator.id, Operator.display_name).where(Operator.id.in_(ids))).all())


def _minutes(now: datetime, since: datetime | None) -> int | None:
    if since is None:
        return None
    return max(0, int((now - since).total_seconds() // 60))


def _sla(ctx: Context, escalated_at: datetime | None, replies: list[datetime], now: datetime) -> Sla | None:
    if escalated_at is None:
        return None
    responded = min((at for at in replies if at >= escalated_at), default=None)
    first_due = escalated_at + timedelta(minutes=ctx.settings.first_response_minutes)
    resolution_due = escalated_at + timedelta(minutes=ctx.settings.resolution_minutes)
    return Sla(escalated_at=escalated_at, first_response_due=first_due, responded_at=responded,
               resolution_due=resolution_due,
               first_response_breached=(responded or now) > first_due,
               resolution_breached=now > resolution_due)


def queue(session: Session, ctx: Context, me: Staff, now: datetime) -> QueueView:
    """The live queue as ``me`` sees it (their own chats first within each part)."""
    escalated = list(session.scalars(select(Ticket).where(Ticket.status == "escalated",
                                                          Ticket.conversation_id.is_not(None))))
    by_conv: dict[int, Ticket] = {}
    for t in sorted(escalated, key=lambda t: t.id):
        by_conv[t.conversation_id] = t  # type: ignore[index]  # the latest escalated ticket of the chat
    recent = now - timedelta(minutes=ctx.settings.active_chat_minutes)
    failed = deliveries.per_conversation(session)
    total = deliveries.count(session)
    conv_ids = set(by_conv) | set(failed) | set(session.scalars(select(Conversation.id).where(
        (Conversation.operator_id.is_not(None)) | (Conversation.last_message_at >= recent)
        | (Conversation.snoozed_until > now))))
    if not conv_ids:
        return QueueView([], [], [], [], now, undelivered_total=total)
    convs = {c.id: c for c in session.scalars(select(Conversation).where(Conversation.id.in_(conv_ids)))}
    tickets: dict[int, Ticket | None] = {cid: by_conv.get(cid) or current_ticket(session, c) for cid, c in convs.items()}
    times = escalation_times(session, [t.id for t in tickets.values() if t is not None and t.status == "escalated"])
    replies: dict[int, list[datetime]] = {}
    for cid, at in session.execute(select(Message.conversation_id, Message.created_at).where(
            Message.conversation_id.in_(list(by_conv)), Message.author == "operator")) if by_conv else ():
        replies.setdefault(cid, []).append(at)
    names = _operator_names(session, {c.operator_id for c in convs.values()} | {c.assignee_id for c in convs.values()})
    phones = _phones(session, {t.customer_id for t in tickets.values() if t is not None and t.customer_id})
    pictures = summaries(session, convs.keys())
    view = QueueView([], [], [], [], now, undelivered_total=total)
    for cid, conv in convs.items():
        ticket = tickets[cid]
        escalated_at = times.get(ticket.id) if ticket is not None and ticket.status == "escalated" else None
        # No audit entry (an escalation written by hand): the ticket's last change is the best guess.
        sla = _sla(ctx, escalated_at or ticket.updated_at, replies.get(cid, []), now) \
            if cid in by_conv and ticket is not None else None
        snoozed = conv.snoozed_until is not None and conv.snoozed_until > now and not (
            conv.last_message_at is not None and conv.snoozed_at is not None and conv.last_message_at > conv.snoozed_at)
        if conv.operator_id is not None:
            since, part = conv.held_at, view.held
        elif cid in by_conv:
            since, part = (sla.escalated_at if sla else None), (view.snoozed if snoozed else view.waiting)
        elif snoozed:
            since, part = conv.last_message_at, view.snoozed
        elif conv.last_message_at is not None and conv.last_message_at >= recent:
            since, part = conv.last_message_at, view.active
        elif cid in failed:
            since, part = failed[cid].since, view.undelivered
        else:
            continue
        part.append(_row(ctx, conv, ticket, since, now, names, phones, me, sla, pictures.get(cid),
                         failed[cid].count if cid in failed else 0))
    for part in (view.waiting, view.held, view.active, view.snoozed, view.undelivered):
        part.sort(key=lambda r: (not r.mine, r.since or now))
    return view


def _phones(session: Session, customer_ids: set[int]) -> dict[int, str | None]:
    if not customer_ids:
        return {}
    return {c.id: c.phone for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}


def _row(ctx: Context, conv: Conversation, ticket: Ticket | None, since: datetime | None, now: datetime,
         names: dict[int, str], phones: dict[int, str | None], me: Staff, sla: Sla | None,
         photos: PhotoSummary | None = None, undelivered: int = 0) -> QueueRow:
    phone = phones.get(ticket.customer_id) if ticket is not None and ticket.customer_id else None
    return QueueRow(
        conversation_id=conv.id, channel=conv.channel, ticket_id=ticket.id if ticket else None,
        status=ticket.status if ticket else None, reason=ticket.escalation_reason if ticket else None,
        brand=ticket.brand if ticket else None, product=labels.product(ticket.product if ticket else None, ctx.config),
        fault=labels.fault(ticket.fault if ticket else None, ctx.config),
        place=labels.place(ticket.adcode, ticket.town) if ticket else "-",
        phone_masked=mask_phone(phone) if phone else "-", since=since, waiting_minutes=_minutes(now, since),
        assignee=names.get(conv.assignee_id) if conv.assignee_id else None,
        holder=names.get(conv.operator_id) if conv.operator_id else None,
        mine=me.id in (conv.operator_id, conv.assignee_id), snoozed_until=conv.snoozed_until, sla=sla, photos=photos,
        undelivered=undelivered)


def queue_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever the queue may look different (a message, a ticket or a chat changed, a message
    failed or was retried or dismissed)."""
    return (session.scalar(select(func.max(Message.id))), session.scalar(select(func.max(Ticket.updated_at))),
            session.scalar(select(func.max(Conversation.updated_at))), deliveries.fingerprint(session))


def conversation_version(session: Session, conversation_id: int) -> tuple[Any, ...]:
    """Changes when the chat gets a message, changes hands, or one of its messages fails (or stops failing)."""
    return (session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation_id)),
            session.scalar(select(Conversation.updated_at).where(Conversation.id == conversation_id)),
            deliveries.conversation_fingerprint(session, conversation_id))


def chat(session: Session, ctx: Context, me: Staff, conversation_id: int, now: datetime) -> ChatView:
    """The conversation page: history, ticket, photos, notes ``me`` may read, operators to transfer to."""
    conv = _conversation(session, conversation_id)
    ticket = current_ticket(session, conv)
    names = _operator_names(session, {conv.operator_id, conv.assignee_id})  # type: ignore[arg-type]
    phones = _phones(session, {ticket.customer_id} if ticket is not None and ticket.customer_id else set())
    sla = None
    if ticket is not None and ticket.status == "escalated":
        at = escalation_times(session, [ticket.id]).get(ticket.id)
        replies = list(session.scalars(select(Message.created_at).where(Message.conversation_id == conv.id,
                                                                         Message.author == "operator")))
        sla = _sla(ctx, at, replies, now)
    view = ChatView(id=conv.id, channel=conv.channel, holder=names.get(conv.operator_id or -1),
                    holder_id=conv.operator_id, assignee=names.get(conv.assignee_id or -1),
                    held_by_me=conv.operator_id == me.id, snoozed_until=conv.snoozed_until,
                    ticket=_row(ctx, conv, ticket, None, now, names, phones, me, sla) if ticket else None,
                    ticket_id=ticket.id if ticket else None, address=address_of(session, ticket))
    view.lines = transcript(session, conv.id)
    view.undelivered = deliveries.of_conversation(session, conv.id, now)
    view.last_message_id = view.lines[-1].id if view.lines else 0
    view.notes = notes(session, me, conv.id)
    view.photos = for_conversation(session, conv.id)
    online_since = now - timedelta(seconds=ctx.settings.online_window_s)
    view.operators = [OperatorChoice(o.id, o.display_name, o.last_seen_at is not None and o.last_seen_at >= online_since)
                      for o in session.scalars(select(Operator).where(
                          Operator.active.is_(True), Operator.role.in_(("operator", "admin")),
                          Operator.id != me.id).order_by(Operator.display_name))]
    return view


def address_of(session: Session, ticket: Ticket | None) -> str | None:
    """The visit address, whole (operators need it): the ticket's own once it has one, else the customer's."""
    if ticket is None:
        return None
    own = getattr(ticket, "address", None)
    if own:
        return str(own)
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    return customer.address if customer is not None else None


def transcript(session: Session, conversation_id: int, limit: int = 500) -> list[Line]:
    """The chat as the customer saw it, oldest first, with operators named."""
    rows = list(session.scalars(select(Message).where(Message.conversation_id == conversation_id,
                                                      Message.erased.is_(False))
                                .order_by(Message.id.desc()).limit(limit)))
    rows.reverse()
    names = _operator_names(session, {m.operator_id for m in rows if m.operator_id})  # type: ignore[misc]
    return [Line(id=m.id, author=m.author,
                 who=names.get(m.operator_id, labels.AUTHORS["operator"]) if m.author == "operator" and m.operator_id
                 else labels.AUTHORS.get(m.author, m.author),
                 text=m.text or "", at=m.created_at, proactive=m.proactive)
            for m in rows if m.text is not None]


# -- notes -------------------------------------------------------------------------------------------
def can_read_note(me: Staff, note: ConsoleNote) -> bool:
    """The private-notes rule: team notes are read by all staff; a private note by its author, managers, admins."""
    return not note.private or note.author_id == me.id or me.can("manager")


def notes(session: Session, me: Staff, conversation_id: int) -> list[NoteView]:
    """The chat's notes ``me`` may read, oldest first."""
    rows = session.scalars(select(ConsoleNote).where(ConsoleNote.conversation_id == conversation_id)
                           .order_by(ConsoleNote.id))
    visible = [n for n in rows if can_read_note(me, n)]
    names = _operator_names(session, {n.author_id for n in visible if n.author_id})  # type: ignore[misc]
    return [NoteView(n.id, names.get(n.author_id or -1, "-"), n.private, n.text, n.created_at, n.author_id == me.id)
            for n in visible]


def note(session: Session, me: Staff, note_id: int) -> NoteView:
    """One note; 404 when unknown, 403 when it is someone else's private note and ``me`` is no manager."""
    row = session.get(ConsoleNote, note_id)
    if row is None:
        raise not_found("备注")
    if not can_read_note(me, row):
        raise ConsoleError(403, "这是其他客服的私人备注，只有作者和主管可以查看")
    author = _operator_names(session, {row.author_id} if row.author_id else set()).get(row.author_id or -1, "-")
    return NoteView(row.id, author, row.private, row.text, row.created_at, row.author_id == me.id)


def add_note(session: Session, me: Staff, conversation_id: int, text: str, *, private: bool, now: datetime) -> int:
    """Leave a note on the chat (and its current ticket); returns its id."""
    conv = _conversation(session, conversation_id)
    text = (text or "").strip()
    if not text:
        raise ConsoleError(400, "备注不能为空")
    if len(text) > MAX_NOTE_CHARS:
        raise ConsoleError(400, f"备注最多 {MAX_NOTE_CHARS} 字")
    ticket = current_ticket(session, conv)
    row = ConsoleNote(conversation_id=conv.id, ticket_id=ticket.id if ticket else None, author_id=me.id,
                      private=private, text=text, created_at=now)
    session.add(row)
    session.flush()
    audit(session, me, "note.add", _target(conv, ticket), now, note=row.id, private=private)
    return row.id


# -- acting ------------------------------------------------------------------------------------------
def _target(conv: Conversation, ticket: Ticket | None) -> str:
    return f"ticket:{ticket.id}" if ticket is not None else f"conversation:{conv.id}"


def _holder_name(session: Session, operator_id: int | None) -> str:
    return _operator_names(session, {operator_id} if operator_id else set()).get(operator_id or -1, "其他客服")


def take_over(session: Session, me: Staff, conversation_id: int, now: datetime) -> None:
    """Hold the chat: from now on the bot says nothing to this customer until it is handed back.

    Exactly one of two operators pressing at once wins (a conditional UPDATE); the other gets 409.
    """
    conv = _conversation(session, conversation_id)
    won = session.execute(
        update(Conversation).where(Conversation.id == conv.id, Conversation.operator_id.is_(None))
        .values(operator_id=me.id, held_at=now, assignee_id=me.id, assigned_at=now, snoozed_until=None,
                snoozed_at=None)
        .execution_options(synchronize_session=False)).rowcount
    if not won:
        holder = session.scalar(select(Conversation.operator_id).where(Conversation.id == conv.id))
        if holder == me.id:
            return
        raise ConsoleError(409, f"这个对话已被 {_holder_name(session, holder)} 接管")
    session.refresh(conv)
    audit(session, me, "conversation.take", _target(conv, current_ticket(session, conv)), now,
          conversation=conv.id)


def _held(session: Session, me: Staff, conversation_id: int, *, admin_may: bool = True) -> Conversation:
    """The chat if ``me`` holds it (or is an admin, for releasing); else 409 saying who does."""
    conv = _conversation(session, conversation_id)
    if conv.operator_id == me.id or (admin_may and conv.operator_id is not None and me.can("admin")):
        return conv
    if conv.operator_id is None:
        raise ConsoleError(409, "请先接管这个对话")
    raise ConsoleError(409, f"这个对话由 {_holder_name(session, conv.operator_id)} 处理中")


def reply(session: Session, ctx: Context, me: Staff, conversation_id: int, text: str, now: datetime) -> str:
    """Send ``text`` to the customer on their own channel (an ``operator_reply`` outbox row); returns its key."""
    text = (text or "").strip()
    if not text:
        raise ConsoleError(400, "回复不能为空")
    if len(text) > MAX_REPLY_CHARS:
        raise ConsoleError(400, f"回复最多 {MAX_REPLY_CHARS} 字")
    conv = _held(session, me, conversation_id, admin_may=False)
    ticket = current_ticket(session, conv)
    key = f"operator_reply:{conv.id}:{uuid.uuid4().hex}"
    outbox.enqueue(session, key=key, channel=conv.channel, chat_id=conv.chat_id, kind="operator_reply",
                   reply=Reply(text), due_at=now, conversation_id=conv.id, ticket_id=ticket.id if ticket else None,
                   essential=True, meta={"operator_id": me.id})
    audit(session, me, "conversation.reply", _target(conv, ticket), now, conversation=conv.id, chars=len(text))
    return key


def _release(conv: Conversation, holder: int | None) -> None:
    conv.operator_id = None
    conv.held_at = None
    conv.assignee_id = None
    conv.assigned_at = None
    conv.snoozed_until = None
    conv.snoozed_at = None
    if holder is not None:
        conv.last_operator_id = holder


def resumed_status(ticket: Ticket) -> str:
    """What an escalated ticket goes back to when the bot takes over again."""
    if ticket.visited_at is not None:
        return "visited"
    if ticket.active_booking is not None:
        return "booked"
    return "collecting"


def hand_back(session: Session, me: Staff, conversation_id: int, now: datetime) -> None:
    """Give the chat back to the bot: the escalation ends and the bot answers (and follows up) again."""
    conv = _held(session, me, conversation_id)
    ticket = current_ticket(session, conv)
    holder = conv.operator_id
    _release(conv, holder)
    state = ConversationState.from_json(conv.state)
    if ticket is not None and ticket.status == "escalated":
        ticket.status = resumed_status(ticket)
    if state.stage == ESCALATED:
        status = ticket.status if ticket is not None else None
        state.stage = BOOKED if status in ("booked", "visited") else (INTAKE if state.started else NEW)
    state.escalation_reason = None
    state.pending = None
    state.expecting = None
    conv.state = state.to_json()
    conv.expecting = None
    audit(session, me, "conversation.hand_back", _target(conv, ticket), now, conversation=conv.id,
          status=ticket.status if ticket else None)


def close(session: Session, me: Staff, conversation_id: int, now: datetime) -> None:
    """Close the chat's ticket and release the chat; the customer's next message starts a new request.

    A ticket with a visit still booked is not closed here: the visit must be done, moved or handed back.
    """
    conv = _conversation(session, conversation_id)
    if conv.operator_id is not None:
        conv = _held(session, me, conversation_id)
    ticket = current_ticket(session, conv)
    if ticket is not None and ticket.status not in _FINAL:
        if ticket.active_booking is not None and ticket.visited_at is None:
            raise ConsoleError(409, "这个工单还有未完成的上门预约：请先标记上门完成，或转回机器人")
        ticket.status = "closed"
        ticket.closed_at = now
    _release(conv, conv.operator_id or me.id)
    state = ConversationState.from_json(conv.state)
    state.stage = CLOSED
    state.pending = None
    state.expecting = None
    conv.state = state.to_json()
    conv.expecting = None
    audit(session, me, "ticket.close", _target(conv, ticket), now, conversation=conv.id)


def transfer(session: Session, me: Staff, conversation_id: int, to_id: int, now: datetime) -> str:
    """Hand the chat to another operator (the holder, or an admin, moves a held chat; a waiting chat's
    assignee may be set by any operator). Returns the new operator's name."""
    conv = _conversation(session, conversation_id)
    target = session.get(Operator, to_id)
    if target is None or not target.active or target.role not in ("operator", "admin"):
        raise ConsoleError(400, "只能转给在职的客服")
    if target.id == me.id:
        raise ConsoleError(400, "不能转给自己")
    if conv.operator_id is not None:
        conv = _held(session, me, conversation_id)
        conv.operator_id = target.id
        conv.held_at = now
    conv.assignee_id = target.id
    conv.assigned_at = now
    conv.snoozed_until = None
    conv.snoozed_at = None
    audit(session, me, "conversation.transfer", _target(conv, current_ticket(session, conv)), now,
          conversation=conv.id, to=target.id)
    return target.display_name


def snooze(session: Session, ctx: Context, me: Staff, conversation_id: int, minutes: int, now: datetime) -> None:
    """Hide a waiting chat from the queue until then, or until the customer writes again."""
    if minutes not in ctx.settings.snooze_choices_minutes:
        raise ConsoleError(400, "暂缓时长无效")
    conv = _conversation(session, conversation_id)
    if conv.operator_id is not None:
        raise ConsoleError(409, "处理中的对话不能暂缓：请先转回机器人或转接")
    conv.snoozed_until = now + timedelta(minutes=minutes)
    conv.snoozed_at = now
    audit(session, me, "conversation.snooze", _target(conv, current_ticket(session, conv)), now,
          conversation=conv.id, minutes=minutes)


def unsnooze(session: Session, me: Staff, conversation_id: int, now: datetime) -> None:
    """Bring a snoozed chat back into the queue now."""
    conv = _conversation(session, conversation_id)
    conv.snoozed_until = None
    conv.snoozed_at = None
    audit(session, me, "conversation.unsnooze", _target(conv, current_ticket(session, conv)), now,
          conversation=conv.id)
