"""What every messenger front door is, and the delivery rule they share.

A :class:`Channel` (opsdroid's connector, made small) only translates: platform payload →
:class:`~bot.messages.InboundMessage` → ``engine.respond`` → :class:`~dialogs.replies.Reply` → platform.
Platform senders are the same objects the outbox dispatcher uses (``bot.app.channel_senders``).

Immediate answers to a customer's message are sent at once, inside the request that brought it (the
customer is waiting, and the platform's rate limiter paces them). A send that fails loses nothing:
:func:`deliver` turns whatever was not sent into one outbox row of kind ``reply`` — due at once, or
after the platform's ``retry_after`` — which the dispatcher retries like any other row, and which
operators see if it fails for good. The engine stored those replies in the history already, so the
row is marked ``recorded`` and its delivery adds no second copy.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select
from starlette.routing import BaseRoute

from bot.outbox import queue
from bot.outbox.senders import Sender, SendError, TransientSendError
from bot.store.db import Database
from bot.store.models import Conversation
from dialogs.replies import Button, Reply

log = logging.getLogger(__name__)

#: Wakes the outbox dispatcher (``Dispatcher.drain``) when a row is due now.
Kick = Callable[[], Awaitable[Any]]


@runtime_checkable
class Channel(Protocol):
    """A messenger front door: its HTTP routes, its lifecycle, and how it sends one reply."""

    name: str
    #: Set by the app: wakes the outbox dispatcher when a fallback row is due now.
    kick: Kick | None

    def routes(self) -> list[BaseRoute]:
        """Routes to mount in the app (webhooks); empty when the channel receives otherwise (polling)."""
        ...

    async def start(self) -> None:
        """Open connections (and start polling where configured); called once by the app's lifespan."""
        ...

    async def stop(self) -> None:
        """Close what :meth:`start` opened."""
        ...

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Send one reply to one chat; returns the platform's message id."""
        ...


def combine(replies: Sequence[Reply]) -> Reply:
    """Several replies as one message: texts in order, every button in order, the first image.

    Used where one message must carry a whole turn (WeChat's single passive reply, a fallback row).
    """
    if len(replies) == 1:
        return replies[0]
    texts = [r.text for r in replies if r.text]
    buttons: tuple[Button, ...] = tuple(b for r in replies for b in r.buttons)
    image = next((r.image for r in replies if r.image), None)
    return Reply(text="\n\n".join(texts), buttons=buttons, image=image)


class ChatLocks:
    """One asyncio lock per chat: a chat's messages are answered, and their answers sent, in order."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, chat_id: str) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock


async def deliver(sender: Sender, db: Database, *, channel: str, chat_id: str, replies: Sequence[Reply],
                  key: str, now: datetime, kick: Kick | None = None) -> bool:
    """Send ``replies`` in order now; what fails goes to the outbox as one row. True when all went out."""
    for index, reply in enumerate(replies):
        try:
            await sender.send(chat_id, reply)
        except Exception as exc:  # anything: the customer's answer must not be lost
            retry_after = exc.retry_after if isinstance(exc, TransientSendError) else None
            reason = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("%s reply to chat …%s not sent now (%s); queued in the outbox", channel, chat_id[-4:],
                        reason if isinstance(exc, SendError) else type(exc).__name__)
            await asyncio.to_thread(enqueue_reply, db, channel=channel, chat_id=chat_id,
                                    reply=combine(replies[index:]), key=key,
                                    due=now + timedelta(seconds=retry_after or 0))
            if kick is not None and not retry_after:
                spawn(kick())
            return False
    return True


def enqueue_reply(db: Database, *, channel: str, chat_id: str, reply: Reply, key: str, due: datetime) -> bool:
    """Write an answer that could not go out at once as an outbox row (kind ``reply``, already recorded)."""
    with db.session() as session:
        conversation_id = session.scalar(select(Conversation.id).where(Conversation.channel == channel,
                                                                       Conversation.chat_id == chat_id))
        return queue.enqueue(session, key=f"reply:{channel}:{key}"[:160], channel=channel, chat_id=chat_id,
                             kind="reply", reply=reply, due_at=due, conversation_id=conversation_id,
                             essential=True, meta={"recorded": True})


_background: set[asyncio.Task[Any]] = set()


def spawn(awaitable: Awaitable[Any]) -> None:
    """Run ``awaitable`` in the background (finish work after answering a webhook), logging a failure.

    A reference is kept until it ends: the event loop itself keeps only weak ones.
    """
    async def run() -> None:
        try:
            await awaitable
        except Exception:
            log.exception("background channel task failed")

    task = asyncio.get_running_loop().create_task(run())
    _background.add(task)
    task.add_done_callback(_background.discard)


def unique_key() -> str:
    """A key for a fallback row when the platform gives no message id."""
    return uuid.uuid4().hex
