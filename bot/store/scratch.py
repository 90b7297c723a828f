"""Throw-away PostgreSQL databases for the test suite and the benchmarks.

Each gets a unique name, so parallel runs and several sessions on one server never share state. The
server's ``test`` database is the admin connection; a stock cluster has only ``postgres``, so ``test``
is created (through ``postgres``) the first time it is missing.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))
ADMIN_DB = os.environ.get("TEST_PG_ADMIN_DB", "test")
# Every cluster has this one (initdb creates it), so it can always create the admin database.
_BOOTSTRAP_DB = "postgres"


def postgres_reachable(host: str = PG_HOST, port: int = PG_PORT) -> bool:
    """True when something accepts TCP connections at the PostgreSQL address."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _url(host: str, port: int, database: str) -> str:
    return f"postgresql+psycopg://postgres@{host}:{port}/{database}"


def ensure_database(name: str, host: str = PG_HOST, port: int = PG_PORT) -> bool:
    """Create database ``name`` unless it exists; True when this call created it.

    Two test runs starting together may both find it missing: the loser's duplicate-database error
    means the database is there, which is all either wanted.
    """
    engine = create_engine(_url(host, port, _BOOTSTRAP_DB), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                return False
            try:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            except ProgrammingError as exc:
                if getattr(exc.orig, "sqlstate", None) == "42P04":  # duplicate_database
                    return False
                raise
            return True
    finally:
        engine.dispose()


@contextmanager
def scratch_postgres_database(prefix: str, host: str = PG_HOST, port: int = PG_PORT,
                              admin_db: str = ADMIN_DB) -> Iterator[str]:
    """Create an empty database (user postgres, trust auth; ``admin_db`` is the admin connection and
    is created when missing), yield its URL, drop it afterwards."""
    admin = create_engine(_url(host, port, admin_db), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        try:
            conn = admin.connect()
        except OperationalError:
            ensure_database(admin_db, host, port)
            conn = admin.connect()
        with conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield _url(host, port, name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
