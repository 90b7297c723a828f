"""The web chat front door: ``POST /api/chat``, the chat page at ``/`` and ``GET /healthz``.

Contract (ARCHITECTURE.md): ``{"user": "<opaque id>", "text": "..."}`` →
``{"replies": [{"text", "buttons": [{"label", "value"}]}], "ticket": TICKET | null}``.
An optional ``"message_id"`` makes a retried request idempotent (a duplicate gets no new replies).
Bad requests get a JSON ``{"error": "中文说明 / English explanation"}`` with 400 (malformed) or 413 (too
large); so do unknown paths (404), wrong methods (405) and an unexpected server fault (500): a web client
never has to parse an HTML or plain-text error page.
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

from bot.engine import Engine
from bot.messages import InboundMessage
from bot.text_guard import MAX_ID_CHARS, MAX_TEXT_CHARS
from dialogs.texts import say

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MAX_USER_CHARS = MAX_ID_CHARS
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


def parse_chat_request(body: bytes, *, max_text_chars: int) -> tuple[str, str, str | None]:
    """Validate a chat request body; returns (user, text, message_id) or raises :class:`BadRequest`."""
    if not body.strip():
        raise BadRequest(400, '请求内容为空', 'empty body: send JSON {"user": "...", "text": "..."}')
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(400, "请求内容不是有效的 UTF-8 JSON", f"body is not valid UTF-8 JSON: {exc}") from exc
    except RecursionError as exc:  # "[[[[…" thousands deep fits in the size limit and exhausts the parser
        raise BadRequest(400, "请求内容嵌套过深", "body is not valid JSON: nested too deeply") from exc
    if not isinstance(data, dict):
        raise BadRequest(400, "请求内容必须是 JSON 对象", 'body must be a JSON object {"user": "...", "text": "..."}')
    user, text, message_id = data.get("user"), data.get("text"), data.get("message_id")
    if not isinstance(user, str) or not user.strip():
        raise BadRequest(400, "user 必须是非空字符串", '"user" must be a non-empty string')
    if len(user) > MAX_USER_CHARS:
        raise BadRequest(400, f"user 超过 {MAX_USER_CHARS} 个字符", f'"user" longer than {MAX_USER_CHARS} characters')
    if not user.isprintable():
        raise BadRequest(400, "user 不能包含控制字符", '"user" must not contain control characters')
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
    return user.strip(), text, (str(message_id) if message_id is not None else None)


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


def routes(engine: Engine, *, max_body_bytes: int = 65536, max_text_chars: int = MAX_TEXT_CHARS) -> list[Route]:
    """The web chat routes bound to ``engine``."""

    async def chat(request: Request) -> Response:
        try:
            body = await _read_body(request, max_body_bytes)
            user, text, message_id = parse_chat_request(body, max_text_chars=max_text_chars)
        except BadRequest as exc:
            return _error(exc.status, exc.message)
        msg = InboundMessage(channel="web", chat_id=user, message_id=message_id or uuid.uuid4().hex, text=text)
        outcome = await engine.respond(msg)
        return JSONResponse(outcome.to_json())

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
        Route("/healthz", healthz, methods=["GET"]),
    ]
