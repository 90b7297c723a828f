"""Bad input through the real front doors: every request gets a clear answer and nothing is lost.

``POST /api/chat`` via httpx's ASGI transport (the full Starlette app, exception handlers included) and
``repairbot chat --json`` as a subprocess; both on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from engine_helpers import ChatUser, make_engine
from fixtures_web import chat_id
from sqlalchemy import func, select

from bot.store.models import Booking, Conversation, Message
from bot.text_guard import clean_text
from dialogs import ConversationState
from dialogs.turn import match_choice

ROOT = Path(__file__).resolve().parent.parent
CHINESE = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


def _inbound(store, user: str) -> list[tuple[str | None, str | None]]:
    """(text, channel message id) of every inbound message stored for ``user``, oldest first."""
    with store.session(readonly=True) as session:
        return [(m.text, m.channel_message_id) for m in session.scalars(
            select(Message).join(Conversation).where(Conversation.chat_id == user, Message.direction == "in")
            .order_by(Message.id))]


def _bilingual_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    message = r.json()["error"]
    assert CHINESE.search(message) and LATIN.search(message), message
    return message


async def test_a_one_megabyte_body_is_refused_with_413_and_nothing_is_stored(client, store) -> None:
    body = json.dumps({"user": "big", "text": "保" * (1 << 20)}, ensure_ascii=False).encode()
    r = await client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert "larger than" in _bilingual_error(r, 413)
    with store.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    # The same customer is answered normally right after.
    r = await client.post("/api/chat", json={"text": "保险柜打不开了"})
    assert r.status_code == 200 and r.json()["ticket"]["product"] == "safe"
    assert [t for t, _ in _inbound(store, chat_id(client))] == ["保险柜打不开了"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"user": "u", "text": ', "not valid"),
        (b'{"user": "u", "text": null}', '"text"'),
        (b'{"user": "u", "text": 12}', '"text"'),
        (b'{"user": "u", "text": {"a": 1}}', '"text"'),
        (b'{"user": "u"}', '"text"'),
        (b"{}", '"text"'),
        (b'"just a string"', "JSON object"),
        (b"null", "JSON object"),
        (b'{"user": "u", "text": "hi", "message_id": true}', '"message_id"'),
        (b'{"user": "u", "text": "hi", "message_id": [1]}', '"message_id"'),
        (b'{"user": "u", "text": "\xe4\xbd"}', "UTF-8"),
        (b'{"user": "u", "text": ' + b"[" * 30000 + b"]" * 30000 + b"}", "nested too deeply"),
    ],
)
async def test_malformed_requests_get_a_bilingual_400(client, body: bytes, fragment: str) -> None:
    r = await client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert fragment in _bilingual_error(r, 400)


async def test_unknown_paths_and_methods_answer_json_too(client) -> None:
    _bilingual_error(await client.get("/api/nothing-here"), 404)
    _bilingual_error(await client.get("/api/chat"), 405)
    _bilingual_error(await client.get("/static/../../etc/passwd"), 404)


@pytest.mark.parametrize("text", ["😀😀😀", "👍", "🔒🔑❓", "👨\u200d🔧"])
async def test_emoji_only_text_gets_a_polite_answer_and_is_stored(client, store, text: str) -> None:
    r = await client.post("/api/chat", json={"text": text})
    assert r.status_code == 200
    replies = r.json()["replies"]
    assert replies and all(rep["text"].strip() for rep in replies)
    assert [t for t, _ in _inbound(store, chat_id(client))] == [text]


async def test_control_characters_only_are_answered_and_kept_verbatim(client, store) -> None:
    text = "\u0000\u0001\u001b[2J\u200b\ufeff"
    r = await client.post("/api/chat", json={"text": text})
    assert r.status_code == 200
    reply = r.json()["replies"][0]["text"]
    assert CHINESE.search(reply)
    # The customer's bytes are kept exactly as sent (encrypted), NUL included — even on PostgreSQL.
    assert [t for t, _ in _inbound(store, chat_id(client))] == [text]


async def test_an_unknown_or_stale_button_value_gets_an_answer_and_books_nothing(client, store) -> None:
    await client.post("/api/chat", json={"text": "我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678"})
    first = (await client.post("/api/chat", json={"text": "建设路12号4栋201"})).json()
    offered = first["replies"][0]["buttons"][0]["value"]
    for bogus in ["预约 2月30日（周九） 25:00-26:00 无名师傅", "book:999@2099-01-01T00:00+08:00", "__proto__"]:
        r = await client.post("/api/chat", json={"text": bogus})
        assert r.status_code == 200
        data = r.json()
        assert data["replies"] and data["ticket"]["status"] == "collecting" and data["ticket"]["slot"] is None
    with store.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Booking)) == 0
    # The real button still round-trips after the noise.
    data = (await client.post("/api/chat", json={"text": offered})).json()
    assert data["ticket"]["status"] == "booked"


async def test_a_replayed_message_id_is_stored_once_and_answered_once(client, store) -> None:
    body = {"text": "保险柜打不开了", "message_id": 42}
    answers = [(await client.post("/api/chat", json=body)).json() for _ in range(3)]
    assert answers[0]["replies"] and answers[1]["replies"] == [] and answers[2]["replies"] == []
    assert answers[1]["ticket"] == answers[0]["ticket"]
    stored = _inbound(store, chat_id(client))
    assert stored == [("保险柜打不开了", "42")]


async def test_twenty_concurrent_messages_from_one_user_are_each_stored_once(client, store) -> None:
    texts = [f"第{i}条：保险柜打不开了" if i % 2 else f"你好{i}" for i in range(20)]
    # The first message gets the chat its cookie; the burst then comes from one open page.
    assert (await client.post("/api/chat", json={"text": "在吗", "message_id": "b-first"})).status_code == 200

    async def send(i: int) -> httpx.Response:
        return await client.post("/api/chat", json={"text": texts[i], "message_id": f"b{i}"})

    responses = await asyncio.gather(*(send(i) for i in range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert all(r.json()["replies"] for r in responses)
    stored = [(t, mid) for t, mid in _inbound(store, chat_id(client)) if mid != "b-first"]
    assert sorted(mid for _, mid in stored) == sorted(f"b{i}" for i in range(20))
    assert {mid: t for t, mid in stored} == {f"b{i}": texts[i] for i in range(20)}
    # One conversation, one ticket: the turns were serialised, not interleaved into two intakes.
    tickets = {r.json()["ticket"]["id"] for r in responses if r.json()["ticket"]}
    assert len(tickets) == 1
    with store.session(readonly=True) as session:
        conv = session.scalars(select(Conversation).where(Conversation.chat_id == chat_id(client))).one()
        assert conv.state["turns"] == 21


def test_chat_json_survives_nul_crlf_blank_and_huge_lines(store, db_url: str, tmp_path: Path) -> None:
    lines = [b"\x00\x00", b"   ", b"\xe4\xbd\xa0\xe5\xa5\xbd\r", b"\xc3(", "保".encode() * 5000, b"\xf0\x9f\x98\x80"]
    env = dict(os.environ, DATABASE_URL=db_url, REPAIRBOT_DATA=str(tmp_path / "data"), PYTHONIOENCODING="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--json", "--user", "cli-odd"], input=b"\n".join(lines) + b"\n",
        capture_output=True, cwd=ROOT, env=env, timeout=120,
    )
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    objects = [json.loads(line) for line in out.stdout.decode("utf-8").splitlines()]
    assert len(objects) == len(lines)
    assert all(o["replies"] and o["replies"][0]["text"].strip() for o in objects)
    assert "5000" in objects[4]["replies"][0]["text"]  # the cap is announced, not silent
    assert len(_inbound(store, "cli-odd")) == len(lines)


def _remembered_state(store, user: str) -> ConversationState:
    with store.session(readonly=True) as session:
        conv = session.scalars(select(Conversation).where(Conversation.chat_id == user)).one()
        return ConversationState.from_json(conv.state)


@pytest.mark.parametrize("opening", [
    ("鼓楼区，丹斯提尼保险柜打不开",),  # district choice
    ("东莞，丹斯提尼保险柜忘记密码了，13812345678",),  # town choice
    ("保险柜打不开了",),  # brand choice
    ("我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678", "建设路12号4栋201"),  # window choice
])
def test_every_button_value_round_trips_through_the_engine_cleaning(store, opening: tuple[str, ...]) -> None:
    """Sending a button's value back (cleaned like any text) names exactly the button it came from."""
    engine = make_engine(store)
    chat = ChatUser(engine, user="round-trip")
    for text in opening:
        chat.say(text)
    shown = [b["value"] for b in chat.buttons()]
    state = _remembered_state(store, chat.user)
    assert shown and sorted(shown) == sorted(c["value"] for c in state.choices)
    for choice in state.choices:
        matched = match_choice(state, clean_text(choice["value"], engine.max_chars).text)
        assert matched is not None and (matched.kind, matched.value) == (choice["kind"], choice["value"])


async def test_an_unexpected_server_fault_is_a_json_500_not_an_html_page(app, monkeypatch) -> None:
    async def broken(msg):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.state.engine, "respond", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.post("/api/chat", json={"text": "你好"})
    assert "disk on fire" not in _bilingual_error(r, 500)


async def test_a_lone_surrogate_in_the_text_is_answered_and_stored_not_lost(client, store) -> None:
    body = b'{"text": "\\ud800\\u4e39\\u65af\\u63d0\\u5c3c\\u4fdd\\u9669\\u67dc\\u6253\\u4e0d\\u5f00"}'
    r = await client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200
    data = r.json()
    assert "已经收到" not in data["replies"][0]["text"]  # not the apology of a failed turn
    assert data["ticket"]["brand"] == "丹斯提尼"
    stored = _inbound(store, chat_id(client))
    assert stored == [("\ufffd丹斯提尼保险柜打不开", stored[0][1])]
