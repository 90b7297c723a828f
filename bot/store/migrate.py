"""Alembic, configured in code so migrations run from an installed package (no alembic.ini needed).

``bot/store/alembic.ini`` exists only for developers who want the ``alembic`` command line, e.g.
``alembic -c bot/store/alembic.ini revision --autogenerate -m "..."`` (the URL comes from
``DATABASE_URL`` or the embedded default).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations; ``engine`` is reused when given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


# Arbitrary constant naming the migration lock among PostgreSQL advisory locks.
_PG_MIGRATION_LOCK = 0x7265_7061_6972  # "repair"


# Alembic keeps its running context in module globals: one migration at a time per process.
_in_process = threading.Lock()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` up to ``revision``.

    Several processes may start at once (``repairbot serve`` scaled out): on PostgreSQL a session
    advisory lock makes them migrate one after another; the later ones find nothing left to do. On
    SQLite, Alembic runs each migration in its own transaction (SQLite has no transactional DDL), so
    two processes could both read "not yet at 0004" between another's steps; an exclusive lock on a
    file beside the database makes them take turns for the whole upgrade instead.
    """
    with _in_process:
        if engine.dialect.name == "postgresql":
            _upgrade_pg(engine, revision)
        else:
            with _sqlite_migration_lock(engine):
                command.upgrade(alembic_config(engine), revision)


@contextlib.contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    from bot.store.db import is_sqlite_file

    database = engine.url.database
    if not is_sqlite_file(database):
        yield
        return
    with open(f"{os.path.abspath(database)}.migrate.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _upgrade_pg(engine: Engine, revision: str) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        conn.commit()
        try:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK})
            conn.commit()


def head_revision() -> str | None:
    """The newest revision shipped with the code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database (None before the first upgrade)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
