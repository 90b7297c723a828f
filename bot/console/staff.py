"""Who is acting in the console, and the audit trail every action leaves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.store.models import AuditLog

#: What each role may do. ``staff`` reads chats and tickets; ``operator`` acts on them; ``manager``
#: reads feedback and digests; ``admin`` does everything and may release chats other people hold.
SCOPES: dict[str, tuple[str, ...]] = {
    "operator": ("staff", "operator"),
    "manager": ("staff", "manager"),
    "admin": ("staff", "operator", "manager", "admin"),
}


@dataclass(frozen=True, slots=True)
class Staff:
    """The signed-in person: account id, login name, display name and role."""

    id: int
    username: str
    display_name: str
    role: str

    @property
    def scopes(self) -> tuple[str, ...]:
        return SCOPES.get(self.role, ())

    def can(self, scope: str) -> bool:
        """Does this person's role include ``scope``?"""
        return scope in self.scopes

    @property
    def actor(self) -> str:
        """How the audit log names them: ``operator:alice``."""
        return f"{self.role}:{self.username}"[:64]


def audit(session: Session, who: Staff, action: str, target: str | None, now: datetime,
          **detail: Any) -> None:
    """Record who did what to which record, when. ``detail`` never holds personal data (no texts)."""
    session.add(AuditLog(actor=who.actor, action=action, target=target,
                         detail={"operator_id": who.id, **detail}, at=now))
