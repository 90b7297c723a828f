"""Keep a photo: encrypted file under the data directory, one ``evidence`` row, near-duplicate flags.

Files are named by a random id (never by content: two customers' identical photos must not share a file
that one customer's erasure would delete), written whole to a temporary name and renamed into place,
mode 0600 in 0700 folders. The content is encrypted with the project's at-rest key
(``bot.privacy.encrypt``): photos of a home's door and safe are personal data like an address.

Near-duplicates: the 64-bit perceptual hashes of other chats' photos are compared in Python (a popcount
of the XOR), which stays fast into the hundreds of thousands of photos; a match names the other photo's
ticket so operators can look at both.
"""

from __future__ import annotations

import base64
import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.evidence.photos import PhotoRejected, inspect_photo
from bot.evidence.settings import EvidenceSettings
from bot.privacy import decrypt, encrypt
from bot.store.db import Database, dialect_insert
from bot.store.models import AuditLog, Conversation, Evidence, Ticket

log = logging.getLogger(__name__)

_EXTENSION = ".enc"


@dataclass(frozen=True, slots=True)
class Accepted:
    """A stored photo: its evidence row id and the flags raised for operators."""

    evidence_id: int
    flags: list[dict[str, Any]] = field(default_factory=list)
    duplicate_delivery: bool = False


@dataclass(frozen=True, slots=True)
class Rejected:
    """A file that was not kept, and why (a :class:`~bot.evidence.photos.PhotoRejected` code)."""

    code: str


def accept_photo(db: Database, *, channel: str, chat_id: str, source_id: str, data: bytes,
                 settings: EvidenceSettings, now: datetime) -> Accepted | Rejected:
    """Check, store and fingerprint one photo; synchronous (run it in a worker thread from async code).

    ``source_id`` is the platform's id of the upload: the same id delivered twice is stored once.
    """
    with db.session(readonly=True) as session:
        existing = _existing(session, channel, source_id)
        if existing is not None:  # a redelivery: the photo is kept already
            return Accepted(existing.id, list(existing.flags or []), duplicate_delivery=True)
    try:
        photo = inspect_photo(data, settings)
    except PhotoRejected as exc:
        log.info("%s photo from chat %s not kept: %s", channel, _short(chat_id), exc.code)
        return Rejected(exc.code)
    relative = _write(settings.root, data, now)
    try:
        with db.session() as session:
            inserted = session.execute(
                dialect_insert(session, Evidence).values(
                    channel=channel, chat_id=chat_id, source_id=source_id[:160], path=relative,
                    media_type=photo.media_type, size_bytes=len(data), width=photo.width, height=photo.height,
                    sha256=photo.sha256, phash=photo.phash, flags=[], created_at=now)
                .on_conflict_do_nothing(index_elements=["channel", "source_id"])
                .returning(Evidence.id)
            ).scalar()
            if inserted is None:  # the same delivery, stored by a concurrent request a moment ago
                (settings.root / relative).unlink(missing_ok=True)
                existing = _existing(session, channel, source_id)
                assert existing is not None
                return Accepted(existing.id, list(existing.flags or []), duplicate_delivery=True)
            flags = near_duplicate_flags(session, channel=channel, chat_id=chat_id, phash=photo.phash,
                                         settings=settings) + photo.flags
            row = session.get(Evidence, inserted)
            assert row is not None
            row.flags = flags
            if flags:
                session.add(AuditLog(actor="bot", action="evidence.flag", target=f"evidence:{inserted}",
                                     detail={"codes": [f["code"] for f in flags]}))
    except BaseException:
        (settings.root / relative).unlink(missing_ok=True)
        raise
    return Accepted(inserted, flags)


class StoredPhoto(Protocol):
    """Anything naming a stored photo's file: an ``Evidence`` row, or what the console kept of one."""

    @property
    def path(self) -> str: ...


def read_photo(row: StoredPhoto, settings: EvidenceSettings) -> bytes:
    """The original bytes of a stored photo (for the console, or a check by hand)."""
    blob = (settings.root / row.path).read_bytes()
    return base64.b64decode(decrypt(blob))


def near_duplicate_flags(session: Session, *, channel: str, chat_id: str, phash: str,
                         settings: EvidenceSettings) -> list[dict[str, Any]]:
    """Flags naming other customers' tickets whose photos are within the Hamming distance of ``phash``."""
    mine = int(phash, 16)
    me = session.scalar(select(Conversation.customer_id).where(Conversation.channel == channel,
                                                               Conversation.chat_id == chat_id))
    rows = session.execute(
        select(Evidence.id, Evidence.phash, Evidence.conversation_id, Evidence.ticket_id)
        .where(~((Evidence.channel == channel) & (Evidence.chat_id == chat_id)))
    ).all()
    close = sorted(((bin(mine ^ int(other, 16)).count("1"), eid, conv, ticket) for eid, other, conv, ticket in rows),
                   key=lambda r: (r[0], r[1]))
    flags: list[dict[str, Any]] = []
    seen_tickets: set[int | None] = set()
    for distance, evidence_id, conv_id, ticket_id in close:
        if distance > settings.near_duplicate_distance:
            break
        conversation = session.get(Conversation, conv_id) if conv_id is not None else None
        if me is not None and conversation is not None and conversation.customer_id == me:
            continue  # the same customer writing from another channel
        ticket_id = ticket_id if ticket_id is not None else _latest_ticket(session, conv_id)
        if ticket_id in seen_tickets:
            continue
        seen_tickets.add(ticket_id)
        text = (f"图片与工单 #{ticket_id} 的图片高度相似" if ticket_id is not None
                else "图片与另一位客户发来的图片高度相似")
        flags.append({"code": "near_duplicate", "text": text, "ticket_id": ticket_id, "evidence_id": evidence_id,
                      "distance": distance})
        if len(flags) >= 5:
            break
    return flags


def flags_for_ticket(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    """Every flag on the ticket's photos, each with the photo's ``evidence_id`` (for operators)."""
    found: list[dict[str, Any]] = []
    for evidence_id, flags in session.execute(
            select(Evidence.id, Evidence.flags).where(Evidence.ticket_id == ticket_id).order_by(Evidence.id)):
        found += [{**flag, "photo": evidence_id} for flag in flags or []]
    return found


def _latest_ticket(session: Session, conversation_id: int | None) -> int | None:
    if conversation_id is None:
        return None
    return session.scalar(select(Ticket.id).where(Ticket.conversation_id == conversation_id)
                          .order_by(Ticket.id.desc()).limit(1))


def _existing(session: Session, channel: str, source_id: str) -> Evidence | None:
    return session.scalars(select(Evidence).where(Evidence.channel == channel,
                                                  Evidence.source_id == source_id[:160])).first()


def _write(root: Path, data: bytes, now: datetime) -> str:
    """Encrypt and write ``data``; returns the path relative to ``root``."""
    folder = Path(f"{now:%Y}") / f"{now:%m}"
    target_dir = root / folder
    target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for directory in (root, root / folder.parts[0], target_dir):
        os.chmod(directory, 0o700)
    name = uuid.uuid4().hex + _EXTENSION
    blob = encrypt(base64.b64encode(data).decode("ascii"))
    tmp = target_dir / f".{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, target_dir / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return str(folder / name)


def _short(chat_id: str) -> str:
    """A chat id as logs may show it (an identifier: only its end)."""
    return "…" + chat_id[-4:]
