"""What the console's views share at run time: database, clock, settings, live hub, dispatcher.

Views run service functions through :meth:`Console.call`, in a worker thread and one transaction, so
the event loop never waits on the database and a refused action (:class:`ConsoleError`) changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bot.console.live import LiveHub
from bot.console.services import Context
from bot.console.settings import ConsoleSettings
from bot.outbox.dispatcher import Dispatcher
from bot.store.db import Database

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Console:
    """The console's shared state (one per app)."""

    db: Database
    ctx: Context
    clock: Callable[[], datetime]
    hub: LiveHub
    dispatcher: Dispatcher | None

    @property
    def settings(self) -> ConsoleSettings:
        return self.ctx.settings

    @property
    def config(self) -> dict[str, Any]:
        return self.ctx.config

    async def call(self, fn: Callable[[Session], T], *, write: bool = True) -> T:
        """Run ``fn(session)`` off the event loop in one transaction (read-only when ``write`` is False)."""

        def run() -> T:
            with self.db.session(readonly=not write) as session:
                return fn(session)

        return await asyncio.to_thread(run)

    async def deliver(self) -> None:
        """Send what is due now (an operator's reply) instead of waiting for the next scheduled pass."""
        if self.dispatcher is None:
            return
        try:
            await self.dispatcher.drain()
        except Exception:  # the scheduled pass sends it later; the reply is safe in the outbox
            log.exception("console: immediate delivery failed; the scheduled dispatch will retry")
