"""Wiring: open the database (migrated, technicians loaded), build the engine and the Starlette app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette

from bot.config import load_config
from bot.engine import Engine
from bot.store.db import Database, default_url
from bot.text_guard import MAX_TEXT_CHARS


def open_database(url: str | None = None, *, prepare: bool = True) -> Database:
    """The database from ``url``/``DATABASE_URL``/./data; with ``prepare``, migrated and technicians synced.

    Both steps are idempotent, so every start-up (and every ``repairbot chat``) can run them.
    """
    db = Database(url or default_url())
    if prepare:
        from bot.technicians import sync_from_config

        db.upgrade()
        with db.session() as session:
            sync_from_config(session, load_config())
    return db


def server_settings(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``server`` section of config.yml with defaults."""
    section = (config or load_config()).get("server") or {}
    return {
        "host": str(section.get("host", "127.0.0.1")),
        "port": int(section.get("port", 8000)),
        "max_body_bytes": int(section.get("max_body_bytes", 65536)),
        "max_text_chars": int(section.get("max_text_chars", MAX_TEXT_CHARS)),
    }


def create_app(engine: Engine | None = None, *, database_url: str | None = None) -> Starlette:
    """The web app: chat page, chat API and health check, over ``engine`` (built on demand)."""
    from bot.channels.web import ERROR_HANDLERS, routes

    owned = engine is None
    if engine is None:
        engine = Engine(open_database(database_url))
    settings = server_settings(engine.config)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            engine.db.dispose()

    app = Starlette(
        routes=routes(engine, max_body_bytes=settings["max_body_bytes"], max_text_chars=settings["max_text_chars"]),
        lifespan=lifespan,
        exception_handlers=ERROR_HANDLERS,
    )
    app.state.engine = engine
    return app
