"""``repairbot telegram``: register the webhook with Telegram, or poll for updates on a laptop.

- ``set-webhook URL`` tells Telegram where to post updates (``https://your.host/telegram/webhook``) with
  the secret token the app checks; ``delete-webhook`` removes it.
- ``poll`` is for a machine without a public URL: it removes any webhook and long-polls ``getUpdates``,
  answering through the same engine, and dispatches the outbox (follow-ups, delayed replies) as
  ``repairbot serve`` does. Ctrl-C stops it.

Settings come from the environment (``TELEGRAM_BOT_TOKEN`` …, see README); the token is never printed.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``telegram`` command group."""
    parser = subparsers.add_parser("telegram", help="Telegram bot: set the webhook, or poll for updates")
    sub = parser.add_subparsers(dest="telegram_command", metavar="ACTION", required=True)
    hook = sub.add_parser("set-webhook", help="register URL (…/telegram/webhook) with Telegram")
    hook.add_argument("url", help="public HTTPS URL of POST /telegram/webhook")
    hook.add_argument("--drop-pending", action="store_true", help="discard updates Telegram has queued")
    hook.set_defaults(func=_set_webhook)
    unhook = sub.add_parser("delete-webhook", help="stop Telegram posting updates to the webhook")
    unhook.set_defaults(func=_delete_webhook)
    poll = sub.add_parser("poll", help="long-poll for updates (no public URL needed) and dispatch the outbox")
    poll.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    poll.set_defaults(func=_poll)


def _settings():  # type: ignore[no-untyped-def]
    from bot.channels.settings import TelegramSettings
    from bot.config import load_config

    settings = TelegramSettings.from_env(load_config())
    if settings is None:
        print("TELEGRAM_BOT_TOKEN is not set", file=sys.stderr)
    return settings


def _bot_call(method: str, **kwargs: object) -> int:
    import asyncio

    from telegram import Bot
    from telegram.error import TelegramError

    settings = _settings()
    if settings is None:
        return 2
    if method == "set_webhook":
        kwargs["secret_token"] = settings.webhook_secret
        kwargs["allowed_updates"] = ["message", "callback_query"]

    async def call() -> object:
        async with Bot(settings.token, base_url=settings.api_base_url,
                       base_file_url=settings.file_base_url) as bot:
            return await getattr(bot, method)(**kwargs)

    try:
        asyncio.run(call())
    except TelegramError as exc:
        print(f"Telegram refused: {exc.message}", file=sys.stderr)
        return 1
    print("ok")
    return 0


def _set_webhook(args: argparse.Namespace) -> int:
    if not args.url.startswith("https://"):
        print("Telegram only posts to https:// URLs", file=sys.stderr)
        return 2
    return _bot_call("set_webhook", url=args.url, drop_pending_updates=args.drop_pending)


def _delete_webhook(args: argparse.Namespace) -> int:
    return _bot_call("delete_webhook")


def _poll(args: argparse.Namespace) -> int:
    import asyncio
    import contextlib
    import logging

    from bot.privacy import install_log_masking

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_masking()
    if _settings() is None:
        return 2
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a laptop session ends
        asyncio.run(run_polling(args.url))
    return 0


async def run_polling(url: str | None = None, *, stop: object = None, max_rounds: int | None = None) -> int:
    """Poll Telegram and dispatch the outbox until stopped; returns the number of updates handled."""
    import asyncio

    from bot.app import channel_senders, open_database
    from bot.channels.settings import TelegramSettings
    from bot.channels.telegram import TelegramChannel
    from bot.engine import Engine
    from bot.outbox.dispatcher import Dispatcher
    from bot.scheduler import Scheduler

    db = open_database(url)
    engine = Engine(db)
    settings = TelegramSettings.from_env(engine.config)
    assert settings is not None
    senders = channel_senders(engine.config, db)
    sender = senders["telegram"]
    dispatcher = Dispatcher(db, config=engine.config, senders=senders, clock=engine.clock)
    channel = TelegramChannel(engine, sender, settings, kick=dispatcher.drain)  # type: ignore[arg-type]
    scheduler = Scheduler(engine.tz)
    scheduler.every("outbox", dispatcher.settings.interval_s, dispatcher.drain)
    stop_event = stop if isinstance(stop, asyncio.Event) else asyncio.Event()
    await channel.start()
    scheduler.start()
    try:
        return await channel.poll(stop_event, max_rounds=max_rounds)
    finally:
        scheduler.shutdown()
        await channel.stop()
        db.dispose()
