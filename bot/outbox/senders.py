"""Senders: how an outbox row reaches its channel, and how a failure is reported.

A sender takes the chat id and the :class:`~dialogs.replies.Reply` and returns the platform's id of the
sent message (or None). It raises :class:`TransientSendError` for failures worth retrying (network,
5xx, 429 with ``retry_after``) and :class:`PermanentSendError` for those that are not (blocked by the
user, chat not found, WeChat's 48-hour window closed): the row is then marked failed for operators.

The web chat and the terminal have nothing to call: their delivery *is* the history row the dispatcher
writes in the same transaction that marks the row sent (``records_only``), which makes delivery there
exactly-once. Platform senders (Telegram, WeChat) live with their channel in ``bot/channels``; they
register here under the channel's name.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from dialogs.replies import Reply


class SendError(Exception):
    """A send failed; ``retry_after`` (seconds) is the platform's own advice when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientSendError(SendError):
    """Worth retrying later (back-off, or ``retry_after``)."""


class PermanentSendError(SendError):
    """Retrying cannot help; the row fails at once and operators see why."""


@runtime_checkable
class Sender(Protocol):
    """Delivers one message on one channel."""

    #: True for channels whose delivery is the stored history row (web chat, terminal).
    records_only: bool

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Send ``reply`` to ``chat_id``; return the platform's message id (None when it has none)."""
        ...


class RecordingSender:
    """The web chat's and terminal's sender: nothing to call, the history row is the delivery."""

    records_only = True

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        return None


def local_senders() -> dict[str, Sender]:
    """Senders every process has: the channels served from our own database."""
    recording = RecordingSender()
    return {"web": recording, "terminal": recording}
