"""SQLite WAL checkpoints off the turn path.

SQLite checkpoints in whichever connection commits the transaction that takes the write-ahead log past
``wal_autocheckpoint`` pages (1,000 by default): that turn copies about 4 MB into the database file and
syncs it, 5–10 ms, while every other turn waits behind the one writer. Measured in the turn bench at
100 chats: 8–11 such commits per run, each stalling the queue.

So connections to a file database checkpoint on commit only as a backstop (:data:`BACKSTOP_PAGES`), and
one daemon thread per process runs a ``PASSIVE`` checkpoint of every open file database about once a
second, when its log has changed. ``PASSIVE`` neither waits for nor blocks the writer (SQLite lets a
checkpoint and a write transaction run at once in WAL mode), and frames a reader still needs are left
for the next round. The thread runs no Python while SQLite works: the turn threads keep the GIL.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time

log = logging.getLogger(__name__)

# A commit still checkpoints when the log reaches this many pages (~40 MB): only if the thread cannot
# keep up (a reader holding an old snapshot for minutes), never in normal operation.
BACKSTOP_PAGES = 10_000
INTERVAL_S = 1.0


def checkpoint(path: str) -> tuple[int, int, int]:
    """One ``PASSIVE`` checkpoint of the database file at ``path``: SQLite's (busy, log frames,
    checkpointed frames)."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    try:
        busy, frames, done = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(frames), int(done)
    finally:
        connection.close()


class Checkpointer:
    """The files to checkpoint (reference-counted by the :class:`bot.store.db.Database` objects that use
    them) and the thread that does it; the thread ends when no file is left."""

    def __init__(self, interval_s: float = INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._files: dict[str, int] = {}
        self._seen: dict[str, int] = {}  # the log's modification time at the last checkpoint
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, path: str) -> None:
        """Checkpoint ``path`` from now on (once per call to :meth:`remove`)."""
        path = os.path.abspath(path)
        with self._lock:
            self._files[path] = self._files.get(path, 0) + 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)
                self._thread.start()

    def remove(self, path: str) -> None:
        """Undo one :meth:`add` of ``path``."""
        path = os.path.abspath(path)
        with self._lock:
            left = self._files.get(path, 0) - 1
            if left > 0:
                self._files[path] = left
            else:
                self._files.pop(path, None)
                self._seen.pop(path, None)

    def files(self) -> list[str]:
        """The files checkpointed now."""
        with self._lock:
            return sorted(self._files)

    def run_once(self) -> int:
        """Checkpoint every file whose log changed since its last checkpoint; returns how many."""
        done = 0
        for path in self.files():
            try:
                changed = os.stat(path + "-wal").st_mtime_ns
            except FileNotFoundError:  # not in WAL mode (yet), or closed and cleaned up
                continue
            if self._seen.get(path) == changed:
                continue
            try:
                checkpoint(path)
            except sqlite3.Error as exc:  # e.g. the file is being replaced; the next round tries again
                log.warning("background checkpoint of %s failed: %s", os.path.basename(path), exc)
                continue
            with self._lock:
                if path in self._files:
                    self._seen[path] = changed
            done += 1
        return done

    def _run(self) -> None:
        while True:
            time.sleep(self.interval_s)
            with self._lock:
                if not self._files:
                    self._thread = None
                    return
            try:
                self.run_once()
            except Exception:  # the thread must outlive one bad round
                log.exception("background checkpoints failed")


CHECKPOINTER = Checkpointer()
