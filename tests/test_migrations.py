"""Migrations: up from empty on both backends, and the migration equals the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fixtures_store import drop_everything
from sqlalchemy import inspect

from bot.store.db import Database
from bot.store.migrate import head_revision
from bot.store.models import Base


def test_upgrade_from_empty_creates_every_table(db_url):
    db = Database(db_url)
    try:
        drop_everything(db)
        assert db.revision() is None
        db.upgrade()
        assert db.revision() == head_revision()
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        db.upgrade()  # idempotent
        assert db.revision() == head_revision()
    finally:
        db.dispose()


def test_migration_matches_models(db_url):
    db = Database(db_url)
    try:
        drop_everything(db)
        db.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
    finally:
        db.dispose()


def test_downgrade_to_base_and_back(db_url):
    from alembic import command

    from bot.store.migrate import alembic_config

    db = Database(db_url)
    try:
        drop_everything(db)
        db.upgrade()
        command.downgrade(alembic_config(db.engine), "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.upgrade()
        assert db.revision() == head_revision()
    finally:
        db.dispose()


def test_concurrent_upgrades_from_empty(db_url):
    """Processes starting together all end at head; none fails on tables another just created."""
    import subprocess
    import sys

    db = Database(db_url)
    drop_everything(db)
    db.dispose()
    script = "import sys; from bot.store.db import Database; d = Database(sys.argv[1]); d.upgrade(); d.dispose()"
    procs = [subprocess.Popen([sys.executable, "-c", script, db_url], stderr=subprocess.PIPE) for _ in range(4)]
    failures = [p.stderr.read().decode() for p in procs if p.wait(120) != 0]
    assert failures == []
    db = Database(db_url)
    try:
        assert db.revision() == head_revision()
    finally:
        db.dispose()
