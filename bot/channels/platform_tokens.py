"""Short-lived platform credentials (WeChat's access_token) shared through the database.

WeChat invalidates the previous token whenever a new one is fetched, so processes must not refresh
independently. One refresher at a time holds a *lease* on the row (``refreshing_until``), taken by a
conditional UPDATE that only one transaction can win on SQLite or PostgreSQL; the HTTP call happens
outside any transaction, and the others wait for the stored result. A refresher that dies leaves a
lease that simply runs out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from bot.store.db import Database, dialect_insert
from bot.store.models import PlatformToken

#: Refresh this long before the platform's expiry (clocks differ; a send may be in flight).
EARLY = timedelta(minutes=5)
LEASE = timedelta(seconds=30)
_WAIT_STEP_S = 0.1

Fetch = Callable[[], Awaitable[tuple[str, float]]]


class TokenUnavailable(Exception):
    """No valid token could be had (another process's refresh did not finish in time)."""


async def current_token(db: Database, name: str, fetch: Fetch, *, now: Callable[[], datetime], worker: str,
                        stale: str | None = None, wait_s: float = 35.0) -> str:
    """A valid token for ``name``: the stored one, or a new one fetched by exactly one process.

    ``stale`` is a token the platform just refused (40001): it is not returned again, and a refresh is
    started unless someone already stored a different one.
    """
    waited = 0.0
    while True:
        token = await asyncio.to_thread(_usable, db, name, now(), stale)
        if token is not None:
            return token
        if await asyncio.to_thread(_take_lease, db, name, now(), worker):
            token = await asyncio.to_thread(_usable, db, name, now(), stale)
            if token is not None:  # stored by another refresher between our two reads
                await asyncio.to_thread(_release, db, name, worker)
                return token
            try:
                token, expires_in = await fetch()
            except BaseException:
                await asyncio.to_thread(_release, db, name, worker)
                raise
            await asyncio.to_thread(_store, db, name, token, now() + timedelta(seconds=expires_in), worker)
            return token
        if waited >= wait_s:
            raise TokenUnavailable(f"{name}: another process is refreshing the token")
        await asyncio.sleep(_WAIT_STEP_S)
        waited += _WAIT_STEP_S


def _usable(db: Database, name: str, now: datetime, stale: str | None) -> str | None:
    with db.session(readonly=True) as session:
        row = session.get(PlatformToken, name)
        if row is None or not row.token or row.expires_at is None or row.expires_at - EARLY <= now:
            return None
        return None if row.token == stale else row.token


def _take_lease(db: Database, name: str, now: datetime, worker: str) -> bool:
    with db.session() as session:
        session.execute(dialect_insert(session, PlatformToken).values(name=name, updated_at=now)
                        .on_conflict_do_nothing(index_elements=["name"]))
        won = session.execute(
            update(PlatformToken)
            .where(PlatformToken.name == name,
                   or_(PlatformToken.refreshing_until.is_(None), PlatformToken.refreshing_until < now))
            .values(refreshing_until=now + LEASE, refreshed_by=worker[:64])
            .returning(PlatformToken.name)
        ).first()
        return won is not None


def _release(db: Database, name: str, worker: str) -> None:
    with db.session() as session:
        session.execute(update(PlatformToken).where(PlatformToken.name == name, PlatformToken.refreshed_by == worker[:64])
                        .values(refreshing_until=None))


def _store(db: Database, name: str, token: str, expires_at: datetime, worker: str) -> None:
    with db.session() as session:
        row = session.scalars(select(PlatformToken).where(PlatformToken.name == name)).one()
        row.token = token
        row.expires_at = expires_at
        row.refreshing_until = None
        row.refreshed_by = worker[:64]
        row.updated_at = datetime.now(expires_at.tzinfo)
