"""The dispatcher: claim due outbox rows, decide, send on their channel, settle — in batches.

One pass (:meth:`Dispatcher.drain`) repeats until nothing is due:

1. **claim** a batch (``queue.claim``) and, in the same transaction, read what the rules need: who
   holds each chat, who unsubscribed, the ticket's status;
2. **decide** each row (``rules.decide``): send, hold, or drop;
3. **send** the rows to send, concurrently (bounded), through the channel's sender; a transient failure
   is retried with back-off until ``max_attempts``, a permanent one fails at once;
4. **settle** in one transaction: rows sent get their history message (for the web chat that row *is*
   the delivery, so web delivery is exactly-once), delivery hooks run (an opened survey is noted in
   the chat's state), the rest are held, retried, dropped or failed.

A process that dies between 1 and 4 leaves its rows' leases to run out; the next pass claims them
again. External platforms may then receive a message twice in that one case (the send happened, the
record did not), which is the unavoidable edge of at-least-once delivery to an API without
idempotency keys; the web chat and terminal cannot.

The clock is injected (``now``), so tests and ``repairbot followups dispatch --now`` never sleep.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.outbox import queue
from bot.outbox.queue import Claimed
from bot.outbox.rules import DROP, HOLD, SEND, Decision, Facts, decide
from bot.outbox.senders import PermanentSendError, Sender, TransientSendError, local_senders
from bot.outbox.settings import OutboxSettings
from bot.store.db import Database
from bot.store.models import Conversation, Message, SurveyAnswer, Ticket

log = logging.getLogger(__name__)

#: Called in the settling transaction for each delivered row of a kind (e.g. "survey" opens a survey).
DeliveryHook = Callable[[Session, Claimed, datetime], None]


@dataclass
class DispatchStats:
    """What one pass did; the JSON of ``repairbot followups dispatch --json`` (contract keys first)."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    held: int = 0
    dropped: int = 0
    retried: int = 0

    def add(self, other: DispatchStats) -> None:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Result:
    """How sending one row went: sent (with the platform's id), retry later, or failed for good."""

    outcome: str  # "sent" | "retry" | "failed"
    external_id: str | None = None
    error: str | None = None
    retry_after: float | None = None


def default_worker_name() -> str:
    """host:pid:random — unique per dispatcher, readable in ``claimed_by``."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Dispatcher:
    """Sends what the outbox holds when it falls due. Safe to run in several processes at once."""

    def __init__(
        self,
        db: Database,
        *,
        config: dict[str, Any],
        senders: Mapping[str, Sender] | None = None,
        clock: Callable[[], datetime] | None = None,
        worker: str | None = None,
        hooks: Mapping[str, DeliveryHook] | None = None,
        on_delivered: Callable[[set[int]], None] | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.settings = OutboxSettings.from_config(config)
        self.tz = ZoneInfo(str(config.get("timezone") or "Asia/Shanghai"))
        self.senders: dict[str, Sender] = {**local_senders(), **dict(senders or {})}
        self.clock = clock or (lambda: datetime.now(self.tz))
        self.worker = worker or default_worker_name()
        if hooks is None:
            from bot.followups import delivery_hooks

            hooks = delivery_hooks()
        self.hooks = dict(hooks)
        self.on_delivered = on_delivered

    # -- the pass ----------------------------------------------------------------------------------------
    async def drain(self, now: datetime | None = None, *, max_batches: int | None = None) -> DispatchStats:
        """Dispatch everything due at ``now`` (default: the clock), batch after batch, until none is left."""
        now = now or self.clock()
        total = DispatchStats()
        batches = 0
        while max_batches is None or batches < max_batches:
            stats = await self.run_batch(now)
            total.add(stats)
            batches += 1
            if stats.claimed < self.settings.batch_size:
                break
        if total.claimed:
            log.info("outbox pass by %s: %s", self.worker, total.to_json())
        return total

    def drain_sync(self, now: datetime | None = None) -> DispatchStats:
        """:meth:`drain` for synchronous callers (the CLI, tests)."""
        return asyncio.run(self.drain(now))

    async def run_batch(self, now: datetime) -> DispatchStats:
        """Claim, decide, send and settle one batch."""
        claimed, facts = await asyncio.to_thread(self._claim, now)
        stats = DispatchStats(claimed=len(claimed))
        if not claimed:
            return stats
        decisions = {row.id: decide(facts[row.id], now, self.settings, self.tz) for row in claimed}
        results = await self._send_all([row for row in claimed if decisions[row.id].action == SEND])
        delivered = await asyncio.to_thread(self._settle, claimed, decisions, results, now, stats)
        if delivered and self.on_delivered is not None:
            self.on_delivered(delivered)
        return stats

    # -- 1. claim ----------------------------------------------------------------------------------------
    def _claim(self, now: datetime) -> tuple[list[Claimed], dict[int, Facts]]:
        with self.db.session() as session:
            claimed = queue.claim(session, now=now, limit=self.settings.batch_size, worker=self.worker,
                                  lease=timedelta(seconds=self.settings.lease_s), channels=sorted(self.senders))
            if not claimed:
                return [], {}
            conv_ids = {row.conversation_id for row in claimed if row.conversation_id is not None}
            ticket_ids = {row.ticket_id for row in claimed if row.ticket_id is not None}
            chats = {
                cid: (operator_id, unsubscribed_at)
                for cid, operator_id, unsubscribed_at in session.execute(
                    select(Conversation.id, Conversation.operator_id, Conversation.unsubscribed_at)
                    .where(Conversation.id.in_(conv_ids)))
            } if conv_ids else {}
            tickets = dict(session.execute(select(Ticket.id, Ticket.status).where(Ticket.id.in_(ticket_ids)))
                           .all()) if ticket_ids else {}
            nudged = {row.ticket_id for row in claimed if row.kind == "survey_nudge" and row.ticket_id is not None}
            answered = set(session.scalars(select(SurveyAnswer.ticket_id).where(
                SurveyAnswer.ticket_id.in_(nudged)).distinct())) if nudged else set()
        facts: dict[int, Facts] = {}
        for row in claimed:
            operator_id, unsubscribed_at = chats.get(row.conversation_id or -1, (None, None))
            facts[row.id] = Facts(kind=row.kind, essential=row.essential, expires_at=row.expires_at,
                                  unsubscribed=unsubscribed_at is not None,
                                  held_by_operator=operator_id is not None,
                                  ticket_status=tickets.get(row.ticket_id) if row.ticket_id is not None else None,
                                  survey_answered=row.ticket_id in answered)
        return claimed, facts

    # -- 3. send -----------------------------------------------------------------------------------------
    async def _send_all(self, rows: list[Claimed]) -> dict[int, _Result]:
        if not rows:
            return {}
        results: dict[int, _Result] = {}
        calls = []
        for row in rows:
            sender = self.senders[row.channel]
            if sender.records_only:  # nothing to call: the history row written when settling delivers it
                results[row.id] = _Result("sent")
            else:
                calls.append((row, sender))
        if calls:
            limit = asyncio.Semaphore(self.settings.send_concurrency)

            async def one(row: Claimed, sender: Sender) -> tuple[int, _Result]:
                async with limit:
                    return row.id, await self._send_one(sender, row)

            results.update(await asyncio.gather(*(one(row, sender) for row, sender in calls)))
        return results

    async def _send_one(self, sender: Sender, row: Claimed) -> _Result:
        try:
            external_id = await sender.send(row.chat_id, row.reply)
        except PermanentSendError as exc:
            return _Result("failed", error=f"permanent: {exc}"[:500])
        except TransientSendError as exc:
            return _Result("retry", error=f"transient: {exc}"[:500], retry_after=exc.retry_after)
        except Exception as exc:  # an unexpected bug in a sender must not stop the pass; retry it
            log.exception("sender for %s failed on outbox row %s", row.channel, row.id)
            return _Result("retry", error=f"{type(exc).__name__}: {exc}"[:500])
        return _Result("sent", external_id=None if external_id is None else str(external_id))

    # -- 4. settle ---------------------------------------------------------------------------------------
    def _settle(self, claimed: list[Claimed], decisions: dict[int, Decision], results: dict[int, _Result],
                now: datetime, stats: DispatchStats) -> set[int]:
        outcomes: list[tuple[int, str, datetime | None, str | None]] = []
        undo: list[int] = []
        sent_ids: list[int] = []
        external: dict[int, str | None] = {}
        for row in claimed:
            decision = decisions[row.id]
            if decision.action == HOLD:
                outcomes.append((row.id, "pending", decision.until, decision.reason))
                undo.append(row.id)
                stats.held += 1
            elif decision.action == DROP:
                outcomes.append((row.id, "dropped", None, decision.reason))
                stats.dropped += 1
            else:
                result = results[row.id]
                if result.outcome == "sent":
                    sent_ids.append(row.id)
                    external[row.id] = result.external_id
                elif result.outcome == "retry" and row.attempts < self.settings.max_attempts:
                    wait = result.retry_after if result.retry_after is not None else self.settings.backoff(row.attempts)
                    outcomes.append((row.id, "pending", now + timedelta(seconds=wait), result.error))
                    stats.retried += 1
                else:
                    outcomes.append((row.id, "failed", None, result.error))
                    stats.failed += 1
        by_id = {row.id: row for row in claimed}
        with self.db.session() as session:
            settled = queue.settle_sent(session, sent_ids, worker=self.worker, now=now, external_ids=external)
            delivered = [by_id[i] for i in sorted(settled)]
            self._record(session, delivered, external, now)
            for row in delivered:
                hook = self.hooks.get(row.kind)
                if hook is not None and row.conversation_id is not None:
                    hook(session, row, now)
            queue.settle(session, outcomes, worker=self.worker, undo_attempt=undo)
        stats.sent += len(delivered)
        lost = len(sent_ids) - len(delivered)
        if lost:  # our lease ran out mid-batch and someone else took those rows over
            log.warning("outbox: %d sent rows had been re-claimed by another dispatcher", lost)
        return {row.conversation_id for row in delivered if row.conversation_id is not None}

    @staticmethod
    def _record(session: Session, rows: list[Claimed], external: dict[int, str | None], now: datetime) -> None:
        """Each delivered row's text in the chat history, as the bot's or an operator's proactive message."""
        history = []
        for row in rows:
            # "recorded": the text is in the history already (an answer the engine stored in its turn).
            if row.conversation_id is None or row.meta.get("recorded"):
                continue
            reply = row.reply
            operator_id = row.meta.get("operator_id")
            history.append({
                "conversation_id": row.conversation_id, "direction": "out",
                "author": "operator" if operator_id is not None else "bot", "operator_id": operator_id,
                "text": reply.text, "buttons": [b.to_json() for b in reply.buttons] or None, "proactive": True,
                "erased": False, "channel_message_id": external.get(row.id), "created_at": now,
            })
        if history:
            # executemany (psycopg pipelines it): a multi-row VALUES would be compiled anew for every batch.
            session.execute(insert(Message.__table__), history)
