"""The web chat front door: the chat API, the chat page at ``/`` and ``GET /healthz``.

Contract (docs/contracts.md):

- ``POST /api/chat`` ``{"text": "...", "message_id"?: "..."}`` →
  ``{"replies": [{"text", "buttons": [{"label", "value"}]}], "ticket": TICKET | null}``. Without a chat
  token it starts a new chat and the answer adds ``"chat_token"`` (also set as an HttpOnly cookie); with
  one (cookie or ``Authorization: Bearer``) it continues that chat; a forged or unknown token is 401.
  ``"user"`` is accepted and ignored: identity is the server's to issue (``web_identity``).
  Only ``Content-Type: application/json`` is accepted (415 otherwise), so a cross-site form cannot post
  into someone's chat with their cookie.
- ``GET /api/chat/updates?after=CURSOR&wait=SECONDS``: what was sent on the bot's or an operator's
  initiative after the cursor, long-polled (``web_updates``).
- ``GET /api/chat/history``: the whole chat and its ticket, for a page reload.
- ``POST /api/chat/photo`` (body: the image itself, ``Content-Type: image/jpeg|png|webp``, optional
  ``?message_id=``): a photo for the ticket, checked and kept as evidence (``bot.evidence``); answers
  like ``/api/chat``. Other types are 415, bodies over ``evidence.max_bytes`` 413; a file that is not
  really an image gets the bot's clear reply and is not kept. A cross-site form cannot send an image
  content type without a CORS preflight, so this is as safe from CSRF as the JSON endpoint.

An optional ``"message_id"`` makes a retried request idempotent (a duplicate gets no new replies).
Bad requests get a JSON ``{"error": "中文说明 / English explanation"}`` with 400 (malformed), 401 (no or
bad token), 413 (too large) or 415 (not JSON); so do unknown paths (404), wrong methods (405) and an
unexpected server fault (500): a web client never has to parse an HTML or plain-text error page.
"""

from __future__ import annotations

import asyncio
import html
import json
import uuid
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot import attachments
from bot.channels.web_identity import chat_of, new_token, presented_token, set_cookie
from bot.channels.web_updates import (
    RECHECK_S,
    UpdateNotifier,
    conversation_id,
    history,
    latest_id,
    proactive_after,
)
from bot.engine import Engine, Outcome
from bot.evidence import Accepted, EvidenceSettings, accept_photo
from bot.messages import InboundMessage
from bot.text_guard import MAX_ID_CHARS, MAX_TEXT_CHARS
from dialogs.texts import say

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MAX_MESSAGE_ID_CHARS = MAX_ID_CHARS
_STATIC = {"chat.js": "text/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8"}


class BadRequest(Exception):
    """A request the API refuses, with its HTTP status and a message for the caller in Chinese and English."""

    def __init__(self, status: int, chinese: str, english: str) -> None:
        self.status = status
        self.message = bilingual(chinese, english)
        super().__init__(self.message)


def bilingual(chinese: str, english: str) -> str:
    """One error text for both audiences: the customer-facing page is Chinese, API integrators read English."""
    return f"{chinese} / {english}"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BadRequest(413, f"请求内容超过 {limit} 字节", f"request body larger than {limit} bytes")
        except ValueError as exc:
            raise BadRequest(400, "Content-Length 无效", "invalid Content-Length") from exc
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise BadRequest(413, f"请求内容超过 {limit} 字节", f"request body larger than {limit} bytes")
    return bytes(body)


def parse_chat_request(body: bytes, *, max_text_chars: int) -> tuple[str, str | None]:
    """Validate a chat request body; returns (text, message_id) or raises :class:`BadRequest`.

    ``"user"`` may be present (older clients send it) and is ignored: it is not identity.
    """
    if not body.strip():
        raise BadRequest(400, '请求内容为空', 'empty body: send JSON {"text": "..."}')
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(400, "请求内容不是有效的 UTF-8 JSON", f"body is not valid UTF-8 JSON: {exc}") from exc
    except RecursionError as exc:  # "[[[[…" thousands deep fits in the size limit and exhausts the parser
        raise BadRequest(400, "请求内容嵌套过深", "body is not valid JSON: nested too deeply") from exc
    if not isinstance(data, dict):
        raise BadRequest(400, "请求内容必须是 JSON 对象", 'body must be a JSON object {"text": "..."}')
    text, message_id = data.get("text"), data.get("message_id")
    if not isinstance(text, str):
        raise BadRequest(400, "text 必须是字符串", '"text" must be a string')
    if len(text) > max_text_chars:
        raise BadRequest(413, f"text 超过 {max_text_chars} 个字符", f'"text" longer than {max_text_chars} characters')
    # bool is an int to Python, but ``true`` is no message id.
    if message_id is not None and (not isinstance(message_id, str | int) or isinstance(message_id, bool)
                                   or len(str(message_id)) > MAX_MESSAGE_ID_CHARS):
        raise BadRequest(400, f"message_id 必须是不超过 {MAX_MESSAGE_ID_CHARS} 个字符的字符串",
                         f'"message_id" must be a string of at most {MAX_MESSAGE_ID_CHARS} characters')
    if message_id is not None and not str(message_id).isprintable():
        raise BadRequest(400, "message_id 不能包含控制字符", '"message_id" must not contain control characters')
    return text, (str(message_id) if message_id is not None else None)


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


_UNAUTHORIZED = ("聊天凭证无效或已失效，请刷新页面开始新的对话", "unknown or invalid chat token")


def _chat_id(request: Request) -> tuple[str | None, bool]:
    """(chat id, presented): the chat the request's token names; (None, True) for a bad token."""
    token = presented_token(request)
    if token is None:
        return None, False
    return chat_of(token), True


_HTTP_ERRORS = {
    404: ("没有这个地址", "not found"),
    405: ("这个地址不支持该请求方法", "method not allowed"),
}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 4xx answers (unknown path, wrong method) as JSON like every other API error."""
    assert isinstance(exc, HTTPException)
    chinese, english = _HTTP_ERRORS.get(exc.status_code, ("请求有误", str(exc.detail)))
    return JSONResponse({"error": bilingual(chinese, english)}, status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    """An unexpected fault: a JSON answer the chat page can show instead of a bare HTML 500."""
    return _error(500, bilingual("系统出了点问题，请稍后再发一次", "internal server error, please retry"))


#: Exception handlers for the Starlette app that serves :func:`routes`.
ERROR_HANDLERS = {HTTPException: _http_error, 500: _server_error}

#: Longest long-poll a client may ask for (proxies commonly cut idle requests at 30–60 s).
MAX_WAIT_S = 25.0


def routes(engine: Engine, *, max_body_bytes: int = 65536, max_text_chars: int = MAX_TEXT_CHARS,
           notifier: UpdateNotifier | None = None) -> list[Route]:
    """The web chat routes bound to ``engine``; ``notifier`` wakes long-polls on local deliveries."""
    notifier = notifier or UpdateNotifier()
    tz = engine.tz

    async def chat(request: Request) -> Response:
        if not _is_json(request):
            return _error(415, bilingual("请求必须是 JSON（Content-Type: application/json）",
                                         "Content-Type must be application/json"))
        chat_id, presented = _chat_id(request)
        if presented and chat_id is None:
            return _error(401, bilingual(*_UNAUTHORIZED))
        try:
            body = await _read_body(request, max_body_bytes)
            text, message_id = parse_chat_request(body, max_text_chars=max_text_chars)
        except BadRequest as exc:
            return _error(exc.status, exc.message)
        token = None
        if chat_id is None:
            chat_id, token = new_token()
        msg = InboundMessage(channel="web", chat_id=chat_id, message_id=message_id or uuid.uuid4().hex, text=text)
        return _answer(request, await engine.respond(msg), token)

    def _answer(request: Request, outcome: Outcome, token: str | None) -> Response:
        """The turn's JSON; a chat started by this request also gets its token (body and cookie)."""
        data = outcome.to_json()
        if token is not None:
            data["chat_token"] = token
        response = JSONResponse(data)
        if token is not None:
            set_cookie(response, request, token)
        return response

    evidence = EvidenceSettings.from_config(engine.config)

    async def photo(request: Request) -> Response:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in ("image/jpeg", "image/png", "image/webp"):
            return _error(415, bilingual("只能上传 JPEG、PNG 或 WebP 图片", "Content-Type must be image/jpeg, "
                                                                          "image/png or image/webp"))
        chat_id, presented = _chat_id(request)
        if presented and chat_id is None:
            return _error(401, bilingual(*_UNAUTHORIZED))
        message_id = request.query_params.get("message_id") or uuid.uuid4().hex
        if len(message_id) > MAX_MESSAGE_ID_CHARS or not message_id.isprintable():
            return _error(400, bilingual("message_id 无效", "invalid message_id"))
        try:
            data = await _read_body(request, evidence.max_bytes)
        except BadRequest as exc:
            if exc.status == 413:
                return _error(413, bilingual(f"图片超过 {evidence.max_megabytes} MB",
                                             f"image larger than {evidence.max_megabytes} MB"))
            return _error(exc.status, exc.message)
        token = None
        if chat_id is None:
            chat_id, token = new_token()
        result = await asyncio.to_thread(accept_photo, engine.db, channel="web", chat_id=chat_id,
                                         source_id=f"{chat_id}:{message_id}", data=data, settings=evidence,
                                         now=engine.clock())
        ref = attachments.photo_ref(result.evidence_id) if isinstance(result, Accepted) else \
            attachments.rejected_ref(result.code)
        outcome = await engine.respond(InboundMessage(channel="web", chat_id=chat_id, message_id=message_id, text="",
                                                      attachments=(ref,)))
        return _answer(request, outcome, token)

    def _known_chat(request: Request) -> tuple[str | None, Response | None]:
        chat_id, _ = _chat_id(request)
        if chat_id is None:
            return None, _error(401, bilingual(*_UNAUTHORIZED))
        return chat_id, None

    async def updates(request: Request) -> Response:
        chat_id, refused = _known_chat(request)
        if refused is not None:
            return refused
        raw_after, raw_wait = request.query_params.get("after", ""), request.query_params.get("wait", "0")
        try:
            after = int(raw_after) if raw_after.strip() else 0
            wait = min(max(float(raw_wait or 0), 0.0), MAX_WAIT_S)
        except ValueError:
            return _error(400, bilingual("after 必须是上次返回的 cursor，wait 必须是秒数",
                                         "after must be a cursor from a previous answer, wait a number of seconds"))
        if after < 0 or wait != wait:  # NaN
            return _error(400, bilingual("参数无效", "invalid after or wait"))

        def read() -> tuple[int | None, list[dict[str, Any]]]:
            with engine.db.session(readonly=True) as session:
                conv_id = conversation_id(session, chat_id)
                return conv_id, (proactive_after(session, conv_id, after, tz) if conv_id is not None else [])

        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        conv_id, messages = await asyncio.to_thread(read)
        while not messages and conv_id is not None and loop.time() < deadline:
            await notifier.wait(conv_id, min(RECHECK_S, deadline - loop.time()))
            if await request.is_disconnected():
                break
            conv_id, messages = await asyncio.to_thread(read)
        cursor = max([after, *(int(m["id"]) for m in messages)])
        return JSONResponse({"messages": messages, "cursor": str(cursor)})

    async def chat_history(request: Request) -> Response:
        chat_id, refused = _known_chat(request)
        if refused is not None:
            return refused

        def read() -> dict[str, Any]:
            with engine.db.session(readonly=True) as session:
                conv_id = conversation_id(session, chat_id)
                if conv_id is None:
                    return {"messages": [], "ticket": None, "cursor": "0"}
                return {"messages": history(session, conv_id, tz), "ticket": engine.view(session, "web", chat_id),
                        "cursor": str(latest_id(session, conv_id))}

        return JSONResponse(await asyncio.to_thread(read))

    page_html = (WEB_DIR / "index.html").read_text(encoding="utf-8").replace("{{greeting}}", html.escape(say("greet")))

    async def page(request: Request) -> Response:
        return HTMLResponse(page_html)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC:
            return _error(404, bilingual(*_HTTP_ERRORS[404]))
        return FileResponse(WEB_DIR / name, media_type=_STATIC[name])

    async def healthz(request: Request) -> Response:
        try:
            await asyncio.to_thread(engine.check_database)
        except Exception as exc:  # the load balancer should stop sending us traffic
            return JSONResponse({"status": "error", "database": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok", "database": engine.db.dialect})

    return [
        Route("/", page, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/api/chat", chat, methods=["POST"]),
        Route("/api/chat/photo", photo, methods=["POST"]),
        Route("/api/chat/updates", updates, methods=["GET"]),
        Route("/api/chat/history", chat_history, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
