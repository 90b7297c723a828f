"""What a web chat reads back: its history, and what was sent to it on the bot's or an operator's initiative.

Proactive messages are stored as history rows (``Message.proactive``) by the outbox dispatcher in the
same transaction that marks them sent. ``GET /api/chat/updates`` long-polls for them: it answers at once
when there is something after the cursor, otherwise waits up to ``wait`` seconds. A dispatcher in this
process wakes the waiters immediately (:class:`UpdateNotifier`); one in another process (a second
``repairbot serve``, ``repairbot followups dispatch``) is seen by re-reading the database every couple
of seconds while waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Conversation, Message

#: How often a waiting long-poll re-reads the database for deliveries made by other processes.
RECHECK_S = 2.0


class UpdateNotifier:
    """Wakes long-polls of a conversation when this process delivered something to it.

    ``notify`` may be called from any thread (a dispatcher run from a worker thread or a test): each
    waiter is woken on its own event loop.
    """

    def __init__(self) -> None:
        self._waiters: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = defaultdict(set)
        self._lock = threading.Lock()

    def notify(self, conversation_ids: Iterable[int]) -> None:
        """Wake every long-poll waiting on these conversations."""
        with self._lock:
            waiting = [w for cid in conversation_ids for w in self._waiters.get(cid, ())]
        for loop, event in waiting:
            with contextlib.suppress(RuntimeError):  # that loop has just closed: nobody is waiting any more
                loop.call_soon_threadsafe(event.set)

    async def wait(self, conversation_id: int, timeout: float) -> None:
        """Return when notified or after ``timeout`` seconds, whichever comes first."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters[conversation_id].add(waiter)
        try:
            await asyncio.wait_for(waiter[1].wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters[conversation_id].discard(waiter)
                if not self._waiters[conversation_id]:
                    del self._waiters[conversation_id]


def conversation_id(session: Session, chat_id: str) -> int | None:
    """The id of the web chat ``chat_id`` (None before its first message)."""
    return session.scalar(select(Conversation.id).where(Conversation.channel == "web",
                                                        Conversation.chat_id == chat_id))


def _message_json(message: Message, tz: ZoneInfo, *, with_author: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(message.id), "text": message.text or "", "buttons": message.buttons or [],
                            "at": message.created_at.astimezone(tz).isoformat()}
    if with_author:
        data["from"] = message.author
    return data


def proactive_after(session: Session, conv_id: int, after: int, tz: ZoneInfo, limit: int = 100) -> list[dict[str, Any]]:
    """Messages sent on the bot's or an operator's initiative after message id ``after``, oldest first."""
    rows = session.scalars(
        select(Message).where(Message.conversation_id == conv_id, Message.proactive.is_(True), Message.id > after,
                              Message.erased.is_(False)).order_by(Message.id).limit(limit))
    return [_message_json(m, tz, with_author=False) for m in rows]


def history(session: Session, conv_id: int, tz: ZoneInfo, limit: int = 500) -> list[dict[str, Any]]:
    """The chat as the customer saw it: their messages, the bot's and operators', oldest first."""
    rows = list(session.scalars(
        select(Message).where(Message.conversation_id == conv_id, Message.erased.is_(False))
        .order_by(Message.id.desc()).limit(limit)))
    rows.reverse()
    return [_message_json(m, tz, with_author=True) for m in rows if m.text is not None]


def latest_id(session: Session, conv_id: int) -> int:
    """The newest message id of the chat (0 when empty): where a fresh page starts its cursor."""
    from sqlalchemy import func

    return int(session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conv_id)) or 0)

