"""Web API fixtures: the real Starlette app over the ``store`` database, and httpx clients on it.

Each httpx client is one browser: it keeps the chat cookie the server issues, so a second client is a
second customer. ``chat_id(client)`` reads which chat the client's cookie names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from engine_helpers import make_engine

from bot.app import create_app
from bot.channels.web_identity import COOKIE, chat_of


@pytest.fixture
def app(store):
    return create_app(make_engine(store))


def browser_client(app) -> httpx.AsyncClient:
    """A fresh client (a new customer with no cookie yet) on ``app``."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with browser_client(app) as c:
        yield c


@pytest.fixture
def new_client(app) -> Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]]:
    """Another customer: ``async with new_client() as other: ...``."""
    return lambda: browser_client(app)


def chat_id(client: httpx.AsyncClient) -> str | None:
    """The chat the client's cookie names (None before its first message)."""
    token = client.cookies.get(COOKIE)
    return chat_of(token) if token else None
