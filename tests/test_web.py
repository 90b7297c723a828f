"""The web chat over HTTP: the /api/chat contract, input validation, the page and the health check.

Most tests go through httpx's ASGI transport; one runs uvicorn on a real socket.
"""

from __future__ import annotations

import json
import re
import threading
import time

import httpx
import pytest
import uvicorn
from fixtures_browser import free_port

from bot.channels.web import WEB_DIR

TICKET_KEYS = {"id", "status", "brand", "product", "fault", "adcode", "town", "covered", "phone_masked", "slot"}


def _shape_ok(data: dict) -> None:
    assert set(data) - {"chat_token"} == {"replies", "ticket"}
    for reply in data["replies"]:
        assert set(reply) == {"text", "buttons"} and isinstance(reply["text"], str)
        for button in reply["buttons"]:
            assert set(button) == {"label", "value"}
    assert data["ticket"] is None or set(data["ticket"]) == TICKET_KEYS


async def test_chat_contract_shape_and_ticket_lifecycle(client) -> None:
    r = await client.post("/api/chat", json={"user": "w1", "text": "你好"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    data = r.json()
    _shape_ok(data)
    assert data["ticket"] is None and "报修" in data["replies"][0]["text"]
    r = await client.post("/api/chat", json={"user": "w1", "text": "保险柜打不开了"})
    data = r.json()
    _shape_ok(data)
    assert data["ticket"]["status"] == "collecting" and data["ticket"]["product"] == "safe"
    values = [b["value"] for rep in data["replies"] for b in rep["buttons"]]
    assert "丹斯提尼" in values
    # Pressing a button = sending its value.
    r = await client.post("/api/chat", json={"user": "w1", "text": "丹斯提尼"})
    assert r.json()["ticket"]["brand"] == "丹斯提尼"


async def test_all_in_one_booking_over_http(client) -> None:
    r = await client.post("/api/chat", json={"user": "w2", "text": "我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678"})
    data = r.json()
    assert "详细地址" in data["replies"][0]["text"] and data["replies"][0]["buttons"] == []
    data = (await client.post("/api/chat", json={"user": "w2", "text": "建设路12号4栋201"})).json()
    assert len(data["replies"]) == 1 and len(data["replies"][0]["buttons"]) == 4
    value = data["replies"][0]["buttons"][0]["value"]
    data = (await client.post("/api/chat", json={"user": "w2", "text": value})).json()
    _shape_ok(data)
    assert data["ticket"]["status"] == "booked" and data["ticket"]["slot"]["technician"]
    assert data["ticket"]["phone_masked"] == "138****5678"


async def test_browsers_are_separate_conversations_whatever_user_they_claim(client, new_client) -> None:
    await client.post("/api/chat", json={"user": "a", "text": "保险柜打不开了"})
    async with new_client() as other:
        data = (await other.post("/api/chat", json={"user": "a", "text": "你好"})).json()
    assert data["ticket"] is None


async def test_retry_with_the_same_message_id_is_not_processed_twice(client) -> None:
    body = {"user": "w3", "text": "保险柜打不开了", "message_id": "client-1"}
    first = (await client.post("/api/chat", json=body)).json()
    second = (await client.post("/api/chat", json=body)).json()
    assert first["replies"] and second["replies"] == [] and second["ticket"]["id"] == first["ticket"]["id"]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"", 400, "empty body"),
        (b"{not json", 400, "not valid"),
        (b"[1, 2]", 400, "JSON object"),
        (json.dumps({"user": "u"}).encode(), 400, '"text"'),
        (json.dumps({"user": "u", "text": "hi", "message_id": "x\ny"}).encode(), 400, "control characters"),
        (json.dumps({"user": "u", "text": ["a"]}).encode(), 400, '"text"'),
        (b"\xff\xfe", 400, "UTF-8"),
        (json.dumps({"user": "u", "text": "好" * 20001}, ensure_ascii=False).encode(), 413, '"text" longer'),
        (b'{"user": "u", "text": "' + b"a" * 70000 + b'"}', 413, "larger than"),
    ],
)
async def test_bad_requests_get_clear_errors(client, body: bytes, status: int, fragment: str) -> None:
    r = await client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status
    assert fragment in r.json()["error"]


async def test_only_post_is_allowed_on_the_api(client) -> None:
    assert (await client.get("/api/chat")).status_code == 405


async def test_nul_and_control_characters_in_text_are_answered(client) -> None:
    r = await client.post("/api/chat", json={"user": "w5", "text": "丹斯提尼\u0000保险柜\u0007打不开\u202e"})
    assert r.status_code == 200 and r.json()["ticket"]["brand"] == "丹斯提尼"


async def test_empty_text_is_answered_not_rejected(client) -> None:
    r = await client.post("/api/chat", json={"user": "w4", "text": ""})
    assert r.status_code == 200 and "没有收到文字内容" in r.json()["replies"][0]["text"]


async def test_page_is_a_real_chat_without_external_assets(client) -> None:
    r = await client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    for needle in ('id="messages"', 'id="text"', 'id="send"', '/static/chat.js', '/static/chat.css', "报修"):
        assert needle in html
    js = (await client.get("/static/chat.js")).text
    css = (await client.get("/static/chat.css")).text
    assert "/api/chat" in js and "dataset.value" in js  # buttons send their value
    for asset in (html, js, css):
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", asset), "no CDN or external asset"
        assert "@import" not in asset
    assert (await client.get("/static/nope.js")).status_code == 404
    assert (await client.get("/static/../engine.py")).status_code == 404
    assert (WEB_DIR / "index.html").exists()


async def test_healthz_reports_the_database(client) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_real_socket_round_trip(app) -> None:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            assert c.get("/healthz").json()["status"] == "ok"
            data = c.post("/api/chat", json={"user": "sock", "text": "保险柜打不开了"}).json()
            _shape_ok(data)
            assert data["ticket"]["product"] == "safe" and data["chat_token"]
            again = c.post("/api/chat", json={"text": "丹斯提尼"}).json()  # the cookie carries the chat
            assert again["ticket"]["id"] == data["ticket"]["id"] and "chat_token" not in again
            assert "<html" in c.get("/").text
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_repairbot_serve_command_migrates_serves_and_logs_cleanly(tmp_path) -> None:
    """The real command: empty database → migrated on start → chat works → logs have no formatter errors."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    port = free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
               REPAIRBOT_DATA=str(tmp_path / "data"), PYTHONIOENCODING="utf-8")
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], stdout=log,
                                stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent, env=env)
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            while True:
                try:
                    if c.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "repairbot serve did not come up"
                time.sleep(0.2)
            data = c.post("/api/chat", json={"user": "s", "text": "电话13812345678，保险柜打不开了"}).json()
            assert data["ticket"]["phone_masked"] == "138****5678"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    output = log_path.read_text(encoding="utf-8")
    assert "Logging error" not in output and "Traceback" not in output, output
    assert "13812345678" not in output
    assert '"POST /api/chat HTTP/1.1" 200' in output
