"""Telegram ``Update`` → what the customer did, as plain values (opsdroid's create_events, for Telegram).

Only private chats are customers: updates from groups (the operators' alert group included), channels,
edits and membership changes are :class:`Ignored`. Pure translation: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COMMANDS = ("start", "help", "cancel", "delete")


@dataclass(frozen=True, slots=True)
class Text:
    """A text message."""

    text: str


@dataclass(frozen=True, slots=True)
class Command:
    """``/name args`` (``/start@repair_bot`` too); ``name`` lower-cased without the bot's name."""

    name: str
    args: str
    text: str


@dataclass(frozen=True, slots=True)
class Pressed:
    """An inline button was pressed; ``data`` is its callback data (a value or a reference)."""

    query_id: str
    data: str


@dataclass(frozen=True, slots=True)
class Photo:
    """A photo (largest size) or an image sent as a file; ``source_id`` is Telegram's stable file id."""

    file_id: str
    source_id: str
    size: int | None
    caption: str


@dataclass(frozen=True, slots=True)
class Location:
    """A shared location or venue."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Unsupported:
    """Something we do not read (sticker, voice, video, a non-image file…); the caption is still text."""

    kind: str
    caption: str


@dataclass(frozen=True, slots=True)
class Ignored:
    """Nothing for the bot to answer."""

    why: str


Event = Text | Command | Pressed | Photo | Location | Unsupported | Ignored


@dataclass(frozen=True, slots=True)
class Received:
    """One update: its id (the de-duplication key), the chat it belongs to, and the event."""

    update_id: int
    chat_id: str | None
    event: Event


def from_update(update: Any) -> Received:
    """Translate a PTB ``Update``."""
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        chat = getattr(message, "chat", None)
        if chat is not None and chat.type != "private":
            return Received(update.update_id, None, Ignored("callback outside a private chat"))
        chat_id = str(chat.id) if chat is not None else str(query.from_user.id)
        return Received(update.update_id, chat_id, Pressed(str(query.id), query.data or ""))
    message = update.message
    if message is None:
        return Received(update.update_id, None, Ignored("not a new message"))
    if message.chat.type != "private":
        return Received(update.update_id, None, Ignored("not a private chat"))
    return Received(update.update_id, str(message.chat.id), _message_event(message))


def _message_event(message: Any) -> Event:
    caption = message.caption or ""
    if message.text is not None:
        text = message.text
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            name = head.split("@", 1)[0].lower()
            if name in COMMANDS:
                return Command(name, args.strip(), text)
        return Text(text)
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return Photo(largest.file_id, largest.file_unique_id, largest.file_size, caption)
    document = message.document
    if document is not None:
        if (document.mime_type or "").startswith("image/"):
            return Photo(document.file_id, document.file_unique_id, document.file_size, caption)
        return Unsupported("document", caption)
    if message.venue is not None:
        return Location(message.venue.location.latitude, message.venue.location.longitude)
    if message.location is not None:
        return Location(message.location.latitude, message.location.longitude)
    for kind in ("sticker", "voice", "audio", "video", "video_note", "animation", "contact", "poll", "dice"):
        if getattr(message, kind, None):
            return Unsupported(kind, caption)
    return Ignored("a service message")
