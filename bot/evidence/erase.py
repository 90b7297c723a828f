"""Erasure of a customer's photos: rows in the caller's transaction, files once it commits.

Files are removed only after the commit: if the erasing transaction rolls back, the rows still point
at files that still exist. A file that cannot be removed is logged (by path, which names no one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import delete, or_, select, tuple_
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from bot.evidence.settings import EvidenceSettings
from bot.store.models import AuditLog, Conversation, Evidence

log = logging.getLogger(__name__)
_PENDING = "evidence_files_to_unlink"


def erase_photos(session: Session, *, conversation_ids: Iterable[int], settings: EvidenceSettings,
                 actor: str = "customer") -> int:
    """Delete the photos sent in these conversations (linked or not yet linked); returns how many."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return 0
    chats = session.execute(select(Conversation.channel, Conversation.chat_id).where(Conversation.id.in_(ids))).all()
    condition = Evidence.conversation_id.in_(ids)
    if chats:
        condition = or_(condition, tuple_(Evidence.channel, Evidence.chat_id).in_([tuple(c) for c in chats]))
    paths = list(session.scalars(delete(Evidence).where(condition).returning(Evidence.path)))
    if paths:
        _unlink_after_commit(session, [settings.root / p for p in paths])
        session.add(AuditLog(actor=actor, action="evidence.erase", target=f"conversation:{ids[0]}",
                             detail={"photos": len(paths), "conversations": len(ids)}))
    return len(paths)


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
