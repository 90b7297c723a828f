"""The outbox table's operations: enqueue, cancel, claim and settle rows, and put a failed one back or away.
Caller's transaction throughout.

Claiming is the heart of "each row is sent once, whatever the number of dispatchers":

- PostgreSQL: ``UPDATE outbox SET status='sending', available_at=now+lease … WHERE id IN (SELECT id …
  ORDER BY available_at LIMIT n FOR UPDATE SKIP LOCKED) RETURNING …`` — concurrent dispatchers take
  disjoint batches without waiting for each other.
- SQLite: the same UPDATE inside the ``BEGIN IMMEDIATE`` transaction every write session starts with
  (one writer at a time), so two claims can never overlap.

``available_at`` is "the next moment someone should look at this row": the due time at first, then
the lease's end while a dispatcher holds it, the back-off after a failure, the morning after quiet
hours. A dispatcher that died between claim and send leaves a lease that simply runs out, and the row
is claimed again — so the one condition ``status IN ('pending', 'sending') AND available_at <= now``
finds both new work and abandoned work, on one index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot.store.db import dialect_insert
from bot.store.models import OutboxMessage
from bot.store.types import utcnow
from dialogs.replies import Reply

_T = OutboxMessage.__table__
_OPEN = ("pending", "sending")


@dataclass(frozen=True, slots=True)
class Claimed:
    """One row a dispatcher now holds, with everything needed to decide and send."""

    id: int
    conversation_id: int | None
    ticket_id: int | None
    channel: str
    chat_id: str
    kind: str
    essential: bool
    payload: dict[str, Any]
    due_at: datetime
    expires_at: datetime | None
    attempts: int

    @property
    def reply(self) -> Reply:
        """The message to send."""
        return Reply.from_json(self.payload)

    @property
    def meta(self) -> dict[str, Any]:
        """Extra facts the planner attached (e.g. the operator who wrote a reply)."""
        return dict(self.payload.get("meta") or {})


@dataclass(frozen=True)
class Planned:
    """One message to plan with :func:`enqueue_many` (the arguments of :func:`enqueue`)."""

    key: str
    channel: str
    chat_id: str
    kind: str
    reply: Reply
    due_at: datetime
    conversation_id: int | None = None
    ticket_id: int | None = None
    expires_at: datetime | None = None
    essential: bool = True


def enqueue_many(session: Session, planned: Sequence[Planned]) -> int:
    """Plan several messages in one statement; returns how many were new (existing keys are no-ops)."""
    if not planned:
        return 0
    now = utcnow()
    rows = [{"idempotency_key": p.key, "conversation_id": p.conversation_id, "ticket_id": p.ticket_id,
             "channel": p.channel, "chat_id": p.chat_id, "kind": p.kind, "essential": p.essential,
             "payload": p.reply.to_json(), "due_at": p.due_at, "available_at": p.due_at,
             "expires_at": p.expires_at, "status": "pending", "attempts": 0, "created_at": now} for p in planned]
    # One INSERT … VALUES (…), (…) RETURNING (SQLAlchemy's insertmanyvalues): only new rows come back.
    inserted = session.connection().execute(
        dialect_insert(session, _T).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(_T.c.id),
        rows,
    ).all()
    return len(inserted)


def enqueue(
    session: Session,
    *,
    key: str,
    channel: str,
    chat_id: str,
    kind: str,
    reply: Reply,
    due_at: datetime,
    conversation_id: int | None = None,
    ticket_id: int | None = None,
    expires_at: datetime | None = None,
    essential: bool = True,
    meta: dict[str, Any] | None = None,
) -> bool:
    """Plan one message; False when a row with ``key`` already exists (planning twice is a no-op)."""
    payload: dict[str, Any] = reply.to_json()
    if meta:
        payload["meta"] = meta
    inserted = session.execute(
        dialect_insert(session, _T)
        .values(idempotency_key=key, conversation_id=conversation_id, ticket_id=ticket_id, channel=channel,
                chat_id=chat_id, kind=kind, essential=essential, payload=payload, due_at=due_at,
                available_at=due_at, expires_at=expires_at, status="pending", attempts=0, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(_T.c.id)
    ).first()
    return inserted is not None


def cancel(
    session: Session,
    *,
    ticket_id: int | None = None,
    conversation_id: int | None = None,
    kinds: Iterable[str] | None = None,
    reason: str = "plans changed",
) -> int:
    """Cancel pending rows of a ticket or a conversation (optionally only some kinds); returns how many.

    Rows a dispatcher is sending right now are left to finish: a message half-way out cannot be recalled.
    """
    if ticket_id is None and conversation_id is None:
        raise ValueError("cancel() needs a ticket_id or a conversation_id")
    statement = _cancel_statement(ticket_id is not None, conversation_id is not None, kinds is not None)
    params = {"ticket": ticket_id, "chat": conversation_id, "reason": reason,
              "kinds": list(kinds) if kinds is not None else None}
    return session.execute(statement, params).rowcount or 0


@lru_cache(maxsize=8)
def _cancel_statement(by_ticket: bool, by_conversation: bool, by_kinds: bool) -> Any:
    """The cancelling UPDATE for one combination of filters, built once (it runs on every booking).

    Its parameters are not named after columns: SQLAlchemy keeps those names for the SET clause."""
    stmt = update(_T).where(_T.c.status == "pending")
    if by_ticket:
        stmt = stmt.where(_T.c.ticket_id == bindparam("ticket"))
    if by_conversation:
        stmt = stmt.where(_T.c.conversation_id == bindparam("chat"))
    if by_kinds:
        stmt = stmt.where(_T.c.kind.in_(bindparam("kinds", expanding=True)))
    return stmt.values(status="cancelled", last_error=bindparam("reason"))


def claim(session: Session, *, now: datetime, limit: int, worker: str, lease: timedelta,
          channels: Sequence[str]) -> list[Claimed]:
    """Take up to ``limit`` due rows on ``channels`` for ``worker`` until ``now + lease`` (see module doc)."""
    due = (
        select(_T.c.id)
        .where(_T.c.status.in_(_OPEN), _T.c.available_at <= now, _T.c.channel.in_(list(channels)))
        .order_by(_T.c.available_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    rows = session.execute(
        update(_T)
        .where(_T.c.id.in_(due.scalar_subquery()))
        .values(status="sending", available_at=now + lease, claimed_by=worker, attempts=_T.c.attempts + 1)
        .returning(_T.c.id, _T.c.conversation_id, _T.c.ticket_id, _T.c.channel, _T.c.chat_id, _T.c.kind,
                   _T.c.essential, _T.c.payload, _T.c.due_at, _T.c.expires_at, _T.c.attempts)
    ).all()
    claimed = [Claimed(*row) for row in rows]
    claimed.sort(key=lambda c: (c.due_at, c.id))
    return claimed


def _mine(worker: str) -> Any:
    # A row whose lease ran out may have been claimed by someone else since: settle only our own.
    return (_T.c.status == "sending") & (_T.c.claimed_by == worker)


def settle_sent(session: Session, ids: Sequence[int], *, worker: str, now: datetime,
                external_ids: dict[int, str | None] | None = None) -> list[int]:
    """Mark rows sent; returns the ids this worker still held (the others were re-claimed meanwhile)."""
    if not ids:
        return []
    external_ids = external_ids or {}
    plain = [i for i in ids if external_ids.get(i) is None]
    settled: list[int] = []
    if plain:
        settled += session.execute(
            update(_T).where(_T.c.id.in_(plain), _mine(worker))
            .values(status="sent", sent_at=now, last_error=None).returning(_T.c.id)
        ).scalars().all()
    for row_id in ids:
        ext = external_ids.get(row_id)
        if ext is not None:
            settled += session.execute(
                update(_T).where(_T.c.id == row_id, _mine(worker))
                .values(status="sent", sent_at=now, last_error=None, external_id=str(ext)[:128]).returning(_T.c.id)
            ).scalars().all()
    return settled


def settle(session: Session, outcomes: Sequence[tuple[int, str, datetime | None, str | None]], *,
           worker: str, undo_attempt: Sequence[int] = ()) -> None:
    """Settle rows that were not sent: (id, status, available_at, reason) each.

    ``status`` is ``pending`` (held or retried later, at ``available_at``), ``failed`` or ``dropped``.
    Rows in ``undo_attempt`` were only held, so the claim's attempt is given back. Rows sharing an
    outcome (a whole batch held until the morning) are settled by one statement.
    """
    held = set(undo_attempt)
    groups: dict[tuple[str, datetime | None, str | None, bool], list[int]] = {}
    for row_id, status, available_at, reason in outcomes:
        groups.setdefault((status, available_at, reason, row_id in held), []).append(row_id)
    for (status, available_at, reason, undo), ids in groups.items():
        values: dict[str, Any] = {"status": status, "last_error": reason}
        if available_at is not None:
            values["available_at"] = available_at
        if undo:
            values["attempts"] = _T.c.attempts - 1
        session.execute(update(_T).where(_T.c.id.in_(ids), _mine(worker)).values(**values))


def requeue(session: Session, row_id: int, now: datetime) -> bool:
    """Send a failed row again (an operator's 重新发送): pending, available now, attempts from zero.

    Only a ``failed`` row moves (one conditional UPDATE), so of two people pressing at once one wins and
    a row being sent, already sent or dismissed is never touched; False when nothing moved. ``due_at``
    keeps the moment the message was meant for, and the delivery rules apply again when it is claimed
    (a reminder whose visit started is dropped, quiet hours hold a follow-up till the morning).
    """
    moved = session.execute(
        update(_T).where(_T.c.id == row_id, _T.c.status == "failed")
        .values(status="pending", available_at=now, attempts=0, claimed_by=None)
    ).rowcount
    return bool(moved)


def cancel_failed(session: Session, row_id: int, reason: str) -> bool:
    """Give up on a failed row for good (an operator's 忽略): ``cancelled`` with ``reason``; False unless failed."""
    moved = session.execute(
        update(_T).where(_T.c.id == row_id, _T.c.status == "failed").values(status="cancelled", last_error=reason[:500])
    ).rowcount
    return bool(moved)


def counts(session: Session) -> dict[str, int]:
    """Rows per status (for ``repairbot followups status`` and health pages)."""
    from sqlalchemy import func

    return {status: n for status, n in session.execute(select(_T.c.status, func.count()).group_by(_T.c.status))}
