"""Messages crossing the boundary between channel adapters and the engine."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One customer message as every channel adapter hands it to the engine.

    ``message_id`` is the platform's id (Telegram update/message id, WeChat MsgId, web client id);
    the engine drops a second message with the same (channel, message_id).
    """

    channel: str  # "telegram" | "wechat" | "web" | "terminal"
    chat_id: str
    message_id: str
    text: str
    attachments: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Button:
    """A choice; pressing it sends ``value`` as the next message on every channel."""

    label: str
    value: str

    def to_json(self) -> dict[str, str]:
        return {"label": self.label, "value": self.value}


@dataclass(frozen=True, slots=True)
class Reply:
    """One bot message with optional buttons."""

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "buttons": [b.to_json() for b in self.buttons]}
