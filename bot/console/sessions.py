"""Server-side console sessions and login throttling, without HTTP.

A session is a row keyed by the SHA-256 of a random 256-bit token; the browser holds the token in an
HttpOnly cookie, so a copy of the database does not hand out live sessions. Each session carries its own
CSRF token (synchronizer pattern). Sessions end after ``console.session_idle_hours`` without a request,
``console.session_max_days`` after login, at logout, and when the account is disabled or its password
changes. Wall-clock time is used here on purpose, never a test's or replay's fixed clock.

Throttling: after ``console.login.max_failures`` failed logins for one account (counted since its last
success) or four times as many from one address, within ``console.login.window_minutes``, further
attempts are refused until the window has passed — the password is not even checked, so guessing
gets nowhere while the account's owner can still sign in from elsewhere once the window ends.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.console.settings import ConsoleSettings
from bot.store.models import ConsoleSession, LoginAttempt, Operator

#: Update ``last_seen_at`` at most this often per session (every request would be a write).
TOUCH_EVERY = timedelta(minutes=1)
IP_FACTOR = 4  # an office behind one address has several people mistyping


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session: the account and the session's CSRF token."""

    session_id: str
    csrf_token: str
    operator: Operator


def token_hash(token: str) -> str:
    """The stored key of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, operator: Operator, now: datetime, settings: ConsoleSettings) -> tuple[str, str]:
    """Open a session for ``operator``; returns (cookie token, CSRF token)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(ConsoleSession(id=token_hash(token), operator_id=operator.id, csrf_token=csrf, created_at=now,
                               last_seen_at=now, expires_at=now + timedelta(days=settings.session_max_days)))
    # Expired rows of anyone go now and then; there is no other janitor.
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    return token, csrf


def lookup(session: Session, token: str, now: datetime, settings: ConsoleSettings) -> SignedIn | None:
    """The live session named by the cookie's ``token``, or None (unknown, expired, idle, account disabled)."""
    if not token or len(token) > 128:
        return None
    row = session.get(ConsoleSession, token_hash(token))
    if row is None:
        return None
    idle_limit = row.last_seen_at + timedelta(hours=settings.session_idle_hours)
    operator = session.get(Operator, row.operator_id)
    if now >= row.expires_at or now >= idle_limit or operator is None or not operator.active:
        session.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return SignedIn(row.id, row.csrf_token, operator)


def end(session: Session, token: str) -> None:
    """Log out: the session row goes, so the cookie is worthless even if it was copied."""
    if token:
        session.execute(delete(ConsoleSession).where(ConsoleSession.id == token_hash(token)))


def throttled(session: Session, username: str, ip: str, now: datetime, settings: ConsoleSettings) -> bool:
    """Are login attempts for ``username`` or from ``ip`` refused right now?"""
    since = now - timedelta(minutes=settings.login_window_minutes)
    name = username.strip().lower()[:64]
    last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == name, LoginAttempt.succeeded.is_(True)))
    start_at = max(since, last_ok) if last_ok is not None else since
    by_name = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == name, LoginAttempt.succeeded.is_(False), LoginAttempt.at > start_at)) or 0
    by_ip = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.ip == ip[:64], LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)) or 0
    return by_name >= settings.login_max_failures or by_ip >= settings.login_max_failures * IP_FACTOR


def record(session: Session, username: str, ip: str, succeeded: bool, now: datetime) -> None:
    """Remember one attempt (names are stored lower-cased, as typed: unknown names count too)."""
    session.add(LoginAttempt(username=username.strip().lower()[:64], ip=ip[:64], succeeded=succeeded, at=now))
