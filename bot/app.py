"""Wiring: open the database (migrated, technicians loaded), build the engine and the Starlette app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from starlette.applications import Starlette

from bot.channels.base import Channel
from bot.config import load_config
from bot.engine import Engine, turn_workers
from bot.outbox.senders import Sender
from bot.scheduler import DailyJob
from bot.store.db import Database, default_url
from bot.text_guard import MAX_TEXT_CHARS


def open_database(url: str | None = None, *, prepare: bool = True) -> Database:
    """The database from ``url``/``DATABASE_URL``/./data; with ``prepare``, migrated and technicians synced
    (config.yml and the demo roster, see :func:`bot.technicians.sync_roster`).

    Both steps are idempotent, so every start-up (and every ``repairbot chat``) can run them.
    """
    db = Database(url or default_url(), pool_size=pool_size(load_config()))
    if prepare:
        from bot.technicians import sync_roster

        db.upgrade()
        with db.session() as session:
            sync_roster(session, load_config())
    return db


# Connections beyond the turn workers: the outbox dispatcher, console pages, web history and updates
# (asyncio.to_thread), each holding one briefly.
POOL_SPARE = 4


def pool_size(config: dict[str, Any]) -> int:
    """PostgreSQL connections to keep open: one per turn worker (``server.turn_workers``) plus spares,
    so a turn never waits for a connection while its worker thread is free (overflow covers bursts)."""
    return turn_workers(config) + POOL_SPARE


def server_settings(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``server`` section of config.yml with defaults."""
    section = (config or load_config()).get("server") or {}
    return {
        "host": str(section.get("host", "127.0.0.1")),
        "port": int(section.get("port", 8000)),
        "max_body_bytes": int(section.get("max_body_bytes", 65536)),
        "max_text_chars": int(section.get("max_text_chars", MAX_TEXT_CHARS)),
    }


def channel_senders(config: dict[str, Any], db: Database | None = None, *,
                    clock: Callable[[], datetime] | None = None) -> dict[str, Sender]:
    """Senders of the messaging platforms configured in this process's environment.

    The web chat and the terminal need none (their delivery is the stored history row, see
    ``bot.outbox.senders``). Telegram registers when ``TELEGRAM_BOT_TOKEN`` is set, WeChat when
    ``WECHAT_TOKEN``, ``WECHAT_APP_ID`` and ``WECHAT_APP_SECRET`` are (its customer-service API needs
    them). Both keep state in ``db`` (button references, the access token); without one they are not
    registered and their rows wait for a process that has it. ``clock`` is the engine's (WeChat's
    48-hour window is measured with it).
    """
    if db is None:
        return {}
    from bot.channels.settings import TelegramSettings, WeChatSettings

    senders: dict[str, Sender] = {}
    telegram = TelegramSettings.from_env(config)
    if telegram is not None:
        from bot.channels.telegram_sender import TelegramSender

        senders["telegram"] = TelegramSender(telegram, db, clock=clock)
    wechat = WeChatSettings.from_env(config)
    if wechat is not None and wechat.can_send:
        from bot.channels.wechat_api import WeChatSender

        senders["wechat"] = WeChatSender(wechat, db, clock=clock)
    return senders


def platform_channels(engine: Engine, senders: dict[str, Sender], *, background: bool = False) -> list[Channel]:
    """The messenger front doors configured in the environment, sharing ``senders`` with the dispatcher."""
    from bot.channels.settings import TelegramSettings, WeChatSettings

    channels: list[Channel] = []
    telegram = TelegramSettings.from_env(engine.config)
    if telegram is not None:
        from bot.channels.telegram import TelegramChannel
        from bot.channels.telegram_sender import TelegramSender

        sender = senders.get("telegram")
        assert isinstance(sender, TelegramSender)
        channels.append(TelegramChannel(engine, sender, telegram, poll_in_background=background))
    wechat = WeChatSettings.from_env(engine.config)
    if wechat is not None:
        from bot.channels.wechat import WeChatChannel

        channels.append(WeChatChannel(engine, wechat, senders.get("wechat")))
    return channels


def retention_job(engine: Engine) -> DailyJob:
    """The daily retention pass (PIPL): old message texts erased, de-duplication ids pruned."""
    from bot.retention import RetentionPolicy, daily_maintenance

    at = RetentionPolicy.from_config(engine.config).run_at  # a bad value stops start-up, naming the key

    async def run() -> None:
        await asyncio.to_thread(daily_maintenance, engine.db, engine.clock(), engine.config)

    return DailyJob("retention", at.hour, at.minute, run)


def create_app(engine: Engine | None = None, *, database_url: str | None = None, background: bool = False) -> Starlette:
    """The web app: chat page, chat API, health check and the console at ``/console``, over ``engine``.

    ``app.state.dispatcher`` sends due outbox rows; with ``background`` (``repairbot serve``) the
    scheduler runs it every ``followups.outbox.interval_s`` seconds, starting at once, and makes the
    managers' weekly digest at config.yml ``console.digest``. ``app.state.console`` is the console's
    shared state (its live hub, settings). Messenger
    channels configured in the environment (Telegram, WeChat) mount their webhooks here and start and
    stop with the app; with ``background`` and ``TELEGRAM_MODE=polling``, Telegram is polled instead.
    """
    from starlette.middleware import Middleware

    from bot.channels.http_security import SecurityHeadersMiddleware
    from bot.channels.web import ERROR_HANDLERS, routes
    from bot.channels.web_updates import UpdateNotifier
    from bot.console.app import build_console, console_mount
    from bot.outbox.dispatcher import Dispatcher
    from bot.scheduler import Scheduler

    owned = engine is None
    if engine is None:
        engine = Engine(open_database(database_url))
    settings = server_settings(engine.config)
    notifier = UpdateNotifier()
    senders = channel_senders(engine.config, engine.db, clock=engine.clock)
    dispatcher = Dispatcher(engine.db, config=engine.config, senders=senders,
                            clock=engine.clock, on_delivered=notifier.notify)
    channels = platform_channels(engine, senders, background=background)
    for channel in channels:
        channel.kick = dispatcher.drain

    console = build_console(engine, dispatcher=dispatcher)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        scheduler = app.state.scheduler = Scheduler(engine.tz)
        for channel in channels:
            await channel.start()
        if background:
            scheduler.every("outbox", dispatcher.settings.interval_s, dispatcher.drain)
            scheduler.daily(retention_job(engine))
            digest = console.settings.digest
            scheduler.weekly("digest", digest.day, digest.hour, digest.minute, weekly_digest_job(engine))
            scheduler.start()
        try:
            yield
        finally:
            scheduler.shutdown()
            await console.hub.close()
            for channel in channels:
                await channel.stop()
            engine.close()  # the turn workers; a new lifespan starts them again on first use
            if owned:
                engine.db.dispose()

    app = Starlette(
        routes=[route for channel in channels for route in channel.routes()]
        + routes(engine, max_body_bytes=settings["max_body_bytes"], max_text_chars=settings["max_text_chars"],
                 notifier=notifier) + [console_mount(engine, console=console)],
        lifespan=lifespan,
        exception_handlers=ERROR_HANDLERS,
        middleware=[Middleware(SecurityHeadersMiddleware)],
    )
    app.state.engine = engine
    app.state.dispatcher = dispatcher
    app.state.notifier = notifier
    app.state.console = console
    app.state.channels = {channel.name: channel for channel in channels}
    return app


def weekly_digest_job(engine: Engine) -> Callable[[], Awaitable[None]]:
    """The scheduled job that makes last week's digest (once per week, whichever process fires first)."""
    import asyncio

    from bot.config import data_dir
    from bot.reports.digest import make_digest, manager_chat_id

    def make() -> None:
        with engine.db.session() as session:
            make_digest(session, now=engine.clock(), tz=engine.tz, data_dir=data_dir(),
                        manager_chat_id=manager_chat_id())

    async def job() -> None:
        await asyncio.to_thread(make)

    return job
