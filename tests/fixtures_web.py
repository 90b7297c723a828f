"""Web API fixtures: the real Starlette app over the ``store`` database, and an httpx client on it."""

from __future__ import annotations

import httpx
import pytest
from engine_helpers import make_engine

from bot.app import create_app


@pytest.fixture
def app(store):
    return create_app(make_engine(store))


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c
