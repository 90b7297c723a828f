"""A stand-in for the WeChat Official Account API on 127.0.0.1, started by the tests; records every call.

- ``/cgi-bin/token`` issues ``TOKEN-1``, ``TOKEN-2`` … (each new one invalidates the previous, as WeChat
  does) and counts how often it was asked (``token_fetches``).
- ``/cgi-bin/message/custom/send`` and ``/template/send`` record messages (``custom``, ``templates``);
  an invalid token is answered 40001.
- ``/cgi-bin/media/get`` serves ``media[media_id]`` as image/jpeg, or WeChat's JSON error (40007).
- ``fail(path, errcode, errmsg)``: the next call of that path answers this error.
- ``invalidate()``: the current token stops working (as when someone else fetched a new one).
- ``gate[media_id]``: a threading.Event the media download waits on (to make a message slow on purpose).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler
from typing import Any

from fake_http import LocalHttpFake

APP_ID = "wx1234567890abcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"


class FakeWeChatApi(LocalHttpFake):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str], Any]] = []
        self.custom: list[dict[str, Any]] = []
        self.templates: list[dict[str, Any]] = []
        self.media: dict[str, bytes] = {}
        self.gate: dict[str, threading.Event] = {}
        self.token_fetches = 0
        self._token_no = 0
        self._valid: str | None = None
        self._failures: dict[str, deque[tuple[int, str]]] = {}
        self._lock = threading.Lock()
        super().__init__()
        self.base_url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        for event in self.gate.values():  # a download held on purpose must not keep the server up
            event.set()
        super().stop()

    def fail(self, path: str, errcode: int, errmsg: str) -> None:
        with self._lock:
            self._failures.setdefault(path, deque()).append((errcode, errmsg))

    def invalidate(self) -> None:
        with self._lock:
            self._valid = None

    def texts(self, openid: str | None = None) -> list[str]:
        with self._lock:
            return [m["text"]["content"] for m in self.custom if openid is None or m["touser"] == openid]

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlparse(h.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        length = int(h.headers.get("content-length") or 0)
        raw = h.rfile.read(length) if length else b""
        body = json.loads(raw.decode("utf-8")) if raw else None
        path = url.path
        with self._lock:
            self.calls.append((path, query, body))
            failures = self._failures.get(path)
            failure = failures.popleft() if failures else None
        if path == "/cgi-bin/token":
            if query.get("appid") != APP_ID or query.get("secret") != APP_SECRET:
                return self._json(h, {"errcode": 40013, "errmsg": "invalid appid"})
            with self._lock:
                self.token_fetches += 1
                self._token_no += 1
                self._valid = f"TOKEN-{self._token_no}"
                token = self._valid
            return self._json(h, {"access_token": token, "expires_in": 7200})
        with self._lock:
            valid = self._valid
        if query.get("access_token") != valid:
            return self._json(h, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        if failure is not None:
            return self._json(h, {"errcode": failure[0], "errmsg": failure[1]})
        if path == "/cgi-bin/message/custom/send":
            with self._lock:
                self.custom.append(body)
            return self._json(h, {"errcode": 0, "errmsg": "ok"})
        if path == "/cgi-bin/message/template/send":
            with self._lock:
                self.templates.append(body)
            return self._json(h, {"errcode": 0, "errmsg": "ok", "msgid": 200228332})
        if path == "/cgi-bin/media/get":
            media_id = query.get("media_id", "")
            gate = self.gate.get(media_id)
            if gate is not None:
                gate.wait(30)
            data = self.media.get(media_id)
            if data is None:
                return self._json(h, {"errcode": 40007, "errmsg": "invalid media_id"})
            return self._reply(h, 200, data, "image/jpeg")
        return self._json(h, {"errcode": 40004, "errmsg": "unknown path"})

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        LocalHttpFake._reply(h, 200, json.dumps(body, ensure_ascii=False).encode("utf-8"),
                             "application/json; encoding=utf-8")
