"""SQLite WAL checkpoints run on a background thread, not in the commit of some customer's turn."""

from __future__ import annotations

import os
import sqlite3
import time

from sqlalchemy import text

from bot.store.checkpoints import BACKSTOP_PAGES, CHECKPOINTER, Checkpointer
from bot.store.db import Database

ROWS = 1_600  # ~6.5 MB of pages: past SQLite's default autocheckpoint (1,000 pages), short of the backstop


def _fill(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (body TEXT)"))
    blob = "x" * 4000
    for _ in range(ROWS // 100):  # many commits, as turns make them
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO filler (body) VALUES (:b)"), [{"b": blob}] * 100)


def test_commits_leave_the_checkpoint_to_the_background(tmp_path) -> None:
    path = str(tmp_path / "turns.sqlite3")
    db = Database(f"sqlite:///{path}")
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
        quiet = Checkpointer(interval_s=3600)  # a checkpointer of our own, driven by hand
        quiet.add(path)
        CHECKPOINTER.remove(path)  # keep the process's thread off this file while we look
        _fill(db)
        before = os.path.getsize(path)
        assert os.path.getsize(path + "-wal") > 4_000 * ROWS  # the rows are in the log, not the file
        assert before < 1_000_000
        assert quiet.run_once() == 1
        assert os.path.getsize(path) > 4_000 * ROWS  # copied into the database file
        assert quiet.run_once() == 0  # nothing new in the log: no second checkpoint
        CHECKPOINTER.add(path)  # balance the remove above for dispose()
    finally:
        db.dispose()


def test_the_process_thread_checkpoints_open_files_and_forgets_disposed_ones(tmp_path) -> None:
    path = str(tmp_path / "served.sqlite3")
    db = Database(f"sqlite:///{path}")
    try:
        assert os.path.abspath(path) in CHECKPOINTER.files()
        _fill(db)
        deadline = time.monotonic() + 10
        while os.path.getsize(path) < 4_000 * ROWS and time.monotonic() < deadline:
            time.sleep(0.1)
        assert os.path.getsize(path) > 4_000 * ROWS
        with db.engine.connect() as conn:  # the data is whole after the background checkpoint
            assert conn.exec_driver_sql("SELECT count(*) FROM filler").scalar() == ROWS
    finally:
        db.dispose()
    assert os.path.abspath(path) not in CHECKPOINTER.files()


def test_a_file_being_written_is_checkpointed_without_blocking_the_writer(tmp_path) -> None:
    path = str(tmp_path / "busy.sqlite3")
    db = Database(f"sqlite:///{path}")
    try:
        _fill(db)
        writer = sqlite3.connect(path, timeout=0, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO filler (body) VALUES ('held')")
        quiet = Checkpointer(interval_s=3600)
        quiet.add(path)
        assert quiet.run_once() == 1  # PASSIVE: went ahead beside an open write transaction
        writer.execute("COMMIT")
        writer.close()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM filler").scalar() == ROWS + 1
    finally:
        db.dispose()
