"""Alembic environment: runs against the engine handed over by ``bot.store.migrate`` or the default URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from bot.store.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from bot.store.db import Database

    return Database(config.get_main_option("sqlalchemy.url") or None).engine


def run_migrations_offline() -> None:
    from bot.store.db import default_url

    context.configure(
        url=config.get_main_option("sqlalchemy.url") or default_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite can only ALTER by copying tables; batch mode makes later migrations portable.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Switch SQLite's foreign-key enforcement (only possible outside a transaction, on the raw connection).

    Batch migrations rebuild a table by copying it and dropping the original; with enforcement on, that
    DROP cascades to the children (a rebuilt ``conversation`` would delete every message), so rebuilds
    run with it off and the result is checked before it is switched back on.
    """
    raw = connection.connection.driver_connection
    if on:
        problems = raw.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"migration left foreign keys pointing nowhere: {problems[:5]}")
    raw.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed over by bot.store.migrate (holding the migration lock)
        _run(connection)
        connection.commit()
        return
    with _engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            _run(connection)
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
