"""A technician reports a visit done (``repairbot visit done``, later the console): the ticket becomes
``visited``, the post-repair check (维修后性能检测) is recorded, and the survey is planned from now.

The checklist is data (config.yml ``followups.visit_check``): each item has a label and a type (int with
bounds, or a choice), so what a technician may report is validated the same way from every front end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.followups import plan_after_visit
from bot.store.models import AuditLog, Ticket


class VisitError(ValueError):
    """The visit cannot be reported as asked (unknown ticket, nothing booked, a bad check value)."""


@dataclass(frozen=True, slots=True)
class CheckItem:
    """One line of the post-repair checklist."""

    key: str
    label: str
    kind: str  # "int" | "choice"
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()

    def read(self, raw: str) -> int | str:
        """The value of ``raw`` for this item, or :class:`VisitError` saying what is accepted."""
        if self.kind == "int":
            try:
                value = int(raw)
            except ValueError as exc:
                raise VisitError(f"{self.key} ({self.label}): expected a whole number, got {raw!r}") from exc
            if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
                raise VisitError(f"{self.key} ({self.label}): expected {self.minimum}–{self.maximum}, got {value}")
            return value
        if raw not in self.choices:
            raise VisitError(f"{self.key} ({self.label}): expected one of {', '.join(self.choices)}, got {raw!r}")
        return raw


def checklist(config: dict[str, Any]) -> dict[str, CheckItem]:
    """The configured checklist by key."""
    items: dict[str, CheckItem] = {}
    for key, spec in ((config.get("followups") or {}).get("visit_check") or {}).items():
        kind = str(spec.get("type", "int"))
        if kind not in ("int", "choice"):
            raise VisitError(f"followups.visit_check.{key}.type: expected int or choice, got {kind!r}")
        items[str(key)] = CheckItem(
            key=str(key), label=str(spec.get("label", key)), kind=kind, minimum=spec.get("min"),
            maximum=spec.get("max"), choices=tuple(str(c) for c in spec.get("choices") or ()))
    return items


def read_check(pairs: list[str], config: dict[str, Any]) -> dict[str, int | str]:
    """``["cycles=10", "alarm=pass"]`` → validated values; unknown keys name the known ones."""
    items = checklist(config)
    values: dict[str, int | str] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or key not in items:
            raise VisitError(f"unknown check {pair!r}; known: {', '.join(f'{k}=…' for k in items) or 'none configured'}")
        values[key] = items[key].read(raw.strip())
    return values


def mark_done(session: Session, ticket_id: int, *, now: datetime, config: dict[str, Any],
              notes: str | None = None, check: dict[str, int | str] | None = None,
              actor: str = "technician") -> tuple[Ticket, bool]:
    """Mark the ticket's visit done at ``now``; returns (ticket, changed). Reporting it twice changes nothing."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise VisitError(f"no ticket #{ticket_id}")
    if ticket.status == "visited" or ticket.visited_at is not None:
        return ticket, False
    booking = ticket.active_booking
    if booking is None:
        raise VisitError(f"ticket #{ticket_id} is {ticket.status} and has no booked visit to report")
    booking.status = "done"
    ticket.status = "visited"
    ticket.visited_at = now
    ticket.visit_notes = notes or None
    ticket.visit_check = dict(check) if check else None
    session.add(AuditLog(actor=actor, action="visit.done", target=f"ticket:{ticket.id}",
                         detail={"booking": booking.id, "check": ticket.visit_check or {}}, at=now))
    session.flush()
    plan_after_visit(session, ticket, visited_at=now, config=config)
    return ticket, True
