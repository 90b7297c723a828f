"""A stand-in for the Telegram Bot API on 127.0.0.1, started by the tests: answers like the real one and
records every call, so python-telegram-bot's real client, serialisation and errors run end to end.

- ``calls``: ``[(method, params)]`` with form, JSON and multipart bodies decoded (``reply_markup``
  parsed); multipart file parts are kept in ``params`` as bytes.
- ``files``: file_path → bytes served at ``/file/bot<token>/<file_path>`` (for ``getFile`` downloads).
- ``fail(method, status, description, retry_after=None)``: the next call of ``method`` fails like
  Telegram's own error answers (429 with ``parameters.retry_after``, 403, 400, 502 …).
- ``updates``: batches ``getUpdates`` hands out, one batch per call.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler
from typing import Any

from fake_http import LocalHttpFake

BOT = {"id": 7000001, "is_bot": True, "first_name": "repairbot", "username": "repair_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


class FakeBotApi(LocalHttpFake):
    """The fake server; use as a context manager or call ``start``/``stop``."""

    def __init__(self, token: str = "42:TEST") -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.files: dict[str, bytes] = {}
        self.file_sizes: dict[str, int] = {}
        self.updates: deque[list[dict[str, Any]]] = deque()
        self._failures: dict[str, deque[tuple[int, str, float | None]]] = {}
        self._lock = threading.Lock()
        self._next_id = 5000
        super().__init__()
        self.base_url = f"http://127.0.0.1:{self.port}/bot"

    # -- test helpers ------------------------------------------------------------------------------------
    def fail(self, method: str, status: int, description: str, retry_after: float | None = None) -> None:
        with self._lock:
            self._failures.setdefault(method.lower(), deque()).append((status, description, retry_after))

    def called(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for m, params in self.calls if m.lower() == method.lower()]

    def sent(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """sendMessage/sendPhoto calls (to one chat)."""
        with self._lock:
            return [p for m, p in self.calls if m.lower() in ("sendmessage", "sendphoto")
                    and (chat_id is None or str(p.get("chat_id")) == str(chat_id))]

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        return [str(p.get("text") or p.get("caption") or "") for p in self.sent(chat_id)]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    # -- the server --------------------------------------------------------------------------------------
    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        path = urllib.parse.unquote(urllib.parse.urlparse(h.path).path)  # PTB percent-encodes file URLs
        file_prefix = f"/file/bot{self.token}/"
        if path.startswith(file_prefix):
            data = self.files.get(path[len(file_prefix):])
            if data is None:
                self._reply(h, 404, b"not found", "text/plain")
            else:
                self._reply(h, 200, data, "application/octet-stream")
            return
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            self._json(h, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        method = path[len(prefix):]
        params = self._params(h)
        with self._lock:
            self.calls.append((method, params))
            failures = self._failures.get(method.lower())
            failure = failures.popleft() if failures else None
            self._next_id += 1
            message_id = self._next_id
        if failure is not None:
            status, description, retry_after = failure
            body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
            self._json(h, status, body)
            return
        self._json(h, 200, {"ok": True, "result": self._result(method.lower(), params, message_id)})

    def _result(self, method: str, params: dict[str, Any], message_id: int) -> Any:
        if method == "getme":
            return BOT
        if method in ("sendmessage", "sendphoto"):
            chat = params.get("chat_id")
            message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "from": BOT,
                                       "chat": {"id": int(chat), "type": "private" if int(chat) > 0 else "supergroup"}}
            if method == "sendmessage":
                message["text"] = params.get("text", "")
            else:
                message["photo"] = [{"file_id": "sent", "file_unique_id": "sent", "width": 10, "height": 10}]
                if params.get("caption"):
                    message["caption"] = params["caption"]
            return message
        if method == "getfile":
            file_id = str(params.get("file_id"))
            file_path = f"photos/{file_id}.jpg"
            return {"file_id": file_id, "file_unique_id": "u" + file_id[-8:],
                    "file_size": self.file_sizes.get(file_id, len(self.files.get(file_path, b""))),
                    "file_path": file_path}
        if method == "getupdates":
            with self._lock:
                return self.updates.popleft() if self.updates else []
        return True

    @staticmethod
    def _params(h: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(h.headers.get("content-length") or 0)
        raw = h.rfile.read(length) if length else b""
        ctype = h.headers.get("content-type", "")
        params: dict[str, Any] = {}
        if raw and "json" in ctype:
            params = json.loads(raw)
        elif raw and ctype.startswith("multipart/"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                params[name] = payload if part.get_filename() else payload.decode("utf-8")
        elif raw:
            params = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode("utf-8")).items()}
        for key in ("reply_markup", "allowed_updates"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        LocalHttpFake._reply(h, status, json.dumps(body, ensure_ascii=False).encode(), "application/json")
