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


def test_upgrading_a_database_with_data_keeps_every_row(db_url):
    """Each migration runs on a database that has data: rebuilding a parent table on SQLite must not
    cascade-delete its children (foreign keys are off while tables are copied)."""
    from alembic import command
    from sqlalchemy import text

    from bot.store.migrate import alembic_config

    db = Database(db_url)
    try:
        drop_everything(db)
        command.upgrade(alembic_config(db.engine), "0001")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO conversation (id, channel, chat_id, state, misunderstood_count, created_at,"
                              " updated_at) VALUES (1, 'web', 'c1', :blob, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                         {"blob": b"\x00"})
            conn.execute(text("INSERT INTO ticket (id, conversation_id, status, created_at, updated_at) "
                              "VALUES (1, 1, 'collecting', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            for i in range(3):
                conn.execute(text("INSERT INTO message (conversation_id, direction, erased, created_at) "
                                  "VALUES (1, :d, false, CURRENT_TIMESTAMP)"), {"d": "in" if i % 2 == 0 else "out"})
        db.upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM message")).scalar() == 3
            assert conn.execute(text("SELECT conversation_id FROM ticket")).scalar() == 1
            assert conn.execute(text("SELECT author FROM message WHERE direction = 'in' LIMIT 1")).scalar() == "customer"
    finally:
        db.dispose()
