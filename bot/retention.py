"""Data retention (PIPL): personal data goes when it is no longer needed; statistics stay.

The policy is ``privacy.retention`` in config.yml (:class:`RetentionPolicy`). A chat's personal data
is kept while any of its tickets is in progress or changed, or closed, within ``message_days``
(default 180); after that its message texts, survey comments, dialog state and photos (rows and
encrypted files, removed once the pass commits) are erased. A ticket that was abandoned open counts
from its last change. Tickets, scores, message rows (marked ``erased``) and audit entries stay: reports
keep counting them. Ids of handled inbound messages are kept ``processed_message_days``, long enough
for every channel's retries.

Each kind of data is one registered function, so a new kind plugs in with one registration::

    @register("attachments")
    def _attachments(session: Session, window: Window, dry_run: bool) -> int:
        due = select(Attachment.id).where(Attachment.message_id.in_(window.expired_messages()))
        ...  # count them when dry_run, else delete the files and rows; return how many

Entry points: :func:`run_retention` (one pass in the caller's transaction, ``dry_run`` counts only),
:func:`daily_maintenance` (what the scheduler runs once a day) and ``repairbot privacy purge``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.evidence.erase import remove_photos
from bot.evidence.settings import EvidenceSettings
from bot.privacy.columns import new_row_key
from bot.store.models import AuditLog, Conversation, Evidence, Message, ProcessedMessage, SurveyAnswer, Ticket

log = logging.getLogger(__name__)

DEFAULT_MESSAGE_DAYS = 180
DEFAULT_PROCESSED_MESSAGE_DAYS = 30


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long personal data and bookkeeping are kept, in days."""

    message_days: int = DEFAULT_MESSAGE_DAYS
    processed_message_days: int = DEFAULT_PROCESSED_MESSAGE_DAYS
    # When `repairbot serve` runs the daily pass, local time.
    run_at: time = time(3, 30)
    # Where photo files live (config.yml ``evidence``): the ``photos`` kind removes them with their rows.
    evidence: EvidenceSettings = EvidenceSettings()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RetentionPolicy:
        """Read ``privacy.retention``; a bad value fails at start-up naming its key."""
        section = ((config.get("privacy") or {}).get("retention")) or {}
        if not isinstance(section, dict):
            raise ValueError("privacy.retention: expected a mapping")
        from bot.config_values import clock_time

        values: dict[str, Any] = {}
        for name, default in (("message_days", DEFAULT_MESSAGE_DAYS),
                              ("processed_message_days", DEFAULT_PROCESSED_MESSAGE_DAYS)):
            value = section.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"privacy.retention.{name}: expected a whole number of days >= 1, got {value!r}")
            values[name] = value
        values["run_at"] = clock_time(section.get("run_at", "03:30"), "privacy.retention.run_at")
        unknown = set(section) - set(values)
        if unknown:
            raise ValueError(f"privacy.retention: unknown key(s) {', '.join(sorted(unknown))}")
        return cls(**values, evidence=EvidenceSettings.from_config(config))


@dataclass(frozen=True, slots=True)
class Window:
    """One retention pass: the moment it runs and the policy, with the selections kinds share."""

    now: datetime
    policy: RetentionPolicy

    @property
    def cutoff(self) -> datetime:
        """Personal data last needed before this moment goes."""
        return self.now - timedelta(days=self.policy.message_days)

    def recent_ticket(self, conversation_id: Any) -> Any:
        """SQL: the conversation has a ticket changed or closed since the cutoff (its data is still needed)."""
        other = aliased(Ticket)  # its own FROM, even inside a query over tickets
        return exists().where(
            other.conversation_id == conversation_id,
            or_(other.updated_at >= self.cutoff, other.closed_at >= self.cutoff),
        )

    def expired_messages(self) -> Select[Any]:
        """Ids of messages whose content is due: older than the cutoff, in a chat no longer needed."""
        return select(Message.id).where(
            Message.created_at < self.cutoff,
            Message.erased.is_(False),
            ~self.recent_ticket(Message.conversation_id),
        )


PurgeKind = Callable[[Session, Window, bool], int]
_KINDS: dict[str, PurgeKind] = {}


def register(name: str) -> Callable[[PurgeKind], PurgeKind]:
    """Register ``fn(session, window, dry_run) -> count`` as the purge of one kind of data."""

    def add(fn: PurgeKind) -> PurgeKind:
        if name in _KINDS and _KINDS[name] is not fn:
            raise ValueError(f"retention kind {name!r} is registered twice")
        _KINDS[name] = fn
        return fn

    return add


def kinds() -> tuple[str, ...]:
    """Names of the registered kinds, in registration order."""
    return tuple(_KINDS)


def _count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


@register("message_texts")
def _message_texts(session: Session, window: Window, dry_run: bool) -> int:
    due = window.expired_messages()
    if dry_run:
        return _count(session, due)
    result = session.execute(
        update(Message).where(Message.id.in_(due)).values(text=None, erased=True)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@register("survey_comments")
def _survey_comments(session: Session, window: Window, dry_run: bool) -> int:
    due = (
        select(SurveyAnswer.id)
        .join(Ticket, Ticket.id == SurveyAnswer.ticket_id)
        .where(SurveyAnswer.comment.is_not(None), SurveyAnswer.created_at < window.cutoff,
               or_(Ticket.conversation_id.is_(None), ~window.recent_ticket(Ticket.conversation_id)),
               Ticket.updated_at < window.cutoff, or_(Ticket.closed_at.is_(None), Ticket.closed_at < window.cutoff))
    )
    if dry_run:
        return _count(session, due)
    result = session.execute(
        update(SurveyAnswer).where(SurveyAnswer.id.in_(due)).values(comment=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@register("dialog_state")
def _dialog_state(session: Session, window: Window, dry_run: bool) -> int:
    # The state holds the phone and the place. Which states are already empty is not visible in SQL
    # (encrypted), so an emptied one shows up again only after another full period without activity.
    due = select(Conversation.id, Conversation.row_key).where(
        Conversation.updated_at < window.cutoff,
        or_(Conversation.last_message_at.is_(None), Conversation.last_message_at < window.cutoff),
        ~window.recent_ticket(Conversation.id),
    )
    if dry_run:
        return _count(session, due)
    rows = [{"id": ident, "row_key": row_key or new_row_key(), "state": {}, "expecting": None}
            for ident, row_key in session.execute(due)]
    if rows:  # by primary key with each row's key, so each empty state is encrypted for its own row
        session.execute(update(Conversation), rows)
    return len(rows)


@register("photos")
def _photos(session: Session, window: Window, dry_run: bool) -> int:
    # The messages' rule: a photo older than the cutoff goes once no ticket of its chat changed or
    # closed since then. A photo its turn never linked to the chat belongs to it by channel and chat
    # id; its own ticket counts too, should that ticket have lost its chat.
    chat = func.coalesce(Evidence.conversation_id, select(Conversation.id).where(
        Conversation.channel == Evidence.channel, Conversation.chat_id == Evidence.chat_id
    ).correlate(Evidence).scalar_subquery())
    own = aliased(Ticket)
    due = select(Evidence.id).where(
        Evidence.created_at < window.cutoff,
        ~window.recent_ticket(chat),
        ~exists().where(own.id == Evidence.ticket_id,
                        or_(own.updated_at >= window.cutoff, own.closed_at >= window.cutoff)),
    )
    if dry_run:
        return _count(session, due)
    return remove_photos(session, Evidence.id.in_(due), window.policy.evidence)


@register("processed_message_ids")
def _processed_ids(session: Session, window: Window, dry_run: bool) -> int:
    cutoff = window.now - timedelta(days=window.policy.processed_message_days)
    if dry_run:
        return session.scalar(select(func.count()).where(ProcessedMessage.at < cutoff)) or 0
    from bot.store.db import forget_processed_before

    return forget_processed_before(session, cutoff)


@dataclass
class RetentionReport:
    """What a pass erased (or, in a dry run, would erase), per kind."""

    now: datetime
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Everything counted, all kinds together."""
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        """The report as the CLI prints it."""
        return {"now": self.now.isoformat(), "dry_run": self.dry_run, "counts": self.counts, "total": self.total}


def run_retention(session: Session, now: datetime, policy: RetentionPolicy, *,
                  dry_run: bool = False) -> RetentionReport:
    """One retention pass over every registered kind, in the caller's transaction.

    With ``dry_run`` nothing changes: each kind counts what it would erase. Otherwise an ``AuditLog``
    row records the counts (never any content).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    window = Window(now=now, policy=policy)
    report = RetentionReport(now=now, dry_run=dry_run)
    for name, purge in _KINDS.items():
        report.counts[name] = purge(session, window, dry_run)
    if not dry_run and report.total:
        session.add(AuditLog(actor="retention", action="privacy.purge", target=None,
                             detail={"counts": report.counts, "cutoff": window.cutoff.isoformat()}, at=now))
    return report


def daily_maintenance(db: Any, now: datetime, config: dict[str, Any] | None = None) -> RetentionReport:
    """The daily job: apply the retention policy from config (and prune de-duplication ids).

    For the scheduler (``bot/scheduler.py`` registers it once a day); safe to run more often or
    twice at once (each pass erases what is due; a second finds nothing). Returns the report and
    logs the counts.
    """
    from bot.config import load_config

    policy = RetentionPolicy.from_config(config if config is not None else load_config())
    with db.session() as session:
        report = run_retention(session, now, policy)
    log.info("retention: %s", ", ".join(f"{k}={v}" for k, v in report.counts.items()))
    return report


__all__ = ["RetentionPolicy", "RetentionReport", "Window", "daily_maintenance", "kinds", "register",
           "run_retention"]
