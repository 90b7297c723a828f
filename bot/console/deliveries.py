"""Messages that did not reach the customer (未送达), for operators, without HTTP: read, retry, dismiss.

An outbox row ends ``failed`` when its platform refused it (Telegram: the user blocked the bot; WeChat:
outside the 48-hour customer-service window) or when a transient failure outlasted
``followups.outbox.max_attempts`` (bot/outbox/dispatcher.py). Nothing else will ever look at such a row,
so the console shows every one of them — in its chat's timeline where it was meant to go, as a badge
(or a part of its own) in the queue, and on the 未送达 list — until an operator decides:

- **retry** (重新发送): :func:`bot.outbox.queue.requeue` puts the row back (pending, available now,
  attempts from zero) and the view kicks the dispatcher, as for an operator's reply. The delivery rules
  apply again (quiet hours, an operator holding the chat), so "retry" means "try again under the usual
  rules", never "send whatever happens";
- **dismiss** (忽略): the row is ``cancelled`` with a reason naming the operator (and the error it had).

Both are conditional on the row still being ``failed`` (two operators pressing at once: one wins, the
other gets 409) and both leave an audit entry (who, the row, its ticket or chat). A row whose text was
erased with the customer's data, or whose moment passed (a reminder once the visit started), cannot be
retried — only dismissed.

There is no "failed at" column: a failed row's ``available_at`` is its last claim plus the lease, which
orders failures newest first without a schema change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.console.errors import ConsoleError, not_found
from bot.console.send_failures import explain
from bot.console.staff import Staff, audit
from bot.outbox import queue as outbox
from bot.store.models import OutboxMessage

#: The list page shows at most this many rows (newest first); the count in the header is the whole.
LIST_LIMIT = 200
_FAILED = OutboxMessage.status == "failed"


@dataclass(frozen=True, slots=True)
class Undelivered:
    """One failed outbox row as operators see it: what, to whom, why (plain and raw), and what can be done."""

    id: int
    kind: str
    channel: str
    conversation_id: int | None
    ticket_id: int | None
    text: str
    due_at: datetime
    attempts: int
    reason: str
    error: str
    #: The text is in the chat history already (an answer the engine stored when it was written).
    recorded: bool
    #: The customer's data was erased: the text is gone, there is nothing to send.
    erased: bool
    #: Its moment passed (``expires_at``): sending it now would be wrong (a reminder after the visit began).
    expired: bool

    @property
    def can_retry(self) -> bool:
        return not self.erased and not self.expired


def _view(row: OutboxMessage, now: datetime) -> Undelivered:
    payload: dict[str, Any] = row.payload or {}
    meta = payload.get("meta") or {}
    return Undelivered(
        id=row.id, kind=row.kind, channel=row.channel, conversation_id=row.conversation_id, ticket_id=row.ticket_id,
        text=str(payload.get("text") or ""), due_at=row.due_at, attempts=row.attempts,
        reason=explain(row.last_error, row.attempts), error=row.last_error or "-",
        recorded=bool(meta.get("recorded")), erased=bool(payload.get("erased")),
        expired=row.expires_at is not None and now >= row.expires_at)


# -- reading -----------------------------------------------------------------------------------------
def count(session: Session) -> int:
    """How many messages are undelivered (the header's badge)."""
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(_FAILED)) or 0


@dataclass(frozen=True, slots=True)
class ChatFailures:
    """A chat's undelivered messages in the queue: how many, and when the first was meant to go."""

    count: int
    since: datetime


def per_conversation(session: Session) -> dict[int, ChatFailures]:
    """Undelivered messages per chat, for every chat that has any (the queue's badges)."""
    rows = session.execute(select(OutboxMessage.conversation_id, func.count(), func.min(OutboxMessage.due_at))
                           .where(_FAILED, OutboxMessage.conversation_id.is_not(None))
                           .group_by(OutboxMessage.conversation_id))
    return {cid: ChatFailures(n, since) for cid, n, since in rows}


def listing(session: Session, now: datetime, limit: int = LIST_LIMIT) -> list[Undelivered]:
    """Every undelivered message, the latest failure first (at most ``limit``)."""
    rows = session.scalars(select(OutboxMessage).where(_FAILED)
                           .order_by(OutboxMessage.available_at.desc(), OutboxMessage.id.desc()).limit(limit))
    return [_view(row, now) for row in rows]


def of_conversation(session: Session, conversation_id: int, now: datetime) -> list[Undelivered]:
    """A chat's undelivered messages in the order they were meant to go (its timeline's order)."""
    rows = session.scalars(select(OutboxMessage).where(_FAILED, OutboxMessage.conversation_id == conversation_id)
                           .order_by(OutboxMessage.due_at, OutboxMessage.id))
    return [_view(row, now) for row in rows]


def fingerprint(session: Session) -> tuple[Any, ...]:
    """Changes when a row becomes failed or stops being failed (the live queue's and list's part).

    The failed set has no timestamp to take the maximum of; count, the ids' sum and maximum and the
    attempts' sum change with any row that joins or leaves it between two looks.
    """
    return tuple(session.execute(select(func.count(), func.max(OutboxMessage.id), func.sum(OutboxMessage.id),
                                        func.sum(OutboxMessage.attempts)).where(_FAILED)).one())


def conversation_fingerprint(session: Session, conversation_id: int) -> tuple[Any, ...]:
    """:func:`fingerprint` for one chat (its open page updates when one of its messages fails)."""
    return tuple(session.execute(select(func.count(), func.sum(OutboxMessage.id), func.sum(OutboxMessage.attempts))
                                 .where(_FAILED, OutboxMessage.conversation_id == conversation_id)).one())


# -- acting ------------------------------------------------------------------------------------------
def _failed(session: Session, row_id: int) -> OutboxMessage:
    row = session.get(OutboxMessage, row_id)
    if row is None:
        raise not_found("消息")
    if row.status != "failed":
        raise ConsoleError(409, "这条消息已经有人处理过了，请刷新页面")
    return row


def _target(row: OutboxMessage) -> str:
    if row.ticket_id is not None:
        return f"ticket:{row.ticket_id}"
    if row.conversation_id is not None:
        return f"conversation:{row.conversation_id}"
    return f"outbox:{row.id}"


def _audit(session: Session, me: Staff, action: str, row: OutboxMessage, now: datetime) -> None:
    audit(session, me, action, _target(row), now, outbox=row.id, kind=row.kind, channel=row.channel,
          conversation=row.conversation_id, ticket=row.ticket_id)


def retry(session: Session, me: Staff, row_id: int, now: datetime) -> None:
    """Send an undelivered message again now (under the usual delivery rules); 409 when it cannot be."""
    row = _failed(session, row_id)
    seen = _view(row, now)
    if seen.erased:
        raise ConsoleError(409, "客户已删除个人信息，这条消息的内容已清除，不能重发")
    if seen.expired:
        raise ConsoleError(409, "这条消息已经过时（例如上门已开始后的提醒），不能重发")
    if not outbox.requeue(session, row.id, now):
        raise ConsoleError(409, "这条消息已经有人处理过了，请刷新页面")
    _audit(session, me, "outbox.retry", row, now)


def dismiss(session: Session, me: Staff, row_id: int, now: datetime) -> None:
    """Stop showing an undelivered message: it is cancelled, naming who decided and the error it had."""
    row = _failed(session, row_id)
    reason = f"dismissed in the console by {me.actor}; was: {row.last_error or '-'}"
    if not outbox.cancel_failed(session, row.id, reason):
        raise ConsoleError(409, "这条消息已经有人处理过了，请刷新页面")
    _audit(session, me, "outbox.dismiss", row, now)
