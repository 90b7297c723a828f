"""Photo evidence in the console, without HTTP: a ticket's or a chat's photos with their flags, the
queue's per-chat indicator, and one photo's bytes for a person allowed to see it, with the audit row.

A photo is only ever reached through its owner (``ticket`` or ``conversation``): a photo id from another
ticket is "not found", so a typed or tampered URL shows nothing it should not. Flags are facts for a
person to weigh (``bot.evidence``); a near-duplicate of another customer's photo is *strong* (shown
loud, linking to that ticket), the metadata flags are *soft* (no camera information is common:
Telegram and WeChat strip it), so they are shown quietly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.errors import not_found
from bot.console.staff import Staff, audit
from bot.evidence import EvidenceSettings, read_photo
from bot.evidence.preview import thumbnail
from bot.store.models import Evidence

Owner = Literal["ticket", "conversation"]
Size = Literal["thumb", "full"]
#: Flag codes that point at possible fraud by themselves; every other flag is context.
STRONG_FLAGS = frozenset({"near_duplicate"})
_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}


@dataclass(frozen=True, slots=True)
class FlagView:
    """One flag as shown: its sentence, how loud, and the other ticket it names (near-duplicates)."""

    code: str
    text: str
    strong: bool
    ticket_id: int | None = None
    evidence_id: int | None = None


@dataclass(frozen=True, slots=True)
class PhotoView:
    """One photo in a list: what it is, when it came, its flags."""

    id: int
    ticket_id: int | None
    conversation_id: int | None
    media_type: str
    size_bytes: int
    width: int
    height: int
    created_at: datetime
    flags: list[FlagView] = field(default_factory=list)

    @property
    def type_label(self) -> str:
        return _TYPES.get(self.media_type, self.media_type)

    @property
    def size_label(self) -> str:
        """The file size as people read it (KB below a megabyte)."""
        if self.size_bytes < 1024 * 1024:
            return f"{max(1, round(self.size_bytes / 1024))} KB"
        return f"{self.size_bytes / (1024 * 1024):.1f} MB"

    @property
    def strong(self) -> bool:
        return any(f.strong for f in self.flags)


@dataclass(frozen=True, slots=True)
class PhotoSummary:
    """A chat's photos at a glance, for the queue: how many, how many with a strong flag, how many with
    soft flags only."""

    count: int
    strong: int
    soft: int


@dataclass(frozen=True, slots=True)
class PhotoFile:
    """What serving one photo needs, read in the lookup's transaction and used after it."""

    id: int
    path: str
    media_type: str
    ticket_id: int | None
    conversation_id: int | None


def flag_views(flags: Iterable[dict[str, Any]] | None) -> list[FlagView]:
    """Stored flags as shown; a flag without a sentence (none today) shows its code."""
    out = []
    for flag in flags or []:
        code = str(flag.get("code", ""))
        ticket = flag.get("ticket_id")
        evidence = flag.get("evidence_id")
        out.append(FlagView(code=code, text=str(flag.get("text") or code), strong=code in STRONG_FLAGS,
                            ticket_id=ticket if isinstance(ticket, int) else None,
                            evidence_id=evidence if isinstance(evidence, int) else None))
    return out


def _view(row: Evidence) -> PhotoView:
    return PhotoView(id=row.id, ticket_id=row.ticket_id, conversation_id=row.conversation_id,
                     media_type=row.media_type, size_bytes=row.size_bytes, width=row.width, height=row.height,
                     created_at=row.created_at, flags=flag_views(row.flags))


def for_ticket(session: Session, ticket_id: int) -> list[PhotoView]:
    """The ticket's photos, oldest first."""
    return [_view(r) for r in session.scalars(select(Evidence).where(Evidence.ticket_id == ticket_id)
                                              .order_by(Evidence.id))]


def for_conversation(session: Session, conversation_id: int) -> list[PhotoView]:
    """Every photo sent in the chat (whichever of its tickets it went to), oldest first."""
    return [_view(r) for r in session.scalars(select(Evidence).where(Evidence.conversation_id == conversation_id)
                                              .order_by(Evidence.id))]


def summaries(session: Session, conversation_ids: Iterable[int]) -> dict[int, PhotoSummary]:
    """Per chat that has photos: how many, how many strongly and softly flagged (one query)."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return {}
    counts: dict[int, list[int]] = {}
    # Flags are JSON, which PostgreSQL's json type cannot compare: read them and count here.
    for conversation_id, flags in session.execute(select(Evidence.conversation_id, Evidence.flags)
                                                  .where(Evidence.conversation_id.in_(ids))):
        views = flag_views(flags)
        tally = counts.setdefault(conversation_id, [0, 0, 0])
        tally[0] += 1
        if any(f.strong for f in views):
            tally[1] += 1
        elif views:
            tally[2] += 1
    return {cid: PhotoSummary(*tally) for cid, tally in counts.items()}


def find(session: Session, owner: Owner, owner_id: int, photo_id: int) -> PhotoFile:
    """The photo ``photo_id`` if it belongs to ``owner_id``; 404 for any other (unknown, another ticket's)."""
    row = session.get(Evidence, photo_id)
    belongs = row is not None and (row.ticket_id if owner == "ticket" else row.conversation_id) == owner_id
    if row is None or not belongs:
        raise not_found("照片")
    return PhotoFile(row.id, row.path, row.media_type, row.ticket_id, row.conversation_id)


def content(photo: PhotoFile, settings: EvidenceSettings, size: Size) -> tuple[bytes, str]:
    """The photo's bytes and type: the original as sent, or a JPEG thumbnail. Raises FileNotFoundError
    when the file went meanwhile (erased or purged after the lookup)."""
    data = read_photo(photo, settings)
    return (thumbnail(data), "image/jpeg") if size == "thumb" else (data, photo.media_type)


def record_view(session: Session, who: Staff, photo: PhotoFile, size: Size, now: datetime) -> None:
    """Who saw which evidence, when (every view, thumbnails included: a thumbnail shows the photo too)."""
    audit(session, who, "evidence.view", f"evidence:{photo.id}", now, ticket=photo.ticket_id,
          conversation=photo.conversation_id, size=size)
