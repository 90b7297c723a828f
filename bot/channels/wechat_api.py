"""The WeChat Official Account API, as far as the bot needs it, and the outbox's WeChat sender.

- ``GET /cgi-bin/token``: the access_token, shared by all processes through the database and refreshed
  by one at a time (``platform_tokens``); on 40001/42001/40014 (invalid or expired) it is refreshed once
  and the call retried.
- ``POST /cgi-bin/message/custom/send``: customer-service text messages, allowed within
  ``window_hours`` (48) of the customer's last message; outside it WeChat answers 45015.
- ``POST /cgi-bin/message/template/send``: when a template is configured (config.yml
  ``channels.wechat.template_id``), what may not go as a customer-service message goes as a template.
- ``GET /cgi-bin/media/get``: a photo the customer sent (image messages carry a MediaId).

Every HTTP call has an explicit timeout (``channels.wechat.request_timeout_s``). JSON is sent as UTF-8
without ``\\u`` escapes (WeChat shows those literally). The AppSecret and tokens are never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from bot.channels.platform_tokens import TokenUnavailable, current_token
from bot.channels.settings import WeChatSettings
from bot.channels.wechat_xml import numbered_text, split_utf8
from bot.outbox.senders import PermanentSendError, SendError, TransientSendError
from bot.store.db import Database
from bot.store.models import Conversation
from dialogs.replies import Reply

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry access_token in the URL

INVALID_TOKEN = (40001, 40014, 42001)
OUTSIDE_WINDOW = (45015, 45047)  # 45047: too many messages without an answer from the customer
BUSY = (-1, 45009)


class WeChatError(Exception):
    """WeChat answered with a non-zero ``errcode``."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatApi:
    """A small async client of the Official Account API over one httpx client."""

    def __init__(self, settings: WeChatSettings, db: Database, *, clock: Callable[[], datetime] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock or (lambda: datetime.now().astimezone())
        self.worker = f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def token_name(self) -> str:
        return f"wechat:{self.settings.app_id}"

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(base_url=self.settings.api_base_url,
                                             timeout=httpx.Timeout(self.settings.request_timeout_s),
                                             transport=self._transport)
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _fetch_token(self) -> tuple[str, float]:
        response = await self._http().get("/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self.settings.app_id, "secret": self.settings.app_secret})
        data = _json(response)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatError(int(data.get("errcode") or -1), str(data.get("errmsg") or "no access_token"))
        log.info("WeChat access_token refreshed by %s", self.worker)
        return token, float(data.get("expires_in") or 7200)

    async def access_token(self, *, stale: str | None = None) -> str:
        """The shared token (refreshed when missing, expiring, or ``stale``)."""
        return await current_token(self.db, self.token_name, self._fetch_token, now=self.clock, worker=self.worker,
                                   stale=stale)

    async def call(self, method: str, path: str, *, params: dict[str, str] | None = None,
                   body: dict[str, Any] | None = None, binary: bool = False) -> Any:
        """One API call with the token; an invalid token is refreshed once and the call repeated."""
        token = await self.access_token()
        for attempt in (1, 2):
            content = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
            response = await self._http().request(
                method, path, params={**(params or {}), "access_token": token}, content=content,
                headers={"Content-Type": "application/json; charset=utf-8"} if content is not None else None)
            if binary and response.status_code == 200 and "json" not in response.headers.get("content-type", "") \
                    and "text/plain" not in response.headers.get("content-type", ""):
                return response.content
            data = _json(response)
            code = int(data.get("errcode") or 0)
            if code in INVALID_TOKEN and attempt == 1:
                token = await self.access_token(stale=token)
                continue
            if code:
                raise WeChatError(code, str(data.get("errmsg") or ""))
            return data
        raise AssertionError("unreachable")

    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message."""
        await self.call("POST", "/cgi-bin/message/custom/send",
                        body={"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_template(self, openid: str, text: str) -> str | None:
        """A template message carrying ``text`` in the configured field; returns WeChat's msgid."""
        data = await self.call("POST", "/cgi-bin/message/template/send", body={
            "touser": openid, "template_id": self.settings.template_id,
            "data": {self.settings.template_field: {"value": text}}})
        msgid = data.get("msgid")
        return None if msgid is None else str(msgid)

    async def media(self, media_id: str, max_bytes: int) -> bytes:
        """The file of a MediaId (a customer's photo), refused past ``max_bytes``."""
        data = await self.call("GET", "/cgi-bin/media/get", params={"media_id": media_id}, binary=True)
        if not isinstance(data, bytes):
            raise WeChatError(-2, "media/get returned JSON without a file")
        if len(data) > max_bytes:
            raise ValueError("too large")
        return data


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 500:
        raise httpx.HTTPStatusError(f"WeChat answered {response.status_code}", request=response.request,
                                    response=response)
    try:
        data = response.json()
    except ValueError as exc:
        raise WeChatError(-3, f"not JSON (HTTP {response.status_code})") from exc
    if not isinstance(data, dict):
        raise WeChatError(-3, "not a JSON object")
    return data


class WeChatSender:
    """The outbox's sender for channel ``wechat``: customer-service messages, templates outside the window."""

    records_only = False

    def __init__(self, settings: WeChatSettings, db: Database, *, clock: Callable[[], datetime] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock or (lambda: datetime.now().astimezone())
        self.api = WeChatApi(settings, db, clock=self.clock, transport=transport)

    async def start(self) -> None:
        """Nothing to open ahead: the HTTP client and the token come on first use."""

    async def stop(self) -> None:
        await self.api.aclose()

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Send ``reply`` to the openid ``chat_id`` (numbered choices; a picture is left out on WeChat)."""
        text = numbered_text(reply).strip() or reply.text
        try:
            if await asyncio.to_thread(self._window_closed, chat_id):
                return await self._outside_window(chat_id, text)
            for piece in split_utf8(text):
                await self.api.send_text(chat_id, piece)
            return None
        except WeChatError as exc:
            if exc.errcode in OUTSIDE_WINDOW:
                return await self._outside_window(chat_id, text)
            raise send_error(exc) from exc
        except (httpx.HTTPError, TokenUnavailable) as exc:
            raise TransientSendError(f"WeChat unreachable or failing: {type(exc).__name__}") from exc

    def _window_closed(self, openid: str) -> bool:
        """Has the customer been silent longer than the customer-service window? (None known: ask WeChat.)"""
        with self.db.session(readonly=True) as session:
            last = session.scalar(select(Conversation.last_message_at).where(
                Conversation.channel == "wechat", Conversation.chat_id == openid))
        return last is not None and self.clock() - last > timedelta(hours=self.settings.window_hours)

    async def _outside_window(self, openid: str, text: str) -> str | None:
        if not self.settings.template_id:
            raise PermanentSendError(
                f"outside WeChat's {self.settings.window_hours:g}-hour customer-service window (45015) and no "
                "template message is configured: undeliverable, an operator should call the customer")
        try:
            return await self.api.send_template(openid, text)
        except WeChatError as exc:
            raise send_error(exc) from exc
        except (httpx.HTTPError, TokenUnavailable) as exc:
            raise TransientSendError(f"WeChat unreachable or failing: {type(exc).__name__}") from exc


def send_error(exc: WeChatError) -> SendError:
    """A WeChat error code as the outbox's transient or permanent failure."""
    if exc.errcode in BUSY or exc.errcode in INVALID_TOKEN:
        return TransientSendError(str(exc), retry_after=60.0 if exc.errcode == 45009 else None)
    if exc.errcode == 43004:
        return PermanentSendError("the customer no longer follows the Official Account (43004)")
    return PermanentSendError(str(exc))
