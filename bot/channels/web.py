"""The web chat front door: ``POST /api/chat``, the chat page at ``/`` and ``GET /healthz``.

Contract (ARCHITECTURE.md): ``{"user": "<opaque id>", "text": "..."}`` →
``{"replies": [{"text", "buttons": [{"label", "value"}]}], "ticket": TICKET | null}``.
An optional ``"message_id"`` makes a retried request idempotent (a duplicate gets no new replies).
Bad requests get a JSON ``{"error": "..."}`` with 400 (malformed) or 413 (too large).
"""

from __future__ import annotations

import asyncio
import html
import json
import uuid
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.engine import Engine
from bot.messages import InboundMessage
from dialogs.texts import say

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MAX_USER_CHARS = 128
MAX_MESSAGE_ID_CHARS = 128
_STATIC = {"chat.js": "text/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8"}


class BadRequest(Exception):
    """A request the API refuses, with its HTTP status and a message for the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BadRequest(413, f"request body larger than {limit} bytes")
        except ValueError as exc:
            raise BadRequest(400, "invalid Content-Length") from exc
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise BadRequest(413, f"request body larger than {limit} bytes")
    return bytes(body)


def parse_chat_request(body: bytes, *, max_text_chars: int) -> tuple[str, str, str | None]:
    """Validate a chat request body; returns (user, text, message_id) or raises :class:`BadRequest`."""
    if not body.strip():
        raise BadRequest(400, 'empty body: send JSON {"user": "...", "text": "..."}')
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(400, f"body is not valid UTF-8 JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest(400, 'body must be a JSON object {"user": "...", "text": "..."}')
    user, text, message_id = data.get("user"), data.get("text"), data.get("message_id")
    if not isinstance(user, str) or not user.strip():
        raise BadRequest(400, '"user" must be a non-empty string')
    if len(user) > MAX_USER_CHARS:
        raise BadRequest(400, f'"user" longer than {MAX_USER_CHARS} characters')
    if not user.isprintable():
        raise BadRequest(400, '"user" must not contain control characters')
    if not isinstance(text, str):
        raise BadRequest(400, '"text" must be a string')
    if len(text) > max_text_chars:
        raise BadRequest(413, f'"text" longer than {max_text_chars} characters')
    if message_id is not None and (not isinstance(message_id, str | int) or len(str(message_id)) > MAX_MESSAGE_ID_CHARS):
        raise BadRequest(400, f'"message_id" must be a string of at most {MAX_MESSAGE_ID_CHARS} characters')
    if message_id is not None and not str(message_id).isprintable():
        raise BadRequest(400, '"message_id" must not contain control characters')
    return user.strip(), text, (str(message_id) if message_id is not None else None)


def routes(engine: Engine, *, max_body_bytes: int = 65536, max_text_chars: int = 20000) -> list[Route]:
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
            return _error(404, "not found")
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
