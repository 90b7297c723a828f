"""Database access: engine setup for SQLite and PostgreSQL, migrations, per-chat locking, de-duplication.

Public API:

- ``default_url() -> str``: ``DATABASE_URL`` if set, else ``sqlite:///<data_dir>/repairbot.sqlite3``
  (the directory is created). ``postgres://``/``postgresql://`` URLs use the psycopg 3 driver.
- ``Database(url)``: ``.engine``; ``.session()`` context manager (commits on success, rolls back on
  error); ``.session(readonly=True)`` for read-only work that should not take SQLite's write lock;
  ``.upgrade()`` runs Alembic to head; ``.revision()``; ``.dispose()``.
- ``load_conversation(session, channel, chat_id) -> LoadedConversation``: what the engine
  reads at the start of a turn, in one statement: the conversation row, locked as by ``lock_conversation``,
  with its latest ticket and that ticket's customer (both None when it has none).
- ``read_conversation(session, channel, chat_id) -> LoadedConversation | None``: the same without the lock
  or creating the chat.
- ``save_conversation(session, conversation, changes)``: the turn's one UPDATE of the conversation row.
- ``lock_conversation(session, channel, chat_id) -> Conversation``: creates or gets the row and holds
  the per-chat lock until the transaction ends. PostgreSQL: ``SELECT … FOR UPDATE`` on the row (so
  chats are serialised across processes, different chats run in parallel). SQLite allows one writer:
  every read-write transaction starts with ``BEGIN IMMEDIATE`` (engine event), so the lock is held from
  the first statement, and a busy timeout makes concurrent writers wait instead of failing. Within one
  process, write sessions also queue on a per-file lock, which hands over at once where SQLite's busy
  handler would sleep and poll.
- ``seen_message(session, channel, message_id) -> bool``: records the id; True when it was already
  recorded (a duplicate delivery). Backed by the primary key, so concurrent deliveries of the same id
  see exactly one False. Recorded in the caller's transaction: if handling fails and rolls back, a
  retry is processed again. ``forget_processed_before(session, cutoff)`` prunes old ids (channels
  retry for minutes to hours, never for weeks).
- ``dialect_insert(session, model)``: the dialect's INSERT construct (for ``ON CONFLICT``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Engine, and_, bindparam, create_engine, delete, event, func, inspect, select, update
from sqlalchemy import exc as sqlalchemy_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, aliased, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from bot.config import data_dir
from bot.store.checkpoints import BACKSTOP_PAGES, CHECKPOINTER
from bot.store.models import Conversation, Customer, ProcessedMessage, Ticket
from bot.store.types import utcnow

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_S = 30.0
_READONLY = "repairbot_readonly"
# PostgreSQL connections idle in the pool longer than this are pinged before use (a restarted server
# leaves dead ones behind). Busy connections are not: a ping is a round trip on every turn.
PING_IDLE_S = 10.0
DEFAULT_POOL_SIZE = 10


def default_url() -> str:
    """The database URL every command uses: ``DATABASE_URL`` or the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return normalise_url(url)
    directory = data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'repairbot.sqlite3'}"


def normalise_url(url: str) -> str:
    """Map the URL forms people paste (``postgres://``, ``postgresql://``) to the installed driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def safe_url(url: str) -> str:
    """The URL with any password hidden, fit for logs and ``db info``."""
    return make_url(url).render_as_string(hide_password=True)


def is_sqlite_file(database: str | None) -> bool:
    """Whether a SQLite URL's ``database`` names a file (not the in-memory database): only a file has
    a write-ahead log, a path other processes share, and checkpoints."""
    return bool(database) and database != ":memory:"


def _use_wal(cursor: Any) -> None:
    """Write-ahead logging, so readers never block the writer (a property of the file, kept once set)."""
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            # Switching needs the file to ourselves; a busy first start leaves it to the next connection.
            log.debug("could not switch SQLite to WAL yet: %s", exc)
    cursor.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe with WAL
    # Checkpoints run on a background thread (bot.store.checkpoints); a commit does one only as a backstop.
    cursor.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it to the first write).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if is_sqlite_file(engine.url.database):
            _use_wal(cursor)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get(_READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _ping_when_idle(engine: Engine, idle_s: float) -> None:
    """``pool_pre_ping``, but only for connections that sat in the pool longer than ``idle_s``.

    A ping is a round trip, and on a busy server every turn would pay it for a connection used a
    millisecond ago. A connection that died under load (server restart) fails its turn's first
    statement instead; SQLAlchemy then invalidates the whole pool and the engine retries that turn
    once on a fresh connection (``Engine.process``).
    """
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["repairbot_checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("repairbot_checked_in")
        if since is None or time.monotonic() - since < idle_s:
            return
        if not engine.dialect.do_ping(dbapi_connection):
            # The pool retries the checkout with a fresh connection.
            raise sqlalchemy_exc.DisconnectionError("connection idle in the pool is dead")


_writer_locks: dict[str, threading.RLock] = {}
_writer_locks_guard = threading.Lock()


def _sqlite_writer_lock(database: str | None) -> threading.RLock:
    """One lock per SQLite file in this process (re-entrant: a nested session must not hang here)."""
    key = os.path.abspath(database) if is_sqlite_file(database) else f":memory:{id(object())}"
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.RLock())


class Database:
    """One database (SQLite file or PostgreSQL) with its engine and session factory."""

    def __init__(self, url: str | None = None, *, echo: bool = False, pool_size: int | None = None,
                 **engine_kwargs: Any) -> None:
        """``pool_size``: PostgreSQL connections kept open (default 10); size it to the threads that
        use the database at once (``server.turn_workers`` plus the rest, see ``bot.app.open_database``)."""
        self.url = normalise_url(url) if url else default_url()
        parsed = make_url(self.url)
        # hide_parameters: a failing statement's error (which ends up in a log) must not print bound values;
        # a value that fails its bind processor is still plaintext there (a phone, an address, a message).
        kwargs: dict[str, Any] = {"echo": echo, "future": True, "hide_parameters": True}
        if parsed.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
            if parsed.database:
                os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
            if pool_size:  # a file database pools too (SQLAlchemy's default of 5 is too few for many threads)
                kwargs["pool_size"] = pool_size
        else:
            kwargs.update(pool_size=pool_size or DEFAULT_POOL_SIZE, max_overflow=20)
        kwargs.update(engine_kwargs)
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            _configure_sqlite(self.engine)
        elif not kwargs.get("pool_pre_ping"):
            _ping_when_idle(self.engine, PING_IDLE_S)
        # SQLite: writers of this process queue on a lock that wakes the next one at once; between
        # processes SQLite's busy handler (which sleeps and polls) still keeps them apart.
        self._writer_lock = _sqlite_writer_lock(parsed.database) if self.engine.dialect.name == "sqlite" else None
        # A file database's WAL checkpoints leave the turn path (bot.store.checkpoints); a Database that
        # is never disposed stops being checkpointed when it is garbage-collected.
        self._stop_checkpoints: Any = None
        if self.engine.dialect.name == "sqlite" and is_sqlite_file(parsed.database):
            CHECKPOINTER.add(parsed.database)
            self._stop_checkpoints = weakref.finalize(self, CHECKPOINTER.remove, parsed.database)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readonly_sessions = sessionmaker(
            self.engine.execution_options(**{_READONLY: True}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextlib.contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed when the block succeeds, rolled back on error.

        ``readonly=True`` skips SQLite's up-front write lock; nothing is committed.
        """
        factory = self._readonly_sessions if readonly else self._sessions
        writer = contextlib.nullcontext() if readonly or self._writer_lock is None else self._writer_lock
        with writer, factory() as session:
            try:
                yield session
                if readonly:
                    session.rollback()
                else:
                    session.commit()
            except BaseException:
                session.rollback()
                raise

    def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to ``revision`` (idempotent)."""
        from bot.store.migrate import upgrade

        upgrade(self.engine, revision)

    def revision(self) -> str | None:
        """The migration revision the database is at, or None when it was never migrated."""
        from bot.store.migrate import current_revision

        return current_revision(self.engine)

    def table_counts(self) -> dict[str, int]:
        """Row count of every application table that exists."""
        from bot.store.models import Base

        existing = set(inspect(self.engine).get_table_names())
        counts: dict[str, int] = {}
        with self.session(readonly=True) as session:
            for table in Base.metadata.sorted_tables:
                if table.name in existing:
                    counts[table.name] = session.scalar(select(func.count()).select_from(table)) or 0
        return counts

    def dispose(self) -> None:
        """Close pooled connections (and stop the background checkpoints of a SQLite file)."""
        if self._stop_checkpoints is not None:
            self._stop_checkpoints()
        self.engine.dispose()


def dialect_insert(session: Session, model: Any) -> Any:
    """``INSERT`` for ``model`` in the session's dialect, so ``.on_conflict_do_nothing(...)`` and
    ``.on_conflict_do_update(...)`` are available: both backends spell them alike, but each dialect has
    its own construct."""
    return insert_for(_dialect(session), model)


def insert_for(dialect: str, table: Any) -> Any:
    """:func:`dialect_insert` by dialect name, for statements built once per dialect and cached."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


@lru_cache(maxsize=8)
def _load_statement(dialect: str, lock: bool = True) -> Any:
    """Built once per dialect: conversation (locked on PostgreSQL with ``lock``) + latest ticket + its customer."""
    later = aliased(Ticket)
    latest = select(func.max(later.id)).where(later.conversation_id == Conversation.id).scalar_subquery()
    query = (
        select(Conversation, Ticket, Customer)
        .select_from(Conversation)
        .outerjoin(Ticket, and_(Ticket.conversation_id == Conversation.id, Ticket.id == latest))
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .where(Conversation.channel == bindparam("channel"), Conversation.chat_id == bindparam("chat_id"))
    )
    if lock and dialect == "postgresql":
        # Only the conversation row is the per-chat lock; tickets and customers are not locked here.
        query = query.with_for_update(of=Conversation)
    # populate_existing: the rows may have changed since this session last loaded them.
    return query.execution_options(populate_existing=True)


class LoadedConversation(NamedTuple):
    """What :func:`load_conversation` read. Hold on to it for the transaction: the session's identity
    map keeps objects only while something references them, and a forgotten customer is read again."""

    conversation: Conversation
    latest_ticket: Ticket | None
    customer: Customer | None


def load_conversation(session: Session, channel: str, chat_id: str) -> LoadedConversation:
    """Lock the chat (creating it on first contact) and load its latest ticket and that ticket's customer.

    One statement instead of three (conversation, ticket, customer): the engine's turn reads all of
    them, and on PostgreSQL each is a round trip. The customer lands in the session's identity map,
    so later ``session.get(Customer, id)`` and ``ticket.customer`` cost nothing. The lock is the same
    as :func:`lock_conversation`'s.
    """
    params = {"channel": channel, "chat_id": chat_id}
    statement = _load_statement(_dialect(session))
    row = session.execute(statement, params).one_or_none()
    if row is not None:
        return LoadedConversation(row[0], row[1], row[2])
    # First contact: the INSERT returns the new row (ours until commit: a concurrent first message
    # waits on its key). Only when another transaction inserted it first do we read it, locked.
    created = _insert_conversation(session, channel, chat_id)
    if created is not None:
        return LoadedConversation(created, None, None)
    row = session.execute(statement, params).one()
    return LoadedConversation(row[0], row[1], row[2])


def read_conversation(session: Session, channel: str, chat_id: str) -> LoadedConversation | None:
    """Like :func:`load_conversation` without the lock and without creating the chat (None when unknown):
    for reading a chat's TICKET view in one statement."""
    row = session.execute(_load_statement(_dialect(session), lock=False),
                          {"channel": channel, "chat_id": chat_id}).one_or_none()
    return LoadedConversation(row[0], row[1], row[2]) if row is not None else None


def _insert_conversation(session: Session, channel: str, chat_id: str) -> Conversation | None:
    """Insert the chat's row; the new object, or None when it existed already (inserted concurrently)."""
    now = utcnow()
    # A concurrent first message may insert the same chat: ON CONFLICT makes both end on one row.
    return session.scalars(
        dialect_insert(session, Conversation)
        .values(
            channel=channel, chat_id=chat_id, state={}, misunderstood_count=0, created_at=now, updated_at=now
        )
        .on_conflict_do_nothing(index_elements=["channel", "chat_id"])
        .returning(Conversation)
    ).one_or_none()


@lru_cache(maxsize=1)
def _conversation_update() -> Any:
    table = Conversation.__table__
    return update(table).where(table.c.id == bindparam("conversation_id"))


def save_conversation(session: Session, conversation: Conversation, changes: dict[str, Any]) -> None:
    """Write ``changes`` (column -> value) to the conversation row, as the turn's one UPDATE of it.

    When nothing else of the object is pending in the session, this is a Core UPDATE on the session's
    connection: an ORM flush costs about three times as much CPU for the same statement, on every turn.
    The object is then told the new values are what the row holds. Otherwise (an effect changed the
    conversation too, or the row has no row key yet) the values go through the ORM, flushed with the
    rest in one UPDATE. Encrypted values are bound to the row either way (``bot.privacy.binding``).
    """
    state = inspect(conversation)
    if state.modified or conversation.row_key is None:
        for key, value in changes.items():
            setattr(conversation, key, value)
        return
    now = utcnow()
    session.connection().execute(
        _conversation_update(),
        {**changes, "updated_at": now, "row_key": conversation.row_key, "conversation_id": conversation.id},
    )
    for key, value in {**changes, "updated_at": now}.items():
        set_committed_value(conversation, key, value)


def lock_conversation(session: Session, channel: str, chat_id: str) -> Conversation:
    """Create or get the conversation for (channel, chat_id) and lock it until the transaction ends."""
    query = select(Conversation).where(Conversation.channel == channel, Conversation.chat_id == chat_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    # populate_existing: the row may have changed since this session last loaded it.
    query = query.execution_options(populate_existing=True)
    conversation = session.scalars(query).one_or_none()
    if conversation is not None:  # the usual case: no write needed to take the lock
        return conversation
    _insert_conversation(session, channel, chat_id)
    return session.scalars(query).one()


@lru_cache(maxsize=4)
def _seen_statement(dialect: str) -> Any:
    """Built once per dialect (building the expression costs more than running it)."""
    table = ProcessedMessage.__table__
    return (
        insert_for(dialect, table)
        .values(channel=bindparam("channel"), message_id=bindparam("message_id"), at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["channel", "message_id"])
        # RETURNING, not rowcount: not every driver reports a reliable rowcount for ON CONFLICT.
        .returning(table.c.message_id)
    )


def seen_message(session: Session, channel: str, message_id: str) -> bool:
    """Record an inbound message id; True if (channel, message_id) was recorded before."""
    # Core on the session's connection (same transaction): the row has no ORM object to keep.
    inserted = session.connection().execute(
        _seen_statement(_dialect(session)), {"channel": channel, "message_id": message_id, "at": utcnow()}
    ).first()
    return inserted is None


def forget_processed_before(session: Session, cutoff: datetime) -> int:
    """Delete de-duplication records older than ``cutoff``; returns how many were removed."""
    result = session.execute(
        delete(ProcessedMessage).where(ProcessedMessage.at < cutoff).execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
