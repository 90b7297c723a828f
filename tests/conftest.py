"""Shared fixtures.

Database tests take the ``db_url`` fixture and so run twice: on a fresh SQLite file and on a fresh
PostgreSQL database (127.0.0.1:5432, user postgres, trust auth). PostgreSQL tests are skipped only
when the server is unreachable on a developer machine; under CI an unreachable server is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bot.store.scratch import PG_HOST, PG_PORT, postgres_reachable, scratch_postgres_database

pytest_plugins = ["fixtures_store", "fixtures_web", "fixtures_browser"]


def _require_pg() -> None:
    if postgres_reachable():
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable; CI must test it")
    pytest.skip(f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable")


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A PostgreSQL database created for this test session and dropped afterwards."""
    _require_pg()
    with scratch_postgres_database("repairbot_test") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """URL of an empty database, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'repairbot.sqlite3'}"
    base = request.getfixturevalue("pg_database_url")
    # Every test gets its own schema-free database state: the store fixture resets tables.
    return base


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch) -> None:
    """Keep generated keys and files out of the developer's ./data during tests."""
    monkeypatch.setenv("REPAIRBOT_DATA", str(tmp_path / "data"))
