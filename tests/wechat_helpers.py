"""WeChat test helpers: requests signed (and in safe mode encrypted) the way WeChat's servers build them,
the app with WeChat configured against :class:`fake_wechat_api.FakeWeChatApi`, and passive-reply reading."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from engine_helpers import Clock, make_engine
from fake_wechat_api import APP_ID, APP_SECRET, FakeWeChatApi

from bot.app import create_app
from bot.store.db import Database

DATA = Path(__file__).resolve().parent / "data" / "wechat"
TOKEN = "repairbotWxToken2026"
AES_KEY = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode().rstrip("=")
OPENID = "oX9f2t8Wc5Qx0AbCdEfGhIjKlMn0"


def xml(name: str, **values: str) -> str:
    """A recorded message from tests/data/wechat with its {placeholders} filled."""
    text = (DATA / f"{name}.xml").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class WeChatServer:
    """Plays WeChat's side: signs, encrypts in safe mode, posts, and reads the passive reply."""

    def __init__(self, client: httpx.AsyncClient, *, safe: bool = False) -> None:
        self.client = client
        self.safe = safe

    def params(self, body: str, **override: str) -> tuple[dict[str, str], str]:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        params = {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                  "openid": OPENID}
        if self.safe:
            from wechatpy.crypto import PrpCrypto, WeChatCrypto

            key = WeChatCrypto(TOKEN, AES_KEY, APP_ID).key
            encrypted = PrpCrypto(key).encrypt(body, APP_ID).decode()
            body = f"<xml><ToUserName><![CDATA[gh_3a1b2c3d4e5f]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            params.update(encrypt_type="aes", msg_signature=sign(TOKEN, timestamp, nonce, encrypted))
        params.update(override)
        return params, body

    async def post(self, body: str | bytes, **override: str) -> httpx.Response:
        if isinstance(body, bytes):
            params, content = self.params("", **override)
            return await self.client.post("/wechat", params=params, content=body)
        params, content = self.params(body, **override)
        return await self.client.post("/wechat", params=params, content=content.encode("utf-8"))

    def reply(self, response: httpx.Response) -> str | None:
        """The text of a passive reply (decrypted and its signature checked in safe mode); None for success."""
        from bot.channels.wechat_xml import parse_xml

        assert response.status_code == 200, response.text
        if response.text == "success":
            return None
        fields = parse_xml(response.content)
        if self.safe:
            from wechatpy.crypto import PrpCrypto, WeChatCrypto

            assert fields["MsgSignature"] == sign(TOKEN, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
            inner = PrpCrypto(WeChatCrypto(TOKEN, AES_KEY, APP_ID).key).decrypt(fields["Encrypt"], APP_ID)
            fields = parse_xml(inner)
        assert fields["ToUserName"] == OPENID and fields["MsgType"] == "text"
        return fields["Content"]


@asynccontextmanager
async def wechat_app(store: Database, api: FakeWeChatApi, monkeypatch: Any, *, safe: bool = False,
                     clock: Clock | None = None, **env: str) -> AsyncIterator[SimpleNamespace]:
    """The app with WeChat on, its API at ``api``; yields a :class:`WeChatServer` and helpers."""
    monkeypatch.setenv("WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("WECHAT_APP_ID", APP_ID)
    monkeypatch.setenv("WECHAT_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("WECHAT_API_BASE_URL", api.base_url)
    if safe:
        monkeypatch.setenv("WECHAT_AES_KEY", AES_KEY)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    clock = clock or Clock()
    engine = make_engine(store, clock)
    app = create_app(engine)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield SimpleNamespace(app=app, client=client, engine=engine, clock=clock, api=api,
                              wx=WeChatServer(client, safe=safe), channel=app.state.channels["wechat"],
                              dispatcher=app.state.dispatcher)
