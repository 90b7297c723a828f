"""Follow-ups: which proactive messages a booking or a finished visit plans, and what delivery does.

Everything here writes outbox rows (``bot.outbox.queue``) in the caller's transaction, so a plan exists
exactly when the change that caused it was committed, and re-planning is idempotent (keys name the
booking or ticket). Times come from config.yml ``followups``; texts from ``dialogs/texts.yml``.

- a booking (or reschedule) plans the reminder the evening before (for a visit on a later day) and the
  one an hour before, both expiring when the visit starts; earlier reminders of the ticket are cancelled;
- a visit marked done plans the survey (2 h later), one nudge (24 h after that, dropped if answered by
  then) and the preventive-maintenance reminder (N days later, per product);
- delivering a survey opens it in the chat's dialog state; delivering a maintenance reminder leaves the
  visited device's facts there, so the customer's answer is understood.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.visits import BookedVisit, confirmed_visit
from bot.config_values import mapping, number
from bot.outbox import queue
from bot.outbox.dispatcher import DeliveryHook
from bot.outbox.queue import Claimed
from bot.outbox.settings import SettingsError, clock_time
from bot.store.models import Conversation, Customer, Ticket
from dialogs import proactive
from dialogs.services import Offer

REMINDER_KINDS = ("reminder_evening", "reminder_hour")
AFTER_VISIT_KINDS = ("survey", "survey_nudge", "maintenance")


@dataclass(frozen=True, slots=True)
class FollowUpSettings:
    """The follow-up schedule (config.yml ``followups``)."""

    evening_before: time | None = time(19, 0)
    before_start_minutes: float | None = 60
    survey_after_hours: float = 2
    nudge_after_hours: float | None = 24
    maintenance_days: dict[str, int] = field(default_factory=lambda: {"lock": 180, "safe": 365})
    maintenance_at: time = time(10, 0)
    non_essential: frozenset[str] = frozenset({"survey", "survey_nudge", "maintenance"})

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FollowUpSettings:
        """Read ``followups``; raise :class:`SettingsError` naming the key that is wrong."""
        section = mapping(config.get("followups"), "followups", error=SettingsError)
        reminders = mapping(section.get("reminders"), "followups.reminders", error=SettingsError)
        survey = mapping(section.get("survey"), "followups.survey", error=SettingsError)
        days = section.get("maintenance_days", {"lock": 180, "safe": 365}) or {}
        if not isinstance(days, dict) or not all(isinstance(v, int) and v > 0 for v in days.values()):
            raise SettingsError("followups.maintenance_days: expected {product: days > 0}")

        def optional(where: dict[str, Any], key: str, default: float, path: str) -> float | None:
            """A number ≥ 0, or null to switch that message off."""
            if where.get(key, default) is None:
                return None
            return float(number(where, key, default, path, error=SettingsError))

        evening = reminders.get("evening_before", "19:00")
        return cls(
            evening_before=clock_time(evening, "followups.reminders.evening_before") if evening else None,
            before_start_minutes=optional(reminders, "before_start_minutes", 60, "followups.reminders"),
            survey_after_hours=float(number(survey, "after_visit_hours", 2, "followups.survey", error=SettingsError)),
            nudge_after_hours=optional(survey, "nudge_after_hours", 24, "followups.survey"),
            maintenance_days={str(k): int(v) for k, v in days.items()},
            maintenance_at=clock_time(section.get("maintenance_at", "10:00"), "followups.maintenance_at"),
            non_essential=frozenset(section.get("non_essential") or cls().non_essential),
        )


def _tz(config: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(str(config.get("timezone") or "Asia/Shanghai"))


def _chat(session: Session, ticket: Ticket) -> Conversation | None:
    return session.get(Conversation, ticket.conversation_id) if ticket.conversation_id is not None else None


def cancel_for_ticket(session: Session, ticket_id: int, kinds: tuple[str, ...] | None = None,
                      reason: str = "plans changed") -> int:
    """Cancel a ticket's pending follow-ups (all, or only ``kinds``); the one place that does it."""
    return queue.cancel(session, ticket_id=ticket_id, kinds=kinds, reason=reason)


def plan_visit(session: Session, ticket: Ticket, *, now: datetime, config: dict[str, Any],
               booked: BookedVisit | None = None, first_booking: bool = False) -> int:
    """(Re-)plan the reminders of the ticket's confirmed visit; returns how many rows were planned.

    ``booked``: the confirmed visit, when the caller has just booked it (it is not read back).
    ``first_booking``: the ticket has no other booking, in any status, so it has no reminders to
    replace (they are only ever planned here, per booking): the cancelling UPDATE is skipped.
    """
    settings = FollowUpSettings.from_config(config)
    if not first_booking:
        cancel_for_ticket(session, ticket.id, REMINDER_KINDS, reason="visit re-planned")
    booked = booked if booked is not None else confirmed_visit(session, ticket.id)
    conv = _chat(session, ticket)
    if booked is None or conv is None:
        return 0
    booking_id = booked.booking_id
    tz = _tz(config)
    visit = Offer(ref="", technician=booked.name, start=booked.start.astimezone(tz), end=booked.end.astimezone(tz))
    local_now = now.astimezone(tz)
    reminders: list[queue.Planned] = []

    def remind(kind: str, due: datetime) -> None:
        reminders.append(queue.Planned(
            key=f"{kind}:booking:{booking_id}", channel=conv.channel, chat_id=conv.chat_id, kind=kind,
            reply=proactive.reminder(kind, visit), due_at=due, conversation_id=conv.id, ticket_id=ticket.id,
            expires_at=visit.start, essential=kind not in settings.non_essential))

    if settings.evening_before is not None and visit.start.date() > local_now.date():
        due = datetime.combine(visit.start.date() - timedelta(days=1), settings.evening_before, tzinfo=tz)
        if due > now:
            remind("reminder_evening", due)
    if settings.before_start_minutes is not None:
        due = visit.start - timedelta(minutes=settings.before_start_minutes)
        if due > now:  # a visit booked within the hour needs no reminder: the confirmation just said it
            remind("reminder_hour", due)
    return queue.enqueue_many(session, reminders)  # both reminders in one statement


def plan_after_visit(session: Session, ticket: Ticket, *, visited_at: datetime, config: dict[str, Any]) -> int:
    """Plan the survey, its nudge and the maintenance reminder after a visit; returns how many."""
    settings = FollowUpSettings.from_config(config)
    cancel_for_ticket(session, ticket.id, REMINDER_KINDS, reason="visit done")
    conv = _chat(session, ticket)
    if conv is None:
        return 0
    survey_due = visited_at + timedelta(hours=settings.survey_after_hours)
    planned = _plan(session, conv, ticket, "survey", f"survey:ticket:{ticket.id}", proactive.survey(), survey_due,
                    settings=settings)
    if settings.nudge_after_hours is not None:
        planned += _plan(session, conv, ticket, "survey_nudge", f"survey_nudge:ticket:{ticket.id}",
                         proactive.survey(nudge=True), survey_due + timedelta(hours=settings.nudge_after_hours),
                         settings=settings)
    days = settings.maintenance_days.get(ticket.product or "")
    if days:
        tz = _tz(config)
        label = str(((config.get("products") or {}).get(ticket.product) or {}).get("label") or "设备")
        day = (visited_at.astimezone(tz) + timedelta(days=days)).date()
        due = datetime.combine(day, settings.maintenance_at, tzinfo=tz)
        planned += _plan(session, conv, ticket, "maintenance", f"maintenance:ticket:{ticket.id}",
                         proactive.maintenance(ticket.product or "", label, max(1, round(days / 30))), due,
                         settings=settings)
    return planned


def _plan(session: Session, conv: Conversation, ticket: Ticket, kind: str, key: str, reply: Any, due: datetime,
          *, settings: FollowUpSettings, expires_at: datetime | None = None) -> int:
    return int(queue.enqueue(
        session, key=key, channel=conv.channel, chat_id=conv.chat_id, kind=kind, reply=reply, due_at=due,
        conversation_id=conv.id, ticket_id=ticket.id, expires_at=expires_at,
        essential=kind not in settings.non_essential,
    ))


# -- delivery hooks: what the dialog must know once a message has reached the customer ----------------
def _locked_state(session: Session, conversation_id: int) -> Conversation | None:
    query = select(Conversation).where(Conversation.id == conversation_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def _survey_delivered(session: Session, row: Claimed, now: datetime) -> None:
    """The survey (or its nudge) reached the customer: the next "5" is a score."""
    conv = _locked_state(session, row.conversation_id or -1)
    if conv is None or row.ticket_id is None:
        return
    from dialogs.state import ConversationState

    opened = proactive.open_survey(ConversationState(), row.ticket_id, now)
    # Only the survey key changes: the rest of the stored state (incl. the engine's own keys) stays.
    conv.state = {**(conv.state or {}), "survey": opened.survey}


def _maintenance_delivered(session: Session, row: Claimed, now: datetime) -> None:
    """The maintenance reminder arrived: remember what to book if the customer says yes."""
    conv = _locked_state(session, row.conversation_id or -1)
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
    if conv is None or ticket is None or not ticket.adcode:
        return
    import regions

    division = regions.lookup(ticket.adcode)
    if division is None:
        return
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id is not None else None
    facts = {"ticket_id": ticket.id, "brand": ticket.brand, "product": ticket.product,
             "place": division.place(ticket.town).to_json(), "phone": customer.phone if customer else None,
             "address": ticket.address}
    conv.state = {**(conv.state or {}), "maintenance": facts}


def delivery_hooks() -> dict[str, DeliveryHook]:
    """Hooks the dispatcher runs, by kind, in the transaction that records a delivery."""
    return {"survey": _survey_delivered, "survey_nudge": _survey_delivered, "maintenance": _maintenance_delivered}
