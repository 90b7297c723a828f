"""Browser-test fixtures (registered in conftest): the whole app on a real socket, and headless Chromium.

``live``: web chat, API and console served by uvicorn over a fresh SQLite database (``url``, ``app`` with
its dispatcher, ``db``). ``browser``: Debian's Chromium driven by Playwright, closed after the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import uvicorn
from engine_helpers import make_engine

from bot.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live(tmp_path) -> Iterator[SimpleNamespace]:
    """The app on a real socket: ``url``, the ``app`` (its dispatcher) and its ``db``."""
    from fixtures_store import reset_database

    from bot.store.db import Database

    db = Database(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    reset_database(db)
    app = create_app(make_engine(db))
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", app=app, db=db)
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        db.dispose()


@pytest.fixture
def browser():
    """Headless Debian Chromium driven by Playwright, closed after the test."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing (scripts/ensure_chromium.sh installs it)")
        pytest.skip("chromium is not installed")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
