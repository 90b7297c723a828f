"""The WeChat Official Account front door: ``GET /wechat`` (URL verification) and ``POST /wechat`` (messages).

- Signature (and ``msg_signature`` in safe mode) wrong, missing or too old → 403; nothing is read.
  Malformed, oversized or hostile XML (DTDs, entity bombs, external entities) → 400 without expansion.
- A message is answered *passively* (XML in the HTTP response, encrypted in safe mode) when the answer
  is ready within ``channels.wechat.passive_reply_s`` (4 s: WeChat gives up at 5 and retries). Otherwise
  the response is ``success`` and the answer, once ready, goes out through the customer-service API as
  an outbox row (kind ``reply``), and the dispatcher is woken at once.
- WeChat's retries of the same message (by ``MsgId``; events by ``FromUserName`` + ``CreateTime``) are
  processed once: the engine drops the duplicate, and a duplicate gets ``success``.
- Buttons are numbered lines; a reply with the number or the label is turned into the button's value
  before the engine sees it (``choices``).
- Text, images (fetched through ``media/get`` and kept as evidence), voice with WeChat's recognition
  text, locations (nearest county, confirmed), subscribe (greeting) and unsubscribe (recorded, no reply).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot import attachments
from bot.channels import wechat_events as ev
from bot.channels.base import ChatLocks, Kick, combine, enqueue_reply
from bot.channels.choices import current_menu, pressed_value
from bot.channels.location import nearest_county
from bot.channels.settings import WeChatSettings
from bot.channels.wechat_api import WeChatSender
from bot.channels.wechat_xml import (
    BadMessage,
    BadSignature,
    check_signature,
    decrypt,
    encrypt_reply,
    numbered_text,
    parse_xml,
    passive_text,
)
from bot.engine import Engine
from bot.evidence import Accepted, EvidenceSettings, accept_photo
from bot.messages import InboundMessage, Reply
from bot.outbox.senders import Sender
from bot.store.db import seen_message
from dialogs.texts import say

log = logging.getLogger(__name__)

CHANNEL = "wechat"
PATH = "/wechat"
SUCCESS = "success"
#: WeChat's limit for a passive text reply; longer answers go through the customer-service API.
MAX_PASSIVE_BYTES = 2000


class WeChatChannel:
    """WeChat for one engine. ``sender`` is None without AppID/AppSecret (passive replies only)."""

    name = CHANNEL

    def __init__(self, engine: Engine, settings: WeChatSettings, sender: Sender | None, *,
                 kick: Kick | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.sender = sender if isinstance(sender, WeChatSender) else None
        self.kick = kick
        self.evidence = EvidenceSettings.from_config(engine.config)
        self._locks = ChatLocks()
        self._pending: set[asyncio.Task[Any]] = set()

    # -- Channel -----------------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, self.verify, methods=["GET"]), Route(PATH, self.receive, methods=["POST"])]

    async def start(self) -> None:
        """Nothing to open: the API client connects on first use."""

    async def stop(self) -> None:
        """Let answers still being prepared finish (they end in the outbox), then close the client."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self.sender is not None:
            await self.sender.stop()

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """A customer-service message now (needs AppID and AppSecret)."""
        if self.sender is None:
            raise RuntimeError("WeChat customer-service messages need WECHAT_APP_ID and WECHAT_APP_SECRET")
        return await self.sender.send(chat_id, reply)

    async def idle(self) -> None:
        """Wait for answers that missed the passive-reply window (tests, shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    # -- HTTP --------------------------------------------------------------------------------------------
    async def verify(self, request: Request) -> Response:
        """``GET /wechat``: echo ``echostr`` when the signature is ours (the URL check in the admin console)."""
        params = dict(request.query_params)
        try:
            check_signature(self.settings, params)
        except BadSignature:
            return PlainTextResponse("bad signature", status_code=403)
        return PlainTextResponse(params.get("echostr", "")[:128])

    async def receive(self, request: Request) -> Response:
        """``POST /wechat``: check, parse, answer passively within the budget or via the outbox."""
        params = dict(request.query_params)
        try:
            check_signature(self.settings, params)
        except BadSignature:
            return PlainTextResponse("bad signature", status_code=403)
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > self.settings.max_body_bytes:
                return PlainTextResponse("message too large", status_code=400)
        try:
            fields = parse_xml(bytes(body))
            if self.settings.safe_mode:
                fields = decrypt(self.settings, params, fields)
            received = ev.from_fields(fields)
        except BadSignature:
            return PlainTextResponse("bad signature", status_code=403)
        except BadMessage as exc:
            log.info("WeChat message refused: %s", exc)
            return PlainTextResponse("bad message", status_code=400)
        task = asyncio.get_running_loop().create_task(self._answer(received))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        done, _ = await asyncio.wait({task}, timeout=self.settings.passive_reply_s)
        if not done:
            # Too slow for a passive reply: answer WeChat now, deliver through the customer-service API.
            task.add_done_callback(lambda t: self._late(received, t))
            return PlainTextResponse(SUCCESS)
        reply = task.result()
        text = numbered_text(reply) if reply is not None else ""
        if not text:
            return PlainTextResponse(SUCCESS)
        if len(text.encode("utf-8")) > MAX_PASSIVE_BYTES:
            self._late(received, task)
            return PlainTextResponse(SUCCESS)
        xml = passive_text(to_user=received.openid, from_user=received.account, content=text)
        if self.settings.safe_mode:
            xml = encrypt_reply(self.settings, xml, params.get("nonce", ""), str(int(time.time())))
        return Response(xml, media_type="application/xml")

    def _late(self, received: ev.Received, task: asyncio.Task[Reply | None]) -> None:
        """The answer missed the passive window (or is too long): queue it for the customer-service API."""
        if task.cancelled() or task.exception() is not None:
            return
        reply = task.result()
        if reply is None:
            return

        async def queue() -> None:
            await asyncio.to_thread(enqueue_reply, self.engine.db, channel=CHANNEL, chat_id=received.openid,
                                    reply=reply, key=received.key, due=self.engine.clock())
            if self.sender is None:
                log.warning("a late WeChat answer is queued but WECHAT_APP_ID/WECHAT_APP_SECRET are not set")
            elif self.kick is not None:
                await self.kick()

        task = asyncio.get_running_loop().create_task(queue())
        self._pending.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("queueing a late WeChat answer failed", exc_info=task.exception())

    # -- one message -------------------------------------------------------------------------------------
    async def _answer(self, received: ev.Received) -> Reply | None:
        """The whole answer to one message as one reply (WeChat's passive reply is one message), or None."""
        event = received.event
        async with self._locks(received.openid):
            if isinstance(event, ev.Ignored | ev.Unsubscribe):
                await asyncio.to_thread(self._record_once, received.key)
                return None
            if isinstance(event, ev.Subscribe):
                first = await asyncio.to_thread(self._record_once, received.key)
                return Reply(say("greet")) if first else None
            message = await self._inbound(received)
            outcome = await self.engine.respond(message)
            if outcome.duplicate or not outcome.replies:
                return None
            return combine(outcome.replies)

    async def _inbound(self, received: ev.Received) -> InboundMessage:
        event, openid, key = received.event, received.openid, received.key
        if isinstance(event, ev.Text):
            menu = await asyncio.to_thread(self._menu, openid)
            return InboundMessage(CHANNEL, openid, key, pressed_value(event.text, menu))
        if isinstance(event, ev.Location):
            division = nearest_county(event.latitude, event.longitude)
            return InboundMessage(CHANNEL, openid, key, "", (attachments.location_ref(division.adcode if division else ""),))
        if isinstance(event, ev.Image):
            return InboundMessage(CHANNEL, openid, key, "", (await self._photo(event, openid, key),))
        code = "voice_unrecognised" if isinstance(event, ev.Unsupported) and event.kind == "voice" else "unsupported_kind"
        return InboundMessage(CHANNEL, openid, key, "", (attachments.rejected_ref(code),))

    async def _photo(self, event: ev.Image, openid: str, key: str) -> str:
        if self.sender is None:
            return attachments.rejected_ref("download_failed")
        try:
            data = await self.sender.api.media(event.media_id, self.evidence.max_bytes)
        except ValueError:
            return attachments.rejected_ref("too_large")
        except Exception as exc:  # network, WeChat error, token trouble: ask the customer to send it again
            log.warning("WeChat media download failed: %s", type(exc).__name__)
            return attachments.rejected_ref("download_failed")
        result = await asyncio.to_thread(accept_photo, self.engine.db, channel=CHANNEL, chat_id=openid, source_id=key,
                                         data=data, settings=self.evidence, now=self.engine.clock())
        return attachments.photo_ref(result.evidence_id) if isinstance(result, Accepted) else \
            attachments.rejected_ref(result.code)

    def _menu(self, openid: str) -> Reply | None:
        with self.engine.db.session(readonly=True) as session:
            return current_menu(session, CHANNEL, openid)

    def _record_once(self, key: str) -> bool:
        """Record an event handled outside the engine; True the first time."""
        with self.engine.db.session() as session:
            return not seen_message(session, CHANNEL, key)
