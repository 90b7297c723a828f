"""Throw-away PostgreSQL databases for the test suite and the benchmarks.

Each gets a unique name, so parallel runs and several sessions on one server never share state.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))


def postgres_reachable(host: str = PG_HOST, port: int = PG_PORT) -> bool:
    """True when something accepts TCP connections at the PostgreSQL address."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def scratch_postgres_database(prefix: str, host: str = PG_HOST, port: int = PG_PORT) -> Iterator[str]:
    """Create an empty database (user postgres, trust auth; the server's `test` database is the
    admin connection), yield its URL, drop it afterwards."""
    admin = create_engine(f"postgresql+psycopg://postgres@{host}:{port}/test", isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield f"postgresql+psycopg://postgres@{host}:{port}/{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
