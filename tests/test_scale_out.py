"""Scale-out, proven: two `repairbot serve` processes on one PostgreSQL, one customer's messages arriving
at both at once (a load balancer spraying a double-click and a retry), lose nothing, interleave nothing
and book nothing twice.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fixtures_browser import free_port
from sqlalchemy import func, select

from bot.privacy import generate_secret
from bot.store.db import Database
from bot.store.models import Booking, Conversation, Message, Slot

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def two_servers(pg_database_url, tmp_path):
    from fixtures_store import reset_database

    db = Database(pg_database_url)
    reset_database(db)
    db.dispose()
    # Both processes must share the secret: it signs web chat tokens and encrypts personal data.
    env = dict(os.environ, DATABASE_URL=pg_database_url, REPAIRBOT_SECRET_KEY=generate_secret(),
               REPAIRBOT_DATA=str(tmp_path / "data"), PYTHONIOENCODING="utf-8")
    procs, urls = [], []
    for i in range(2):
        port = free_port()
        log = open(tmp_path / f"serve{i}.log", "w")  # noqa: SIM115 - closed with the process below
        procs.append((subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], stdout=log,
                                       stderr=subprocess.STDOUT, cwd=ROOT, env=env), log))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 90
        for url in urls:
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "a server did not come up"
                time.sleep(0.2)
        yield urls, pg_database_url
    finally:
        for proc, log in procs:
            proc.terminate()
            proc.wait(timeout=20)
            log.close()


def test_one_chat_spread_over_two_processes_loses_and_interleaves_nothing(two_servers) -> None:
    urls, db_url = two_servers

    async def scenario() -> tuple[list[httpx.Response], list[httpx.Response]]:
        async with httpx.AsyncClient(timeout=60) as a, httpx.AsyncClient(timeout=60) as b:
            first = await a.post(urls[0] + "/api/chat", json={"text": "我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678"})
            token = first.json()["chat_token"]
            headers = {"Authorization": f"Bearer {token}"}
            if not any(r["buttons"] for r in first.json()["replies"]):  # asked for the street address
                first = await b.post(urls[1] + "/api/chat", json={"text": "建设路12号4栋201"}, headers=headers)
            offer = next(bt["value"] for r in first.json()["replies"] for bt in r["buttons"])
            texts = [f"请问价格多少（{i}）" for i in range(16)]
            chatter = await asyncio.gather(*(
                (a, b)[i % 2].post(urls[i % 2] + "/api/chat", json={"text": t, "message_id": f"q{i}"}, headers=headers)
                for i, t in enumerate(texts)))
            # The same window pressed on both processes at the same moment, twice each (a double-click).
            presses = await asyncio.gather(*(
                (a, b)[i % 2].post(urls[i % 2] + "/api/chat", json={"text": offer, "message_id": f"press{i // 2}"},
                                   headers=headers) for i in range(4)))
            return list(chatter), list(presses)

    chatter, presses = asyncio.run(scenario())
    assert all(r.status_code == 200 and r.json()["replies"] for r in chatter)
    assert all(r.status_code == 200 for r in presses)
    db = Database(db_url)
    try:
        with db.session(readonly=True) as s:
            conv_id = s.scalar(select(Conversation.id))
            rows = list(s.execute(select(Message.id, Message.direction, Message.channel_message_id)
                                  .where(Message.conversation_id == conv_id).order_by(Message.id)))
            inbound = [mid for _, direction, mid in rows if direction == "in"]
            # Nothing lost, nothing stored twice (the two presses with one id count once each).
            assert sorted(m for m in inbound if m and m.startswith("q")) == sorted(f"q{i}" for i in range(16))
            assert sorted(m for m in inbound if m and m.startswith("press")) == ["press0", "press1"]
            # Each turn's replies follow its own message: turns were serialised, not interleaved.
            turns: list[list[str]] = []
            for _, direction, _mid in rows:
                if direction == "in":
                    turns.append([])
                else:
                    assert turns, "a reply stored before any message"
                    turns[-1].append(direction)
            assert all(turns), "a message without its replies right after it"
            # One booking, one seat.
            assert s.scalar(select(func.count()).select_from(Booking).where(Booking.status == "confirmed")) == 1
            assert s.scalar(select(func.sum(Slot.booked))) == 1
    finally:
        db.dispose()
