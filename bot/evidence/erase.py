"""Deleting photos: rows in the caller's transaction, files once it commits.

Files are removed only after the commit: if the deleting transaction rolls back, the rows still point
at files that still exist. A file that cannot be removed is logged (by path, which names no one).
Two callers share :func:`remove_photos`: erasure on request (:func:`erase_photos`, from
``bot.privacy.erase_customer``) and the retention policy (``bot.retention``, kind ``photos``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, tuple_
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from bot.evidence.settings import EvidenceSettings
from bot.store.models import AuditLog, Conversation, Evidence

log = logging.getLogger(__name__)
_PENDING = "evidence_files_to_unlink"


def remove_photos(session: Session, where: Any, settings: EvidenceSettings) -> int:
    """Delete the evidence rows matching the SQL condition ``where``; their files go after the commit."""
    paths = list(session.scalars(delete(Evidence).where(where).returning(Evidence.path)
                                 .execution_options(synchronize_session=False)))
    if paths:
        _unlink_after_commit(session, [settings.root / p for p in paths])
    return len(paths)


def erase_photos(session: Session, *, conversation_ids: Iterable[int], settings: EvidenceSettings,
                 ticket_ids: Iterable[int] = (), actor: str = "customer") -> int:
    """Delete the photos sent in these conversations (linked or not yet linked) or kept for these tickets.

    Returns how many; an ``evidence.erase`` audit row records the count.
    """
    ids, tickets = sorted(set(conversation_ids)), sorted(set(ticket_ids))
    if not ids and not tickets:
        return 0
    conditions = []
    if ids:
        conditions.append(Evidence.conversation_id.in_(ids))
        # Photos whose turn never linked them (it failed) belong to the chat by channel and chat id.
        chats = session.execute(select(Conversation.channel, Conversation.chat_id)
                                .where(Conversation.id.in_(ids))).all()
        if chats:
            conditions.append(tuple_(Evidence.channel, Evidence.chat_id).in_([tuple(c) for c in chats]))
    if tickets:
        conditions.append(Evidence.ticket_id.in_(tickets))
    count = remove_photos(session, or_(*conditions), settings)
    if count:
        target = f"conversation:{ids[0]}" if ids else f"ticket:{tickets[0]}"
        session.add(AuditLog(actor=actor, action="evidence.erase", target=target,
                             detail={"photos": count, "conversations": len(ids), "tickets": len(tickets)}))
    return count


def _unlink_after_commit(session: Session, paths: list[Path]) -> None:
    pending: list[Path] = session.info.setdefault(_PENDING, [])
    if not pending:
        sa_event.listen(session, "after_commit", _unlink_pending, once=True)
        sa_event.listen(session, "after_rollback", _forget_pending, once=True)
    pending.extend(paths)


def _unlink_pending(session: Session) -> None:
    for path in session.info.pop(_PENDING, []):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.exception("could not remove erased photo file %s", path)


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
