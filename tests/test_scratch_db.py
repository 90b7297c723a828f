"""The PostgreSQL test helpers work on a stock cluster, where only the ``postgres`` database exists."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from bot.store.scratch import PG_HOST, PG_PORT, ensure_database, scratch_postgres_database


@pytest.mark.postgres
def test_missing_admin_database_is_created(pg_database_url) -> None:  # pg_database_url: skip/fail like the others
    admin_db = f"repairbot_admin_{uuid.uuid4().hex[:8]}"
    bootstrap = create_engine(f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/postgres",
                              isolation_level="AUTOCOMMIT")
    try:
        with scratch_postgres_database("repairbot_scratch", admin_db=admin_db) as url:
            engine = create_engine(url)
            with engine.connect() as conn:
                assert conn.scalar(text("SELECT 1")) == 1
            engine.dispose()
        with bootstrap.connect() as conn:
            names = set(conn.scalars(text("SELECT datname FROM pg_database")))
        assert admin_db in names  # created for the run and kept, like a cluster's `test`
        assert not any(n.startswith("repairbot_scratch_") and n.endswith(url.rsplit("_", 1)[1]) for n in names)
        assert ensure_database(admin_db) is False  # already there: nothing to do
    finally:
        with bootstrap.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{admin_db}" WITH (FORCE)'))
        bootstrap.dispose()
