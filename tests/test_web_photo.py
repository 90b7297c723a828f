"""The web chat's photo upload, erasure of web photos, and follow-ups staying on the channel the chat used."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fake_bot_api import FakeBotApi
from fixtures_web import chat_id
from sqlalchemy import func, select
from telegram_helpers import jpeg, telegram_app

from bot.config import load_config
from bot.evidence import EvidenceSettings
from bot.store.models import Evidence, Ticket

INTAKE = "我在焦作温县建设路12号4栋201，丹斯提尼保险柜密码忘了，电话13812345678"


async def _photo(client, data: bytes, media_type: str = "image/jpeg", message_id: str | None = None):
    params = {"message_id": message_id} if message_id else None
    return await client.post("/api/chat/photo", content=data, headers={"Content-Type": media_type}, params=params)


async def test_upload_is_kept_linked_to_the_ticket_and_acknowledged(client, store):
    await client.post("/api/chat", json={"text": INTAKE})
    response = await _photo(client, jpeg(), message_id="p1")
    assert response.status_code == 200
    body = response.json()
    assert "收到您的照片" in body["replies"][0]["text"] and body["ticket"]["brand"] == "丹斯提尼"
    with store.session(readonly=True) as s:
        photo = s.scalars(select(Evidence)).one()
        ticket = s.scalars(select(Ticket)).one()
        assert photo.ticket_id == ticket.id and photo.chat_id == chat_id(client)
    again = await _photo(client, jpeg(), message_id="p1")  # a retried upload
    assert again.json()["replies"] == []
    history = (await client.get("/api/chat/history")).json()["messages"]
    assert [m["text"] for m in history if m["from"] == "customer"][-1] == "[图片]"


async def test_a_photo_before_any_intake_joins_the_ticket_opened_later(client, store):
    first = await _photo(client, jpeg())
    assert first.status_code == 200 and "chat_token" in first.json()
    await client.post("/api/chat", json={"text": INTAKE})
    with store.session(readonly=True) as s:
        assert s.scalars(select(Evidence)).one().ticket_id == s.scalars(select(Ticket)).one().id


@pytest.mark.parametrize(("data", "media_type", "status"), [
    (b"hello", "text/plain", 415), (b"{}", "application/json", 415), (b"GIF89a", "image/gif", 415),
])
async def test_other_types_are_415(client, data, media_type, status):
    assert (await _photo(client, data, media_type)).status_code == status


async def test_too_large_is_413_and_a_fake_image_gets_a_clear_reply(client, store):
    big = await _photo(client, b"\xff\xd8" + b"0" * (10 * 1024 * 1024))
    assert big.status_code == 413 and "10 MB" in big.json()["error"]
    fake = await _photo(client, b"%PDF-1.7 this is a pdf", "image/png")
    assert fake.status_code == 200 and "无法识别为图片" in fake.json()["replies"][0]["text"]
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Evidence)) == 0


async def test_erasing_on_the_web_deletes_the_photos(client, store):
    await client.post("/api/chat", json={"text": INTAKE})
    await _photo(client, jpeg())
    settings = EvidenceSettings.from_config(load_config())
    files = [p for p in settings.root.rglob("*.enc")]
    assert len(files) == 1
    await client.post("/api/chat", json={"text": "删除我的信息"})
    await client.post("/api/chat", json={"text": "确认删除"})
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Evidence)) == 0
    assert not files[0].exists()


async def test_a_web_chat_gets_its_follow_ups_on_the_web_even_with_telegram_configured(store, monkeypatch):
    """The survey goes back through the channel the customer used: the web page, not Telegram."""
    import httpx

    from bot.visit_report import mark_done

    with FakeBotApi() as api:
        async with telegram_app(store, api, monkeypatch) as tg:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tg.app), base_url="http://test") as web:
                reply = (await web.post("/api/chat", json={"text": INTAKE})).json()
                value = reply["replies"][-1]["buttons"][0]["value"]
                booked = (await web.post("/api/chat", json={"text": value})).json()["ticket"]
                assert booked["status"] == "booked"
                with store.session() as s:
                    mark_done(s, booked["id"], now=tg.clock.now + timedelta(days=3), config=load_config())
                await tg.dispatcher.drain((tg.clock.now + timedelta(days=4)).replace(hour=11))
                updates = (await web.get("/api/chat/updates")).json()["messages"]
                survey = [m for m in updates if [b["value"] for b in m["buttons"]] == ["1", "2", "3", "4", "5"]]
                assert survey, updates
            assert api.sent() == [], "nothing of the web chat went to Telegram"
