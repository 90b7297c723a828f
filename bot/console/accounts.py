"""Console accounts: create, list, disable, change passwords, verify a login. No HTTP here.

Passwords are hashed with Argon2id (``argon2-cffi``'s defaults, RFC 9106 low-memory profile); a hash
made with older parameters is upgraded on the next successful login. The CLI (``repairbot users``) and
the login page both come through this module, so the rules are the same from both doors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import OPERATOR_ROLES, AuditLog, Operator

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256  # Argon2 takes any length; a megabyte "password" is an attack, not a secret
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_hasher = PasswordHasher()
# Verifying against this when the account does not exist costs the same time as a real check, so the
# login page's timing does not tell which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Account:
    """A console account as the rest of the console sees it (never the hash)."""

    id: int
    username: str
    display_name: str
    role: str
    active: bool

    @classmethod
    def of(cls, row: Operator) -> Account:
        return cls(row.id, row.username, row.display_name, row.role, row.active)


def check_password(password: str) -> None:
    """Raise :class:`AccountError` unless ``password`` is acceptable (length only: passphrases welcome)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"password too short: at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"password too long: at most {MAX_PASSWORD_CHARS} characters")
    if password != password.strip():
        raise AccountError("password must not start or end with spaces")


def hash_password(password: str) -> str:
    """The Argon2id hash to store."""
    return _hasher.hash(password)


def create(session: Session, username: str, *, role: str, password: str, display_name: str | None = None,
           actor: str = "cli") -> Account:
    """A new active account; :class:`AccountError` for a bad name, role or password, or a taken name."""
    if not _USERNAME.match(username):
        raise AccountError("username: letters, digits, '.', '_' or '-', at most 64, starting with a letter or digit")
    if role not in OPERATOR_ROLES:
        raise AccountError(f"role: expected one of {', '.join(OPERATOR_ROLES)}, got {role!r}")
    check_password(password)
    if session.scalar(select(Operator.id).where(func.lower(Operator.username) == username.lower())) is not None:
        raise AccountError(f"username {username!r} is taken")
    row = Operator(username=username, display_name=(display_name or username)[:64], role=role,
                   password_hash=hash_password(password), active=True)
    session.add(row)
    session.flush()
    session.add(AuditLog(actor=actor, action="account.create", target=f"operator:{row.id}",
                         detail={"username": username, "role": role}))
    return Account.of(row)


def find(session: Session, username: str) -> Operator | None:
    """The account named ``username`` (case-insensitive), active or not."""
    return session.scalars(select(Operator).where(func.lower(Operator.username) == username.strip().lower())).first()


def set_password(session: Session, username: str, password: str, *, actor: str = "cli") -> Account:
    """Replace the password (existing sessions end: whoever knew the old one is signed out)."""
    from bot.store.models import ConsoleSession

    row = find(session, username)
    if row is None:
        raise AccountError(f"no account {username!r}")
    check_password(password)
    row.password_hash = hash_password(password)
    session.query(ConsoleSession).filter(ConsoleSession.operator_id == row.id).delete()
    session.add(AuditLog(actor=actor, action="account.password", target=f"operator:{row.id}", detail={}))
    return Account.of(row)


def set_active(session: Session, username: str, active: bool, *, actor: str = "cli") -> Account:
    """Enable or disable an account; disabling ends its sessions and gives back what it was assigned."""
    from sqlalchemy import update

    from bot.store.models import ConsoleSession, Conversation

    row = find(session, username)
    if row is None:
        raise AccountError(f"no account {username!r}")
    row.active = active
    if not active:
        session.query(ConsoleSession).filter(ConsoleSession.operator_id == row.id).delete()
        row.last_seen_at = None
        # Waiting chats assigned to them go back to the pool; chats they hold stay held (a person
        # must hand them over) but show as unassigned so others see them.
        session.execute(update(Conversation).where(Conversation.assignee_id == row.id)
                        .values(assignee_id=None, assigned_at=None))
    session.add(AuditLog(actor=actor, action="account.enable" if active else "account.disable",
                         target=f"operator:{row.id}", detail={}))
    return Account.of(row)


def all_accounts(session: Session) -> list[Account]:
    """Every account, by username."""
    return [Account.of(r) for r in session.scalars(select(Operator).order_by(Operator.username))]


def has_admin(session: Session) -> bool:
    """Is there an active admin who can sign in? (``make run`` says how to create one otherwise.)"""
    return session.scalar(select(func.count()).select_from(Operator).where(
        Operator.role == "admin", Operator.active.is_(True), Operator.password_hash.is_not(None))) > 0


def verify(session: Session, username: str, password: str) -> Operator | None:
    """The active account when ``password`` is right, else None (same cost whether or not it exists)."""
    row = find(session, username) if username else None
    stored = row.password_hash if row is not None and row.active and row.password_hash else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if stored is None or row is None:
        return None
    if _hasher.check_needs_rehash(stored):
        row.password_hash = hash_password(password)
    return row
