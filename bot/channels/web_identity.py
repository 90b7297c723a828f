"""The web chat's identity: the server issues it, the browser carries it, nobody can guess another's.

A chat token is ``wc1.<chat id>.<signature>``: the chat id is 128 random bits, the signature a keyed
HMAC of it (``bot.privacy.lookup_hash``, whose key never leaves the server). So a token cannot be
forged or derived from another, and verifying it needs no database lookup. The page gets it as an
HttpOnly, SameSite=Lax cookie (scripts cannot read it; other sites cannot send it with a POST), API
clients as ``"chat_token"`` in the first response, to send back as ``Authorization: Bearer TOKEN``.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from bot.privacy import lookup_hash

COOKIE = "repairbot_chat"
_PREFIX = "wc1"
_MAX_AGE_S = 180 * 24 * 3600  # a customer coming back within half a year finds their chat


def _signature(chat_id: str) -> str:
    return lookup_hash(f"web-chat-token:{chat_id}")


def new_token() -> tuple[str, str]:
    """A fresh (chat id, token) pair."""
    chat_id = "w" + secrets.token_hex(16)
    return chat_id, f"{_PREFIX}.{chat_id}.{_signature(chat_id)}"


def chat_of(token: str) -> str | None:
    """The chat id a token names, or None for anything forged, truncated or malformed."""
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != _PREFIX or not parts[1].startswith("w") or len(parts[1]) != 33:
        return None
    chat_id, signature = parts[1], parts[2]
    return chat_id if hmac.compare_digest(signature, _signature(chat_id)) else None


def presented_token(request: Request) -> str | None:
    """The token the request carries: ``Authorization: Bearer`` first, else the cookie."""
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE) or None


def set_cookie(response: Response, request: Request, token: str) -> None:
    """Hand the token to the browser: HttpOnly, SameSite=Lax, Secure when served over HTTPS."""
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"
    response.set_cookie(COOKIE, token, max_age=_MAX_AGE_S, httponly=True, samesite="lax", secure=secure, path="/")
