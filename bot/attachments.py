"""What a message carries besides text, as the engine sees it: photos, refused files, shared locations.

Channel adapters do the platform work (download, check and store a photo through ``bot.evidence``,
resolve a shared location to a county) and hand the engine plain references in
``InboundMessage.attachments``:

- ``photo:<evidence id>`` — a stored photo, linked to the conversation and its ticket in the turn;
- ``rejected:<code>`` — a file that was not kept (too large, not an image, a sticker…), with the reason;
- ``location:<adcode>`` — a shared location's nearest county, to be confirmed by the customer.

The engine turns them into replies (an acknowledgement, a clear refusal, the confirmation question) and
a line for the history; the dialogs never see them. A location becomes a place only when the customer
presses the confirmation button, which sends the place's name as an ordinary message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from bot.store.models import Evidence
from dialogs.replies import Button, Reply
from dialogs.texts import say

PHOTO = "photo"
REJECTED = "rejected"
LOCATION = "location"
#: Refusal codes with their own text; any other code gets the generic "only text, photos, locations".
REJECTION_CODES = ("too_large", "not_image", "unsupported_format", "too_many_pixels", "download_failed",
                   "voice_unrecognised")


def photo_ref(evidence_id: int) -> str:
    """The reference of a stored photo."""
    return f"{PHOTO}:{evidence_id}"


def rejected_ref(code: str) -> str:
    """The reference of a file that was not kept."""
    return f"{REJECTED}:{code}"


def location_ref(adcode: str) -> str:
    """The reference of a shared location resolved to a county-level division."""
    return f"{LOCATION}:{adcode}"


@dataclass
class Received:
    """The attachments of one message, read: photo ids to link, replies to say, a line for the history."""

    photo_ids: list[int] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    description: str = ""


def receive(refs: tuple[str, ...], *, max_megabytes: int = 10) -> Received:
    """Read the references of one message (pure: no database)."""
    out = Received()
    notes: list[str] = []
    refused: list[str] = []
    places: list[str] = []
    for ref in refs:
        kind, _, value = ref.partition(":")
        if kind == PHOTO and value.isdigit():
            out.photo_ids.append(int(value))
            notes.append("[图片]")
        elif kind == LOCATION and (label := _place_label(value)) is not None:
            places.append(label)
            notes.append(f"[位置：{label}]")
        elif kind == LOCATION:
            refused.append("location_unknown")
            notes.append("[位置]")
        else:
            refused.append(value if kind == REJECTED and value in REJECTION_CODES else "unsupported_kind")
            notes.append("[未保存的附件]")
    if out.photo_ids:
        count = len(out.photo_ids)
        out.replies.append(Reply(say("channels.photo_received") if count == 1
                                 else say("channels.photos_received", count=count)))
    for code in dict.fromkeys(refused):  # one sentence per reason, however many files
        if code in ("unsupported_kind", "location_unknown", "voice_unrecognised"):
            out.replies.append(Reply(say(f"channels.{code}")))
        else:
            out.replies.append(Reply(say(f"channels.photo_rejected.{code}", mb=max_megabytes)))
    for label in dict.fromkeys(places):
        out.replies.append(Reply(say("channels.location_confirm", place=label),
                                 (Button(label=say("channels.location_confirm_button", place=label), value=label),)))
    out.description = " ".join(notes)
    return out


def link(session: Session, conversation_id: int, ticket_id: int | None, photo_ids: list[int]) -> None:
    """Attach this message's photos to the conversation and its current ticket (if it has one yet)."""
    if photo_ids:
        session.execute(update(Evidence).where(Evidence.id.in_(photo_ids))
                        .values(conversation_id=conversation_id, ticket_id=ticket_id)
                        .execution_options(synchronize_session=False))


def adopt(session: Session, conversation_id: int, ticket_id: int) -> None:
    """A ticket was just opened: photos sent before it existed become its evidence."""
    session.execute(_adopt_statement(), {"chat": conversation_id, "ticket": ticket_id})


@lru_cache(maxsize=1)
def _adopt_statement() -> Any:
    """Built once (it runs in every chat, on the turn that opens its ticket); Core: no photo objects held."""
    table = Evidence.__table__
    return (update(table).where(table.c.conversation_id == bindparam("chat"), table.c.ticket_id.is_(None))
            .values(ticket_id=bindparam("ticket")))


def _place_label(adcode: str) -> str | None:
    import regions

    division = regions.lookup(adcode) if adcode.isdigit() and len(adcode) == 6 else None
    return division.place().label if division is not None else None
