"""The database schema as SQLAlchemy 2 typed models.

Portable to SQLite and PostgreSQL: JSON columns, timezone-aware datetimes stored in UTC
(:class:`bot.store.types.UTCDateTime`), ciphertext in ``LargeBinary`` columns
(:class:`bot.privacy.EncryptedString`). Constraint names follow :data:`NAMING_CONVENTION`, so
migrations can refer to them on both backends. The Alembic migrations in
``bot/store/migrations/versions`` create exactly this schema (a test compares the two).

Personal data: ``Customer.phone/name/address``, ``Ticket.address``, ``Technician.phone``, ``Message.text``,
``Conversation.state``, ``Message.buttons``, ``OutboxMessage.payload``, ``Ticket.visit_notes`` and
``SurveyAnswer.comment`` and ``ConsoleNote.text`` are encrypted; ``Customer.phone_hash`` (keyed HMAC of the normalised phone)
finds a customer by phone.
Every table with encrypted columns has a ``row_key`` (:class:`bot.privacy.RowKeyed`):
each ciphertext is bound to its table, column and row key, so it cannot be moved to another row.

Status vocabularies are the tuples below; CHECK constraints keep the database honest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.privacy import EncryptedJSON, EncryptedString, EncryptedText, RowKeyed
from bot.store.types import UTCDateTime, utcnow

TICKET_STATUSES = ("collecting", "out_of_area", "escalated", "booked", "visited", "closed", "cancelled")
BOOKING_STATUSES = ("confirmed", "cancelled", "rescheduled", "done")
# pending: waiting for its moment; sending: claimed by a dispatcher whose lease runs until available_at;
# sent; failed (gave up, or refused by the platform: operators see it); cancelled (plans changed);
# dropped (its moment passed, or the customer unsubscribed from non-essential messages).
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "cancelled", "dropped")
DIRECTIONS = ("in", "out")
AUTHORS = ("customer", "bot", "operator")
# Where a technician row comes from: config.yml, the generated demo roster, or `technicians import`.
TECHNICIAN_SOURCES = ("config", "demo", "import")
# A slot is a visit window, or an urgent same-day visit (start = departure, end = latest arrival).
SLOT_KINDS = ("window", "urgent")
OPERATOR_ROLES = ("operator", "manager", "admin")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base: shared metadata with a naming convention and the portable type map."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class Customer(RowKeyed, Base):
    """A person who reported a fault. Personal fields are encrypted; ``erased_at`` marks erasure."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(EncryptedString())
    address: Mapped[str | None] = mapped_column(EncryptedString())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]

    tickets: Mapped[list[Ticket]] = relationship(back_populates="customer")


class Operator(Base):
    """A console account: an operator who takes over chats, a manager who reads feedback, or an admin.

    ``role`` decides what the console shows (bot/console/auth.py). ``last_seen_at`` is refreshed while
    the person has a console page open, which is what "online" means for assignment;
    ``last_assigned_at`` orders the round-robin.
    """

    __tablename__ = "operator"
    __table_args__ = (CheckConstraint(_in("role", OPERATOR_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    role: Mapped[str] = mapped_column(String(16), default="operator", server_default="operator")
    last_seen_at: Mapped[datetime | None]
    last_assigned_at: Mapped[datetime | None]


class Conversation(RowKeyed, Base):
    """One chat on one channel. The engine locks this row per message (``db.lock_conversation``).

    ``state`` is the dialog's JSON state (encrypted: it holds the phone and place), ``expecting`` the slot the bot last asked for, and
    ``operator_id`` the operator holding the chat (None while the bot answers).
    """

    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    expecting: Mapped[str | None] = mapped_column(String(16))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    held_at: Mapped[datetime | None]
    misunderstood_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_message_at: Mapped[datetime | None]
    # 退订: the customer stopped non-essential messages (surveys, nudges, maintenance); 订阅 clears it.
    unsubscribed_at: Mapped[datetime | None]
    # Console: who is responsible for the chat (assigned, not necessarily holding it), a snooze that
    # hides it from the queue until then (or until the customer writes), and who handled it last
    # (a returning customer goes back to that operator: 客户专属顾问).
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"), index=True)
    assigned_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    snoozed_at: Mapped[datetime | None]
    last_operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))

    customer: Mapped[Customer | None] = relationship()
    operator: Mapped[Operator | None] = relationship(foreign_keys=[operator_id])
    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.id")
    tickets: Mapped[list[Ticket]] = relationship(back_populates="conversation", order_by="Ticket.id")

    @property
    def held_by(self) -> int | None:
        """The operator id holding the chat, or None."""
        return self.operator_id


class Message(RowKeyed, Base):
    """A message in or out, text encrypted (customers type phone numbers and addresses).

    ``author`` tells the bot's words from an operator's; ``proactive`` marks what was sent on the
    bot's or an operator's initiative (through the outbox) rather than as the answer to a message:
    the web chat fetches those as updates. ``buttons`` are the choices shown with an outgoing text.
    """

    __tablename__ = "message"
    __table_args__ = (
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint(_in("author", AUTHORS), name="author"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    author: Mapped[str] = mapped_column(String(16), default="bot", server_default="bot")
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    text: Mapped[str | None] = mapped_column(EncryptedText())
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(EncryptedJSON())
    proactive: Mapped[bool] = mapped_column(default=False, server_default=false())
    channel_message_id: Mapped[str | None] = mapped_column(String(128))
    erased: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class ProcessedMessage(Base):
    """(channel, message_id) of every inbound message handled: duplicates hit the primary key."""

    __tablename__ = "processed_message"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Ticket(RowKeyed, Base):
    """One repair request. Brand/product/fault/region carry no personal data and survive erasure."""

    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint(_in("status", TICKET_STATUSES), name="status"),
        Index("ix_ticket_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="collecting")
    brand: Mapped[str | None] = mapped_column(String(32))
    product: Mapped[str | None] = mapped_column(String(16))
    fault: Mapped[str | None] = mapped_column(String(32))
    adcode: Mapped[str | None] = mapped_column(String(6))
    town: Mapped[str | None] = mapped_column(String(64))
    covered: Mapped[bool | None]
    escalation_reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    # The visit, as the technician reported it (`repairbot visit done`): when, notes, and the
    # post-repair check (维修后性能检测) as {item: value} with the items from config.yml.
    visited_at: Mapped[datetime | None]
    visit_notes: Mapped[str | None] = mapped_column(EncryptedText())
    visit_check: Mapped[dict[str, Any] | None] = mapped_column(JSON())
    # Intake a technician can act on, and what operators must see at once (migration 0003).
    # ``address``: street, 小区, building and door below the county, encrypted; shown whole to operators
    # and technicians, masked to the customer. Erased with the customer's data.
    address: Mapped[str | None] = mapped_column(EncryptedString())
    urgent: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Why a ticket was closed or cancelled without a visit ("declined", "self_fix", "customer" …).
    close_reason: Mapped[str | None] = mapped_column(String(64))
    # Operators alerted without a hand-over ("urgent", "person_shut_in", "fire"): the latest reason.
    alert_reason: Mapped[str | None] = mapped_column(String(64))
    alerted_at: Mapped[datetime | None]

    customer: Mapped[Customer | None] = relationship(back_populates="tickets")
    conversation: Mapped[Conversation | None] = relationship(back_populates="tickets")
    bookings: Mapped[list[Booking]] = relationship(back_populates="ticket", order_by="Booking.id")

    @property
    def active_booking(self) -> Booking | None:
        """The confirmed booking of this ticket, if any."""
        for booking in reversed(self.bookings):
            if booking.status == "confirmed":
                return booking
        return None


class Technician(RowKeyed, Base):
    """A field technician: from config.yml, the demo roster or a CSV import (``source``), see ``bot.roster``.

    ``code`` is the stable key; ``products``/``brands`` are JSON lists; ``hours`` overrides the global
    working hours (see config.yml). ``home_lat``/``home_lon`` place his home more precisely than
    ``base_adcode`` (the county he lives in) when known. Technicians removed from their source become
    inactive, never deleted: bookings refer to them.
    """

    __tablename__ = "technician"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    base_adcode: Mapped[str] = mapped_column(String(6))
    products: Mapped[list[str]] = mapped_column(default=list)
    brands: Mapped[list[str]] = mapped_column(default=list)
    hours: Mapped[dict[str, Any] | None] = mapped_column(JSON())
    slot_capacity: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    home_lat: Mapped[float | None] = mapped_column(Float())
    home_lon: Mapped[float | None] = mapped_column(Float())
    source: Mapped[str] = mapped_column(
        String(16), CheckConstraint(_in("source", TECHNICIAN_SOURCES), name="source"), default="config",
        server_default="config",
    )
    # Deactivated in the console (sick, left): stays inactive whatever config.yml says until reactivated.
    suspended_at: Mapped[datetime | None]

    coverage: Mapped[list[TechnicianCoverage]] = relationship(
        back_populates="technician", cascade="all, delete-orphan"
    )


class TechnicianCoverage(Base):
    """An area a technician serves: a 6-digit division code, optionally narrowed to one town.

    Codes may be county level (410825), prefecture level (410800: every county of 焦作市) or province
    level (410000: all of 河南省); the booking search matches all three.
    """

    __tablename__ = "technician_coverage"
    __table_args__ = (UniqueConstraint("technician_id", "adcode", "town"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technician.id", ondelete="CASCADE"))
    adcode: Mapped[str] = mapped_column(String(6), index=True)
    town: Mapped[str | None] = mapped_column(String(64))

    technician: Mapped[Technician] = relationship(back_populates="coverage")


class Slot(Base):
    """A bookable visit window of one technician; rows are created on first booking.

    ``booked`` never exceeds ``capacity``: bookings increment it with a conditional UPDATE and the
    CHECK constraint is the last guard. ``kind`` is ``window`` (a visit window of his working day) or
    ``urgent`` (a same-day visit: he leaves at ``start`` and arrives by ``end``).
    """

    __tablename__ = "slot"
    __table_args__ = (
        UniqueConstraint("technician_id", "start"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technician.id", ondelete="CASCADE"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(default=1)
    booked: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    kind: Mapped[str] = mapped_column(
        String(8), CheckConstraint(_in("kind", SLOT_KINDS), name="kind"), default="window", server_default="window"
    )

    technician: Mapped[Technician] = relationship()


class Booking(Base):
    """A ticket's claim on a slot; ``status`` is confirmed, cancelled, rescheduled or done."""

    __tablename__ = "booking"
    __table_args__ = (CheckConstraint(_in("status", BOOKING_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    distance_km: Mapped[float | None] = mapped_column(Float())
    eta_minutes: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship(back_populates="bookings")
    slot: Mapped[Slot] = relationship()


class OutboxMessage(RowKeyed, Base):
    """A message the bot or an operator sends on its own initiative, as a row first (see bot/outbox).

    Written in the transaction that decides to send it; a dispatcher claims it when ``available_at``
    comes (the due time, later pushed by quiet hours, retries and leases), sends it on its channel and
    marks it. ``idempotency_key`` makes planning the same message twice a no-op. ``payload`` is the
    :class:`~dialogs.replies.Reply` as JSON (encrypted: texts quote addresses and times).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        Index("ix_outbox_status_available_at", "status", "available_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    # Non-essential messages (surveys, nudges, maintenance) stop when the customer unsubscribes.
    essential: Mapped[bool] = mapped_column(default=True, server_default=true())
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    due_at: Mapped[datetime]
    available_at: Mapped[datetime]
    # Past this moment the message is pointless (a reminder once the visit started): dropped, not sent.
    expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text())
    external_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation | None] = relationship()
    ticket: Mapped[Ticket | None] = relationship()


class SurveyAnswer(RowKeyed, Base):
    """One answer to a satisfaction survey question; the free-text comment is encrypted."""

    __tablename__ = "survey_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(32))
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship()


class AuditLog(Base):
    """Who did what to which record, with JSON detail that never holds personal data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ConsoleSession(Base):
    """A signed-in console user. The cookie carries a random token; only its SHA-256 is stored here.

    ``csrf_token`` is the synchronizer token every state-changing console request must echo.
    """

    __tablename__ = "console_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    operator: Mapped[Operator] = relationship()


class LoginAttempt(Base):
    """One console login attempt, kept for throttling repeated failures (by account and by address)."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_username_at", "username", "at"),
                      Index("ix_login_attempt_ip_at", "ip", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(default=False, server_default=false())
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsoleNote(RowKeyed, Base):
    """A note an operator leaves on a chat (and its ticket); customers never see notes.

    ``private``: only the author, managers and admins may read it; other notes are for the whole team.
    """

    __tablename__ = "console_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    private: Mapped[bool] = mapped_column(default=False, server_default=false())
    text: Mapped[str] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[Operator | None] = relationship()


class Digest(Base):
    """A weekly digest for managers: the period's key figures, its text and chart, made once per period."""

    __tablename__ = "digest"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[datetime] = mapped_column(unique=True)
    period_end: Mapped[datetime]
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)
    text: Mapped[str] = mapped_column(Text())
    chart_png: Mapped[bytes | None] = mapped_column(LargeBinary())
    # The outbox row that carries it to the managers' Telegram chat (None when no chat is configured).
    outbox_key: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Evidence(Base):
    """A photo a customer sent (any channel), kept as ticket evidence; the file is encrypted under the data dir.

    ``path`` is relative to the evidence directory. ``sha256`` finds identical files, ``phash`` (64-bit
    perceptual hash, hex) near-identical ones. ``flags`` are facts for operators — ``[{"code", "text",
    ...}]`` such as a near-duplicate of another customer's photo or missing camera metadata — never a
    refusal. ``(channel, source_id)`` is the platform's id of the upload, so a redelivered message
    stores its photo once. ``chat_id`` is an identifier like ``Conversation.chat_id``; erasure deletes
    the row and the file.
    """

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("channel", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    source_id: Mapped[str] = mapped_column(String(160))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"), index=True)
    path: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    phash: Mapped[str] = mapped_column(String(16))
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON(), default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallbackRef(RowKeyed, Base):
    """A button value too long for Telegram's 64-byte ``callback_data``, kept under a short random key.

    The key is bound to the chat it was shown in; an unknown, expired or foreign key is a stale button.
    The value is encrypted (offer buttons name times and technicians).
    """

    __tablename__ = "callback_ref"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128), index=True)
    value: Mapped[str] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PlatformToken(RowKeyed, Base):
    """A platform's short-lived API credential (WeChat's access_token), shared by every process.

    Fetching a new WeChat token invalidates the old one, so exactly one process refreshes at a time: it
    takes a lease (``refreshing_until``) with a conditional UPDATE, fetches, stores and clears it.
    """

    __tablename__ = "platform_token"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str | None] = mapped_column(EncryptedString())
    expires_at: Mapped[datetime | None]
    refreshing_until: Mapped[datetime | None]
    refreshed_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
