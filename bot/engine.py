"""The engine: one customer message in, the bot's replies out — the same for every channel.

For each :class:`~bot.messages.InboundMessage`, in ONE database transaction:

1. drop a duplicate delivery by (channel, message_id) (Telegram and WeChat retry);
2. lock the conversation row (per-chat serialisation, across processes on PostgreSQL) and store the
   inbound text (encrypted at rest);
3. if an operator holds the chat: stop — the operator answers through the console;
4. clean the text (control characters, length cap), ``nlu.parse(text, expecting=...)``;
5. ``dialogs.step`` → apply its effects (ticket, booking, hand-off, erasure) → persist the new state;
   if the chosen window filled up meanwhile, the turn's effects roll back to a savepoint and
   ``dialogs.slot_taken`` answers instead;
6. store the replies and return them with the TICKET view of the web chat contract.

``Engine.process`` is synchronous (the CLI and benchmarks call it directly); ``Engine.respond`` and
``Engine.handle`` are the asyncio front: they serialise messages of one chat in this process and run
the database work on the engine's own pool of ``server.turn_workers`` threads (config.yml), so the
event loop never blocks and turns never queue behind other blocking work for threads.

A usual turn costs few statements (the tests pin how many): the dedupe INSERT, one SELECT for the
locked conversation with its latest ticket and customer, the turn's writes, and one INSERT for the
inbound message and the replies.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy import text as sql_text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

import dialogs
from bot import attachments
from bot.config import load_config
from bot.effects import EffectApplier, SlotUnavailable
from bot.messages import InboundMessage, Reply
from bot.services import DbServices, catalog_from_config
from bot.store.db import (
    Database,
    load_conversation,
    lock_conversation,
    read_conversation,
    save_conversation,
    seen_message,
)
from bot.store.models import Conversation, Message, Ticket
from bot.text_guard import MAX_MESSAGE_CHARS, clean_text, storable
from bot.ticket_view import ticket_json
from dialogs import ConversationState
from dialogs.texts import say
from nlu.types import Parse

if TYPE_CHECKING:
    from bot.turn_processes import TurnProcesses

log = logging.getLogger(__name__)

Parser = Callable[..., Parse]
BOOKING_EFFECTS = (dialogs.BookSlot, dialogs.Reschedule)
# Conversation-state key listing inbound message ids already stored by a failed turn: their retry is
# processed but not stored a second time. Kept in the row the turn locks and reads anyway, so the
# usual turn pays no extra query for it.
KEPT_AFTER_FAILURE = "kept_after_failure"
DEFAULT_TURN_WORKERS = 4


def turn_workers(config: dict[str, Any]) -> int:
    """config.yml ``server.turn_workers``: threads running turns at once in one process (default 4).

    On a couple of cores more threads do not make turns faster: Python runs one of them at a time
    (the GIL), and each extra thread is one more waiting to get it back after every database round
    trip. A few are enough to overlap one turn's round trips with another's work.
    """
    value = int(((config.get("server") or {}).get("turn_workers")) or DEFAULT_TURN_WORKERS)
    if value < 1:
        raise ValueError("server.turn_workers must be at least 1")
    return value


@dataclass
class Outcome:
    """What one message produced: the replies and the conversation's ticket (contract form)."""

    replies: list[Reply] = field(default_factory=list)
    ticket: dict[str, Any] | None = None
    duplicate: bool = False

    def to_json(self) -> dict[str, Any]:
        """``{"replies": [...], "ticket": TICKET | null}`` exactly as the web chat API returns it."""
        return {"replies": [r.to_json() for r in self.replies], "ticket": self.ticket}


@functools.cache
def _message_insert() -> Any:
    """Built once: the INSERT of a turn's messages."""
    return insert(Message.__table__)


def nlu_parser(config: dict[str, Any]) -> Parser:
    """The NLU reading with THIS config's brands, products and time words (engines are shared per config)."""
    import os

    from nlu import NluSettings, build_engine

    return build_engine(NluSettings.from_config(config, os.environ)).parse


class Engine:
    """Handles inbound messages for every channel over one database."""

    def __init__(self, db: Database, *, nlu: Parser | None = None, clock: Callable[[], datetime] | None = None,
                 config: dict[str, Any] | None = None) -> None:
        self.db = db
        self.config = config if config is not None else load_config()
        self.tz = ZoneInfo(str(self.config.get("timezone") or "Asia/Shanghai"))
        self._nlu = nlu
        # Worker processes build their own engine from the config: only the stock clock and NLU go there.
        self._stock_parts = clock is None and nlu is None
        self.clock = clock or (lambda: datetime.now(self.tz))
        self.catalog = catalog_from_config(self.config)
        self.max_chars = int((self.config.get("dialog") or {}).get("max_message_chars", MAX_MESSAGE_CHARS))
        from bot.evidence.settings import EvidenceSettings

        self.photo_limit_mb = EvidenceSettings.from_config(self.config).max_megabytes
        self._chat_locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()
        self.turn_workers = turn_workers(self.config)
        self._executor: ThreadPoolExecutor | None = None
        self._executor_guard = threading.Lock()
        self._processes: TurnProcesses | None = None
        # No writer lock here: on SQLite, Database.session already queues this process's writers on one
        # lock per file (cheaper than spinning on SQLite's busy timeout).

    @property
    def nlu(self) -> Parser:
        if self._nlu is None:
            self._nlu = nlu_parser(self.config)
        return self._nlu

    # -- async front -------------------------------------------------------------------------------------
    async def respond(self, msg: InboundMessage) -> Outcome:
        """Process ``msg`` off the event loop, one message at a time per chat."""
        key = (msg.channel, msg.chat_id)
        lock = self._chat_locks.get(key)
        if lock is None:
            lock = self._chat_locks[key] = asyncio.Lock()
        async with lock:
            processes = self._processes
            if processes is not None:
                try:
                    return await processes.run(msg)
                except BrokenProcessPool:
                    self._lose_processes(processes)
            # Like asyncio.to_thread (context variables included), on the engine's own workers.
            call = functools.partial(contextvars.copy_context().run, self.process, msg)
            return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    def start_turn_processes(self, count: int | None = None) -> int:
        """Run turns on worker processes (``server.turn_processes``, see :mod:`bot.turn_processes`).

        ``count`` overrides the config. Returns how many started: 0 on SQLite by default, and 0 for an
        engine given its own clock or NLU (a worker could not have them).
        """
        from bot.turn_processes import TurnProcesses, turn_processes

        wanted = turn_processes(self.config, self.db.dialect) if count is None else count
        if wanted < 1 or self._processes is not None:
            return self._processes.count if self._processes is not None else 0
        if not self._stock_parts:
            log.warning("turn processes not started: this engine has its own clock or NLU")
            return 0
        from bot.privacy.keys import keyring

        keyring()  # the key file exists before the workers look for it (a fresh data directory)
        processes = TurnProcesses(self.db.url, self.config, wanted)
        try:
            processes.start()
        except BrokenProcessPool:
            # A worker died while loading (out of memory, a script without a __main__ guard): serve on.
            log.exception("turn worker processes could not start; turns run on this process's threads")
            processes.close()
            return 0
        self._processes = processes
        log.info("customer turns run on %d worker processes", wanted)
        return wanted

    @property
    def turn_process_count(self) -> int:
        """Worker processes running turns now (0: turns run on this process's threads)."""
        return self._processes.count if self._processes is not None else 0

    def _lose_processes(self, processes: TurnProcesses) -> None:
        if self._processes is processes:
            self._processes = None
            log.error("a turn worker process died; turns run in the serving process from now on")
            processes.close(wait=False)  # on the event loop: do not wait for the pool to wind down

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The threads that run turns (``server.turn_workers``), created on first use."""
        if self._executor is None:
            with self._executor_guard:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(self.turn_workers, thread_name_prefix="turn")
        return self._executor

    def close(self) -> None:
        """Stop the turn workers and processes (after the app stopped sending messages)."""
        if self._processes is not None:
            self._processes.close()
            self._processes = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def handle(self, msg: InboundMessage) -> list[Reply]:
        """The replies to ``msg`` (what channel adapters send back)."""
        return (await self.respond(msg)).replies

    # -- the turn ----------------------------------------------------------------------------------------
    def process(self, msg: InboundMessage) -> Outcome:
        """Handle one message synchronously; never loses it (see module docstring)."""
        text = storable(msg.text)
        if text != msg.text:
            msg = dataclasses.replace(msg, text=text)
        try:
            try:
                return self._process(msg)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                # The connection died under us (a restarted server): the pool has been emptied and the
                # turn rolled back whole, so it runs once more on a fresh connection.
                log.warning("database connection lost; retrying %s message in chat %s", msg.channel, msg.chat_id)
                return self._process(msg)
        except Exception:
            log.exception("failed to handle %s message %s in chat %s", msg.channel, msg.message_id, msg.chat_id)
            return self._keep_after_failure(msg)

    def _process(self, msg: InboundMessage) -> Outcome:
        now = self.clock()
        cleaned = clean_text(msg.text, self.max_chars)
        with self.db.session() as session:
            if seen_message(session, msg.channel, msg.message_id):
                return Outcome(ticket=self.view(session, msg.channel, msg.chat_id), duplicate=True)
            loaded = load_conversation(session, msg.channel, msg.chat_id)  # kept: see LoadedConversation
            conv, latest = loaded.conversation, loaded.latest_ticket
            kept: list[str] = list((conv.state or {}).get(KEPT_AFTER_FAILURE) or [])
            state = ConversationState.from_json(conv.state)
            ticket = self._state_ticket(session, state, latest)
            erased = False
            # Photos, refused files and shared locations: adapters did the platform work, see bot.attachments.
            attached = (attachments.receive(msg.attachments, max_megabytes=self.photo_limit_mb)
                        if msg.attachments else None)
            visits: dict[int, Any] = {}
            changes: dict[str, Any] = {}  # of the conversation row, written once at the end
            if conv.operator_id is not None:
                replies, shown = [], ticket
            elif not cleaned.text:
                replies = list(attached.replies) if attached else [Reply(say("empty_message"))]
                shown = ticket
            else:
                replies, shown, erased, visits, changes = self._turn(session, conv, state, ticket, cleaned.text,
                                                                     now)
                if attached is not None and not erased:
                    replies[:0] = attached.replies
                if cleaned.truncated:
                    replies.insert(0, Reply(say("too_long", chars=cleaned.original_chars, limit=self.max_chars)))
            changes["last_message_at"] = now
            if kept:
                changes["state"] = self._forget_kept(changes.get("state", conv.state), kept, msg.message_id)
            save_conversation(session, conv, changes)
            if attached is not None and not erased:
                attachments.link(session, conv.id, shown.id if shown is not None else None, attached.photo_ids)
            if ticket is None and shown is not None and not erased:
                attachments.adopt(session, conv.id, shown.id)  # photos sent before the ticket existed
            # The chat's current ticket, else the one the turn last changed, else its latest (loaded above).
            view = ticket_json(session, shown if shown is not None else latest, self.tz, known_visits=visits)
            self._store_messages(session, conv, msg, replies, erased, now, inbound_stored=msg.message_id in kept,
                                 note=attached.description if attached is not None else "")
            return Outcome(replies=replies, ticket=view)

    @staticmethod
    def _forget_kept(state: dict[str, Any] | None, kept: list[str], message_id: str) -> dict[str, Any]:
        """The stored ``state`` carrying the failed turns' message ids, minus the one handled now."""
        remaining = [k for k in kept if k != message_id]
        rest = {k: v for k, v in (state or {}).items() if k != KEPT_AFTER_FAILURE}
        return {**rest, KEPT_AFTER_FAILURE: remaining} if remaining else rest

    @staticmethod
    def _store_messages(session: Session, conv: Conversation, msg: InboundMessage, replies: list[Reply],
                        erased: bool, now: datetime, *, inbound_stored: bool = False, note: str = "") -> None:
        """The inbound text and the replies in one statement (cheaper than ORM objects on every turn).

        When this very turn erased the customer's data, the inbound text is not kept either. A retry of
        a message that a failed turn already stored (``inbound_stored``) adds only the replies. ``note``
        says what came with the text ("[图片]"), so the history shows that a photo was sent. ``now`` is the
        engine's clock, as for the ticket and the conversation (one timeline under ``--now``).
        """
        text = "\n".join(part for part in (msg.text, note) if part) if note else msg.text
        rows = [] if inbound_stored else [
            {"conversation_id": conv.id, "direction": "in", "author": "customer", "text": None if erased else text,
             "buttons": None, "erased": erased, "channel_message_id": msg.message_id, "created_at": now}]
        rows += [{"conversation_id": conv.id, "direction": "out", "author": "bot", "text": r.text,
                  "buttons": [b.to_json() for b in r.buttons] or None, "erased": False,
                  "channel_message_id": None, "created_at": now} for r in replies]
        if not rows:
            return
        # Core on the session's connection (same transaction, encrypted the same way: bot.privacy.binding),
        # one executemany: half the cost of the ORM's bulk INSERT, and no objects are needed afterwards.
        session.connection().execute(_message_insert(), rows)

    @staticmethod
    def _state_ticket(session: Session, state: ConversationState, latest: Ticket | None) -> Ticket | None:
        """The state's current ticket: usually the latest one, loaded with the conversation."""
        if state.ticket_id is None:
            return None
        if latest is not None and latest.id == state.ticket_id:
            return latest
        return session.get(Ticket, state.ticket_id)

    def _turn(self, session: Session, conv: Conversation, state: ConversationState, ticket: Ticket | None,
              text: str, now: datetime
              ) -> tuple[list[Reply], Ticket | None, bool, dict[int, Any], dict[str, Any]]:
        """Run NLU, the dialog step and its effects: (replies, ticket to show, erased, visits, changes).

        ``visits``: the confirmed visits the step read, by ticket id, when the step changed nothing they
        depend on (no effects), or the visits its effects booked: the TICKET view reuses them. ``changes``: the conversation's new state
        columns, for :func:`bot.store.db.save_conversation`.
        """
        parse = self.nlu(text, expecting=state.expecting, now=now)
        services = DbServices(session, self.config, self.catalog)
        step = dialogs.step(state, parse, services, now)
        applier = EffectApplier(session, conv, ticket, self.config, now)
        try:
            if any(isinstance(e, BOOKING_EFFECTS) for e in step.effects):
                # A savepoint only where a booking may fail and the turn's other effects must go too.
                with session.begin_nested():
                    applier.apply(step.effects)
            else:
                applier.apply(step.effects)
        except SlotUnavailable:
            # Someone else took the window between offer and press: nothing of that turn stays.
            services.visits.clear()  # read before the rollback
            step = dialogs.slot_taken(state, services, now)
            applier = EffectApplier(session, conv, ticket, self.config, now)
            applier.apply(step.effects)
        new_state = step.state
        # Customer words stay out of the logs (they carry names and addresses): only what was decided.
        log.info("conversation %s: intent=%s stage=%s->%s effects=%s", conv.id, parse.intent, state.stage,
                 new_state.stage, [type(e).__name__ for e in step.effects])
        new_state.ticket_id = applier.ticket.id if applier.ticket is not None else None
        changes = {"state": new_state.to_json(), "expecting": new_state.expecting,
                   "misunderstood_count": new_state.misunderstood}
        erased = any(isinstance(e, dialogs.EraseCustomer) for e in step.effects)
        # Visits still as read (no effects), or as booked by these effects: the TICKET view reuses them.
        visits = services.visits if not step.effects else ({} if erased else dict(applier.booked))
        return list(step.replies), applier.ticket or applier.touched, erased, visits, changes

    def _keep_after_failure(self, msg: InboundMessage) -> Outcome:
        """Something broke: keep the customer's words and apologise.

        A retry of the same id is processed normally, but its words are not stored twice (see
        :data:`KEPT_AFTER_FAILURE`).
        """
        try:
            now = self.clock()
            with self.db.session() as session:
                conv = lock_conversation(session, msg.channel, msg.chat_id)
                kept = list((conv.state or {}).get(KEPT_AFTER_FAILURE) or [])
                if msg.message_id not in kept:
                    session.add(Message(conversation_id=conv.id, direction="in", author="customer", text=msg.text,
                                        channel_message_id=msg.message_id, created_at=now))
                    # A handful is plenty: retries come within minutes, not after dozens of failures.
                    conv.state = {**(conv.state or {}), KEPT_AFTER_FAILURE: (kept + [msg.message_id])[-20:]}
                session.add(Message(conversation_id=conv.id, direction="out", text=say("internal_error"), created_at=now))
        except Exception:
            log.exception("could not even store the message")
            # Do not claim we have it: the customer must send it again (a retry of the id is processed).
            return Outcome(replies=[Reply(say("internal_error_not_kept"))])
        return Outcome(replies=[Reply(say("internal_error"))])

    def warm_up(self) -> None:
        """Load the NLU model, gazetteer and service areas now, not on the first customer's message.

        Then move everything loaded so far out of the garbage collector's reach (``gc.freeze``): those
        hundreds of thousands of long-lived objects would otherwise make every full collection a
        ~100 ms pause in the middle of some customer's turn.
        """
        import gc

        import regions
        from regions.place import Place

        self.nlu("我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678", expecting=None, now=self.clock())
        regions.covers("丹斯提尼", Place("410825", "河南省", "焦作市", "温县"))
        regions.towns_of("441900")
        with self.db.session(readonly=True) as session:
            DbServices(session, self.config, self.catalog).offers(
                brand="丹斯提尼", product="safe", place=Place("410825", "河南省", "焦作市", "温县"),
                after=self.clock(), prefer=None)
        gc.collect()
        gc.freeze()

    def check_database(self) -> None:
        """Raise if the database cannot answer a trivial query (for health checks)."""
        with self.db.session(readonly=True) as session:
            session.execute(sql_text("SELECT 1"))

    # -- reading -----------------------------------------------------------------------------------------
    def ticket_for(self, channel: str, chat_id: str) -> dict[str, Any] | None:
        """The TICKET view for a chat (None when it has none)."""
        with self.db.session(readonly=True) as session:
            return self.view(session, channel, chat_id)

    def view(self, session: Session, channel: str, chat_id: str) -> dict[str, Any] | None:
        """The TICKET view of a chat, read without locking it (a duplicate delivery, a status query)."""
        loaded = read_conversation(session, channel, chat_id)  # kept: see LoadedConversation
        if loaded is None:
            return None
        state = ConversationState.from_json(loaded.conversation.state)
        ticket = self._state_ticket(session, state, loaded.latest_ticket)
        return ticket_json(session, ticket if ticket is not None else loaded.latest_ticket, self.tz)
