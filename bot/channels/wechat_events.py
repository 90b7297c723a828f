"""A WeChat message (the fields of its XML) → what the customer did, as plain values. Pure: no I/O.

De-duplication keys follow WeChat's advice: messages by ``MsgId``, events by ``FromUserName`` +
``CreateTime`` (events have no MsgId).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.wechat_xml import BadMessage


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Image:
    media_id: str


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Subscribe:
    """The customer followed the Official Account."""


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """The customer unfollowed: nothing can be sent to them any more."""


@dataclass(frozen=True, slots=True)
class Unsupported:
    kind: str


@dataclass(frozen=True, slots=True)
class Ignored:
    why: str


Event = Text | Image | Location | Subscribe | Unsubscribe | Unsupported | Ignored


@dataclass(frozen=True, slots=True)
class Received:
    """One message: the customer's openid, our account's id, the de-duplication key, the event."""

    openid: str
    account: str
    key: str
    event: Event


def from_fields(fields: dict[str, str]) -> Received:
    """Translate the parsed XML; raise :class:`BadMessage` when required fields are missing or odd."""
    openid, account = fields.get("FromUserName", ""), fields.get("ToUserName", "")
    created, kind = fields.get("CreateTime", ""), fields.get("MsgType", "").lower()
    if not (openid and account and kind) or len(openid) > 64 or len(account) > 64 or not openid.isprintable():
        raise BadMessage("missing FromUserName, ToUserName or MsgType")
    if kind == "event":
        if not created.isdigit():
            raise BadMessage("event without CreateTime")
        name = fields.get("Event", "").lower()
        key = f"ev:{openid}:{created}"
        if name == "subscribe":
            return Received(openid, account, key, Subscribe())
        if name == "unsubscribe":
            return Received(openid, account, key, Unsubscribe())
        return Received(openid, account, key, Ignored(f"event {name}"))
    msg_id = fields.get("MsgId", "")
    if not msg_id.isdigit() or len(msg_id) > 32:
        raise BadMessage("message without a numeric MsgId")
    key = f"msg:{msg_id}"
    if kind == "text":
        return Received(openid, account, key, Text(fields.get("Content", "")))
    if kind == "image":
        media = fields.get("MediaId", "")
        return Received(openid, account, key, Image(media) if media else Unsupported("image without MediaId"))
    if kind == "voice":
        recognised = fields.get("Recognition", "").strip()
        return Received(openid, account, key, Text(recognised) if recognised else Unsupported("voice"))
    if kind == "location":
        try:
            lat, lon = float(fields.get("Location_X", "")), float(fields.get("Location_Y", ""))
        except ValueError as exc:
            raise BadMessage("location without coordinates") from exc
        return Received(openid, account, key, Location(lat, lon))
    return Received(openid, account, key, Unsupported(kind))
