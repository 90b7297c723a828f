"""Telegram's ``callback_data`` holds at most 64 bytes; button values can be longer (an offer names a day,
a window and a technician, three bytes per Chinese character).

A value that fits travels as itself (the survey's "1"…"5" stay readable in the Bot API); a longer one —
or one that happens to start with :data:`REF_PREFIX` — is stored under a short random key bound to the
chat, and the button carries ``ref:<key>``. Pressing it resolves the key; an unknown key (forged, pruned
after ``callback_ttl_days``, erased with the customer's data) or one shown in another chat is *stale*.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store.models import CallbackRef

REF_PREFIX = "ref:"
MAX_CALLBACK_BYTES = 64


def fits(value: str) -> bool:
    """Can ``value`` be the callback data itself?"""
    return bool(value) and not value.startswith(REF_PREFIX) and len(value.encode("utf-8")) <= MAX_CALLBACK_BYTES


def callback_data(session: Session, *, channel: str, chat_id: str, values: Sequence[str], now: datetime) -> list[str]:
    """The callback data for each value, storing references for those that do not fit."""
    out: list[str] = []
    for value in values:
        if fits(value):
            out.append(value)
            continue
        key = secrets.token_urlsafe(12)  # 16 characters, 96 random bits: not guessable
        session.add(CallbackRef(key=key, channel=channel, chat_id=chat_id, value=value, created_at=now))
        out.append(REF_PREFIX + key)
    return out


def resolve(session: Session, *, channel: str, chat_id: str, data: str, now: datetime,
            ttl: timedelta) -> str | None:
    """The value a pressed button stands for; None for a stale or forged reference."""
    if not data.startswith(REF_PREFIX):
        return data if data else None
    key = data[len(REF_PREFIX):]
    if not key or len(key) > 32:
        return None
    ref = session.get(CallbackRef, key)
    if ref is None or ref.channel != channel or ref.chat_id != chat_id or ref.created_at < now - ttl:
        return None
    return ref.value


def prune(session: Session, *, before: datetime) -> int:
    """Forget references older than ``before``; returns how many."""
    return session.execute(delete(CallbackRef).where(CallbackRef.created_at < before)
                           .execution_options(synchronize_session=False)).rowcount or 0


def stored_values(session: Session, chat_id: str) -> list[str]:
    """Values stored for a chat (for tests and erasure checks)."""
    return list(session.scalars(select(CallbackRef.value).where(CallbackRef.chat_id == chat_id)))
