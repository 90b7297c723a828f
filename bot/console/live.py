"""The live queue: one watcher per process, server-sent events to every open console page.

Every ``console.live_interval_s`` while at least one page listens, the watcher (in a worker thread):

1. marks the listening operators as seen (that is what "online" means for assignment);
2. assigns waiting escalations to online operators (bot/console/assignment.py);
3. reads a cheap fingerprint of the queue and of each watched chat.

When a fingerprint changes, listeners get an event (``queue``, or ``chat`` for the conversation their
page shows) and fetch the fresh fragment. Escalations made by another process (a second
``repairbot serve``, a CLI) are seen the same way, since the fingerprints are read from the database.
One watcher serves any number of pages, so the database sees one small query per interval, not one
per operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.console import assignment
from bot.console.services import conversation_version, queue_version
from bot.console.settings import ConsoleSettings
from bot.store.db import Database

log = logging.getLogger(__name__)
KEEPALIVE_S = 15.0
#: A stream ends after this long and the browser reconnects (EventSource does so by itself): a server
#: shutting down waits for open responses, and would otherwise wait for every open console page.
STREAM_S = 30.0
#: Refresh ``last_seen_at`` this often (a write); the online window is several times longer.
TOUCH_S = 10.0


@dataclass(eq=False)
class Listener:
    """One open page: whose it is, the chat it shows (if any), and its event queue."""

    operator_id: int
    conversation_id: int | None
    events: asyncio.Queue[tuple[str, dict[str, Any]]] = field(default_factory=asyncio.Queue)


class LiveHub:
    """Watches the database for queue changes while anyone listens, and tells the listeners."""

    def __init__(self, db: Database, settings: ConsoleSettings, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None
        self._queue_version: Any = None
        self._chat_versions: dict[int, Any] = {}
        self._last_touch = 0.0

    def tick(self, operator_ids: set[int], watched: set[int], *, touch: bool) -> tuple[Any, dict[int, Any]]:
        """One look at the database (sync; the loop runs it in a thread). Returns the fingerprints."""
        now = self.clock()
        with self.db.session(readonly=True) as session:
            waiting = bool(assignment.waiting_unassigned(session, now))
            versions = queue_version(session), {cid: conversation_version(session, cid) for cid in watched}
        # A write transaction only when there is something to write (SQLite has one writer for everyone).
        if touch or waiting:
            with self.db.session() as session:
                if touch:
                    assignment.touch(session, operator_ids, now)
                if waiting and assignment.assign_waiting(session, now, self.settings.online_window_s):
                    versions = (None, versions[1])  # the queue changed: listeners look again
        return versions

    async def stream(self, listener: Listener) -> AsyncIterator[str]:
        """The text/event-stream of one page, until the page goes away."""
        self.listeners.add(listener)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_S
        try:
            yield "retry: 1000\n\n"
            while (left := ends - loop.time()) > 0:
                try:
                    name, data = await asyncio.wait_for(listener.events.get(), min(KEEPALIVE_S, left))
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: {name}\ndata: {json.dumps(data)}\n\n"
        finally:
            self.listeners.discard(listener)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.listeners:
            operators = {entry.operator_id for entry in self.listeners}
            watched = {entry.conversation_id for entry in self.listeners if entry.conversation_id is not None}
            touch = loop.time() - self._last_touch >= TOUCH_S
            try:
                version, chats = await asyncio.to_thread(self.tick, operators, watched, touch=touch)
            except Exception:  # a database hiccup must not end the live queue for everyone
                log.exception("console live watcher: tick failed; trying again")
                await asyncio.sleep(self.settings.live_interval_s)
                continue
            if touch:
                self._last_touch = loop.time()
            self._publish(version, chats)
            await asyncio.sleep(self.settings.live_interval_s)
        self._task = None

    def _publish(self, version: Any, chats: dict[int, Any]) -> None:
        queue_changed = version != self._queue_version
        self._queue_version = version
        changed_chats = {cid for cid, v in chats.items() if self._chat_versions.get(cid) != v}
        self._chat_versions = {**self._chat_versions, **chats}
        for entry in list(self.listeners):
            if queue_changed:
                entry.events.put_nowait(("queue", {}))
            if entry.conversation_id in changed_chats:
                entry.events.put_nowait(("chat", {"conversation": entry.conversation_id}))

    async def close(self) -> None:
        """Stop watching (app shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
