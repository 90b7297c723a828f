"""Telegram test helpers: the app running with Telegram configured against a fake Bot API, and updates.

``tg`` (fixture in test modules via ``telegram_app``): the real app (lifespan started: PTB initialised
over HTTP against :class:`fake_bot_api.FakeBotApi`), an httpx client posting to its webhook, the engine
and its clock.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from engine_helpers import Clock, make_engine
from fake_bot_api import FakeBotApi

from bot.app import create_app
from bot.store.db import Database

DATA = Path(__file__).resolve().parent / "data" / "telegram"
SECRET = "s3cret-for-tests_0123456789"
CUSTOMER = 5550001


def update(name: str, update_id: int | None = None, **changes: Any) -> dict[str, Any]:
    """A recorded update from tests/data/telegram, with a new id and message fields changed."""
    data = copy.deepcopy(json.loads((DATA / f"{name}.json").read_text(encoding="utf-8")))
    if update_id is not None:
        data["update_id"] = update_id
    body = data.get("message") or data.get("callback_query") or data.get("edited_message")
    for key, value in changes.items():
        body[key] = value
    return data


def text_update(update_id: int, text: str, chat: int = CUSTOMER) -> dict[str, Any]:
    data = update("text", update_id, text=text)
    data["message"]["chat"]["id"] = chat
    data["message"]["from"]["id"] = chat
    return data


def press_update(update_id: int, data: str, chat: int = CUSTOMER) -> dict[str, Any]:
    body = update("callback_query", update_id, data=data, id=f"q{update_id}")
    body["callback_query"]["message"]["chat"]["id"] = chat
    body["callback_query"]["from"]["id"] = chat
    return body


def jpeg(color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (64, 48), *, pattern: int = 0,
         exif_make: str | None = None, software: str | None = None) -> bytes:
    """A small JPEG made here (no binary fixtures): a pattern so perceptual hashes differ between images."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    for i in range(0, size[0], 8):
        if (i // 8 + pattern) % 3 == 0:
            draw.rectangle([i, 0, i + 3 + pattern % 4, size[1]], fill=(255 - color[0], 255 - color[1], 90))
    draw.ellipse([pattern % 20, 5, 30 + pattern % 20, 40], fill=(20, 20, 200))
    exif = Image.Exif()
    if exif_make:
        exif[0x010F] = exif_make
        exif[0x0110] = "Phone 12"
    if software:
        exif[0x0131] = software
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes() if (exif_make or software) else b"")
    return out.getvalue()


def scene(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    """A JPEG of random rectangles: different seeds give perceptually different pictures."""
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle([x, y, x + rng.randrange(20, 140), y + rng.randrange(20, 120)],
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def buttons(call: dict[str, Any]) -> list[dict[str, str]]:
    """The inline keyboard of a recorded sendMessage call, flattened."""
    markup = call.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


@asynccontextmanager
async def telegram_app(store: Database, api: FakeBotApi, monkeypatch: Any, clock: Clock | None = None,
                       **env: str) -> AsyncIterator[SimpleNamespace]:
    """The app with Telegram on (webhook mode) talking to ``api``; yields helpers to post and dispatch."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", api.token)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    clock = clock or Clock()
    engine = make_engine(store, clock)
    app = create_app(engine)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as client:

        async def post(body: Any, secret: str | None = SECRET) -> httpx.Response:
            headers = {"Content-Type": "application/json"}
            if secret is not None:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
            return await client.post("/telegram/webhook", content=content, headers=headers)

        yield SimpleNamespace(app=app, client=client, engine=engine, clock=clock, api=api, post=post,
                              channel=app.state.channels["telegram"], dispatcher=app.state.dispatcher)
