"""Messages crossing the boundary between channel adapters and the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from dialogs.replies import Button, Reply

__all__ = ["CHANNELS", "Button", "Channel", "InboundMessage", "Reply"]

#: Every front door a customer can use. Proactive messages go back through the same one.
Channel = Literal["telegram", "wechat", "web", "terminal"]
CHANNELS: tuple[str, ...] = get_args(Channel)


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One customer message as every channel adapter hands it to the engine.

    ``message_id`` is the platform's id (Telegram update/message id, WeChat MsgId, web client id);
    the engine drops a second message with the same (channel, message_id).
    """

    channel: Channel
    chat_id: str
    message_id: str
    text: str
    attachments: tuple[str, ...] = field(default_factory=tuple)
