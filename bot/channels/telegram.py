"""The Telegram front door: webhook (or long polling) → engine → replies through the Bot API.

- ``POST /telegram/webhook`` (mounted in webhook mode only): the ``X-Telegram-Bot-Api-Secret-Token``
  header must equal the secret (constant-time compare) or the answer is 403 and nothing is read;
  a body that is not an Update is 400; a body over the limit 413. Everything else is 200, once the
  update is handled: Telegram redelivers until it gets a 2xx, and the engine drops a second delivery
  of the same update id.
- Each update is handled inside the request, one at a time per chat: translate
  (``telegram_events``), ask the engine, send the replies at once through the shared sender (PTB with
  ``AIORateLimiter``); what cannot be sent goes to the outbox (``base.deliver``).
- Buttons: callback queries are answered at once (the client stops spinning); a stale or forged
  reference gets "这个选项已过期" and the current prompt again.
- Commands: ``/start`` greets, ``/help`` explains, ``/cancel`` cancels (the dialogs ask to confirm),
  ``/delete`` erases, as "删除我的信息" does on the web.
- Photos: the largest size is fetched with ``getFile``, checked and stored as evidence
  (``bot.evidence``); a location or venue is resolved to the nearest county and confirmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot import attachments
from bot.channels import callback_refs, telegram_events
from bot.channels.base import ChatLocks, Kick, deliver
from bot.channels.choices import current_menu
from bot.channels.location import nearest_county
from bot.channels.settings import TelegramSettings
from bot.channels.telegram_sender import TelegramSender
from bot.engine import Engine
from bot.evidence import Accepted, EvidenceSettings, accept_photo
from bot.messages import InboundMessage, Reply
from bot.store.db import seen_message
from dialogs.texts import say

log = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
WEBHOOK_PATH = "/telegram/webhook"
#: What a command sends to the engine (the same words a customer would type).
COMMAND_TEXT = {"start": "你好", "cancel": "取消", "delete": "删除我的信息"}


class TelegramChannel:
    """Telegram for one engine; the sender is shared with the outbox dispatcher."""

    name = CHANNEL

    def __init__(self, engine: Engine, sender: TelegramSender, settings: TelegramSettings, *,
                 kick: Kick | None = None, poll_in_background: bool = False) -> None:
        self.engine = engine
        self.sender = sender
        self.settings = settings
        self.kick = kick
        self.poll_in_background = poll_in_background
        self.evidence = EvidenceSettings.from_config(engine.config)
        self._locks = ChatLocks()
        self._stop = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    # -- Channel -----------------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        """The webhook route, in webhook mode."""
        if self.settings.mode != "webhook":
            return []
        return [Route(WEBHOOK_PATH, self.webhook, methods=["POST"])]

    async def start(self) -> None:
        """Initialise PTB; in polling mode with ``poll_in_background``, start polling."""
        await self.sender.start()
        if self.settings.mode == "polling" and self.poll_in_background:
            self._stop.clear()
            self._poller = asyncio.get_running_loop().create_task(self.poll(self._stop))

    async def stop(self) -> None:
        """Stop polling and close PTB."""
        self._stop.set()
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        await self.sender.stop()

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Send one reply now (the outbox's sender does the same for proactive rows)."""
        return await self.sender.send(chat_id, reply)

    # -- webhook -----------------------------------------------------------------------------------------
    async def webhook(self, request: Request) -> Response:
        """``POST /telegram/webhook``: check the secret, parse the update, handle it, answer 200."""
        presented = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(presented.encode("utf-8", "replace"), self.settings.webhook_secret.encode()):
            return JSONResponse({"error": "wrong or missing secret token"}, status_code=403)
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > self.settings.max_body_bytes:
                return JSONResponse({"error": "update too large"}, status_code=413)
        update = self.parse_update(bytes(body))
        if update is None:
            return JSONResponse({"error": "not a Telegram Update"}, status_code=400)
        await self.handle(update)
        return Response(status_code=200)

    def parse_update(self, body: bytes) -> Any:
        """A PTB ``Update`` from a webhook body, or None when it is not one."""
        from telegram import Update

        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int) or isinstance(
                data.get("update_id"), bool):
            return None
        try:
            return Update.de_json(data, self.sender.bot)
        except Exception:  # PTB raises KeyError/TypeError/ValueError on malformed objects
            return None

    # -- polling -----------------------------------------------------------------------------------------
    async def poll(self, stop: asyncio.Event, *, max_rounds: int | None = None) -> int:
        """Long-poll ``getUpdates`` until ``stop`` is set (or ``max_rounds``); returns updates handled."""
        from telegram.error import TelegramError

        bot = await self.sender.ready()
        await bot.delete_webhook(drop_pending_updates=False)  # getUpdates is refused while a webhook is set
        offset: int | None = None
        handled = rounds = 0
        while not stop.is_set() and (max_rounds is None or rounds < max_rounds):
            rounds += 1
            try:
                updates = await bot.get_updates(offset=offset, timeout=int(self.settings.poll_timeout_s),
                                                allowed_updates=["message", "callback_query"])
            except TelegramError as exc:
                log.warning("Telegram getUpdates failed (%s); retrying", type(exc).__name__)
                await _sleep_or_stop(stop, 3.0)
                continue
            for update in updates:
                offset = update.update_id + 1
                try:
                    await self.handle(update)
                    handled += 1
                except Exception:
                    log.exception("Telegram update %s failed", update.update_id)
        return handled

    # -- one update --------------------------------------------------------------------------------------
    async def handle(self, update: Any) -> None:
        """Handle one update: translate, ask the engine, send the answer (one chat at a time)."""
        received = telegram_events.from_update(update)
        if received.chat_id is None or isinstance(received.event, telegram_events.Ignored):
            return
        chat_id, key, event = received.chat_id, str(received.update_id), received.event
        async with self._locks(chat_id):
            if isinstance(event, telegram_events.Command) and event.name == "help":
                await self._answer_once(key, chat_id, [Reply(say("channels.help"))])
                return
            if isinstance(event, telegram_events.Pressed):
                value = await self._pressed(event, chat_id)
                if value is None:
                    await self._answer_once(key, chat_id, [await asyncio.to_thread(self._fresh_prompt, chat_id)])
                    return
                message = InboundMessage(CHANNEL, chat_id, key, value)
            else:
                message = await self._inbound(event, chat_id, key)
                if message is None:
                    return
            outcome = await self.engine.respond(message)
            if not outcome.duplicate:
                await deliver(self.sender, self.engine.db, channel=CHANNEL, chat_id=chat_id, replies=outcome.replies,
                              key=key, now=self.engine.clock(), kick=self.kick)

    async def _inbound(self, event: telegram_events.Event, chat_id: str, key: str) -> InboundMessage | None:
        if isinstance(event, telegram_events.Text):
            return InboundMessage(CHANNEL, chat_id, key, event.text)
        if isinstance(event, telegram_events.Command):
            return InboundMessage(CHANNEL, chat_id, key, COMMAND_TEXT.get(event.name, event.text))
        if isinstance(event, telegram_events.Location):
            division = nearest_county(event.latitude, event.longitude)
            return InboundMessage(CHANNEL, chat_id, key, "",
                                  (attachments.location_ref(division.adcode if division else ""),))
        if isinstance(event, telegram_events.Photo):
            if await asyncio.to_thread(self._already_processed, key):
                return None  # a redelivery: do not download the photo again
            return InboundMessage(CHANNEL, chat_id, key, event.caption,
                                  (await self._photo(event, chat_id, key),))
        if isinstance(event, telegram_events.Unsupported):
            return InboundMessage(CHANNEL, chat_id, key, event.caption, (attachments.rejected_ref("unsupported_kind"),))
        return None

    async def _photo(self, event: telegram_events.Photo, chat_id: str, key: str) -> str:
        """Download the photo and keep it as evidence; the attachment reference for the engine."""
        from telegram.error import TelegramError

        limit = self.evidence.max_bytes
        if event.size is not None and event.size > limit:
            return attachments.rejected_ref("too_large")
        try:
            bot = await self.sender.ready()
            tg_file = await bot.get_file(event.file_id)
            if tg_file.file_size is not None and tg_file.file_size > limit:
                return attachments.rejected_ref("too_large")
            data = bytes(await tg_file.download_as_bytearray())
        except (TelegramError, OSError) as exc:
            log.warning("Telegram photo download failed: %s", type(exc).__name__)
            return attachments.rejected_ref("download_failed")
        result = await asyncio.to_thread(
            accept_photo, self.engine.db, channel=CHANNEL, chat_id=chat_id, source_id=f"{key}:{event.source_id}",
            data=data, settings=self.evidence, now=self.engine.clock())
        if isinstance(result, Accepted):
            return attachments.photo_ref(result.evidence_id)
        return attachments.rejected_ref(result.code)

    async def _pressed(self, event: telegram_events.Pressed, chat_id: str) -> str | None:
        """Resolve a pressed button and answer the callback query (with a notice when it is stale)."""
        from datetime import timedelta

        def resolve() -> str | None:
            with self.engine.db.session(readonly=True) as session:
                return callback_refs.resolve(session, channel=CHANNEL, chat_id=chat_id, data=event.data,
                                             now=self.engine.clock(),
                                             ttl=timedelta(days=self.settings.callback_ttl_days))

        value = await asyncio.to_thread(resolve)
        try:
            bot = await self.sender.ready()
            await bot.answer_callback_query(event.query_id,
                                            text=None if value is not None else say("channels.button_expired")[:200])
        except Exception as exc:  # a query older than a few minutes cannot be answered any more; harmless
            log.info("could not answer Telegram callback query: %s", type(exc).__name__)
        return value

    def _fresh_prompt(self, chat_id: str) -> Reply:
        """"This option expired" and whatever the chat is being asked now."""
        with self.engine.db.session(readonly=True) as session:
            menu = current_menu(session, CHANNEL, chat_id)
        expired = say("channels.button_expired")
        if menu is None:
            return Reply(f"{expired}\n{say('welcome_back')}")
        return Reply(f"{expired}\n{menu.text}".strip(), menu.buttons)

    def _already_processed(self, key: str) -> bool:
        from sqlalchemy import select

        from bot.store.models import ProcessedMessage

        with self.engine.db.session(readonly=True) as session:
            return session.scalar(select(ProcessedMessage.message_id).where(
                ProcessedMessage.channel == CHANNEL, ProcessedMessage.message_id == key)) is not None

    async def _answer_once(self, key: str, chat_id: str, replies: list[Reply]) -> None:
        """Answer without the engine (help, a stale button), once per update id."""
        def first_time() -> bool:
            with self.engine.db.session() as session:
                return not seen_message(session, CHANNEL, key)

        if await asyncio.to_thread(first_time):
            await deliver(self.sender, self.engine.db, channel=CHANNEL, chat_id=chat_id, replies=replies, key=key,
                          now=self.engine.clock(), kick=self.kick)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
