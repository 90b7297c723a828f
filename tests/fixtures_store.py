"""Store fixtures shared by every database test (registered in conftest via ``pytest_plugins``).

``store``: a migrated, empty :class:`bot.store.db.Database` on the backend chosen by ``db_url`` (SQLite
file per test; on PostgreSQL the session database is migrated once and emptied before each test).
``session``: a session in one transaction on that store, committed at the end of the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot.store.db import Database
from bot.store.models import Base


def count_rows(store: Database, model: Any, *where: Any) -> int:
    """How many rows of ``model`` match ``where`` (all of them without a condition)."""
    with store.session(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def reset_database(db: Database) -> None:
    """Migrate to head and delete every row, so each test starts from the same empty schema."""
    db.upgrade()
    tables = [t.name for t in Base.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))


def drop_everything(db: Database) -> None:
    """Return the database to empty: no tables, no Alembic version (for migration tests)."""
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def store(db_url: str) -> Iterator[Database]:
    """A migrated, empty database on SQLite and on PostgreSQL."""
    db = Database(db_url)
    reset_database(db)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def session(store: Database):
    """A session on ``store``, committed when the test passes."""
    with store.session() as s:
        yield s
