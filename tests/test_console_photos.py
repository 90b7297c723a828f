"""Photo evidence in the console, over HTTP on both backends: the ticket and conversation pages list the
photos with their flags (a near-duplicate loud and linking to the other ticket, metadata hints quiet),
the queue shows a per-chat indicator, and the image routes serve a photo only to signed-in staff, only
through its own ticket or chat, never cached, and each view lands in the audit log."""

from __future__ import annotations

import io
import re

import pytest
from console_helpers import account, signed_in
from engine_helpers import ChatUser
from fixtures_web import browser_client
from photo_helpers import send_photo
from PIL import Image
from sqlalchemy import select
from telegram_helpers import jpeg, scene

from bot.store.models import AuditLog, Conversation, Ticket

INTAKE = "我在焦作温县，丹斯提尼保险柜密码忘了，电话{phone}"


def _recompressed(data: bytes) -> bytes:
    """The same picture forwarded: resized and re-encoded (other bytes, same perceptual hash)."""
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).resize((300, 225)).save(out, "JPEG", quality=60)
    return out.getvalue()


@pytest.fixture
def evidence(app):
    """Customer A sent a photo; customer B sent the same picture re-encoded (near-duplicate of A's) and a
    camera photo with no flag at all."""
    engine = app.state.engine
    ids: dict[str, int] = {}
    for who, phone in (("a", "13812345678"), ("b", "13900001111")):
        ChatUser(engine, f"chat-{who}").say(INTAKE.format(phone=phone))
    original = scene(1)
    ids["photo_a"], _ = send_photo(engine, "web", "chat-a", original, "a1")
    ids["photo_b"], path_b = send_photo(engine, "web", "chat-b", _recompressed(original), "b1")
    ids["camera_b"], _ = send_photo(engine, "web", "chat-b", jpeg(exif_make="Xiaomi", pattern=5), "b2")
    with engine.db.session(readonly=True) as s:
        for who in ("a", "b"):
            conv = s.scalars(select(Conversation).where(Conversation.chat_id == f"chat-{who}")).one()
            ids[f"conv_{who}"] = conv.id
            ids[f"ticket_{who}"] = s.scalars(select(Ticket.id).where(Ticket.conversation_id == conv.id)).one()
    account(engine.db, "alice")
    account(engine.db, "boss", "manager")
    return {**ids, "original": original, "path_b": path_b, "db": engine.db}


def _views(db) -> list[AuditLog]:
    with db.session(readonly=True) as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "evidence.view").order_by(AuditLog.id)).all()
        s.expunge_all()
        return rows


async def test_the_ticket_page_shows_photos_with_flags_and_links_the_other_ticket(app, evidence):
    e = evidence
    async with browser_client(app) as op:
        await signed_in(op, "alice")
        page = (await op.get(f"/console/tickets/{e['ticket_b']}")).text
    assert "照片证据" in page and "2 张" in page
    for photo in ("photo_b", "camera_b"):
        url = f"/console/tickets/{e['ticket_b']}/photos/{e[photo]}"
        assert f'href="http://test{url}"' in page and f'src="http://test{url}/thumb"' in page
    flag = re.search(r'<li class="flag flag--strong" data-flag="near_duplicate"><a href="([^"]+)">([^<]+)</a>', page)
    assert flag, page
    assert flag.group(1) == f"http://test/console/tickets/{e['ticket_a']}#photo-{e['photo_a']}"
    assert flag.group(2) == f"图片与工单 #{e['ticket_a']} 的图片高度相似"
    # The forwarded copy has no camera information either: a soft hint, shown quietly.
    assert re.search(r'<li class="flag flag--soft" data-flag="no_camera_metadata">图片没有相机拍摄信息', page)
    assert 'class="photo photo--flagged" id="photo-{}"'.format(e["photo_b"]) in page
    assert 'class="photo" id="photo-{}"'.format(e["camera_b"]) in page  # no flag, no frame
    assert "JPEG · " in page and "×225" in page
    # A's ticket shows its own photo only, and nothing of B's.
    async with browser_client(app) as op:
        await signed_in(op, "alice")
        page_a = (await op.get(f"/console/tickets/{e['ticket_a']}")).text
    assert f"/photos/{e['photo_a']}/thumb" in page_a and f"/photos/{e['photo_b']}" not in page_a
    assert _views(e["db"]) == [], "listing a page logs nothing; the images log each view"


async def test_the_conversation_page_and_the_queue_show_the_chats_photos(app, evidence):
    e = evidence
    async with browser_client(app) as op:
        await signed_in(op, "alice")
        page = (await op.get(f"/console/conversations/{e['conv_b']}")).text
        rows = (await op.get("/console/queue/rows")).text
    assert f'src="http://test/console/conversations/{e["conv_b"]}/photos/{e["photo_b"]}/thumb"' in page
    assert f"图片与工单 #{e['ticket_a']} 的图片高度相似" in page
    row_b = re.search(rf'<tr [^>]*data-conversation="{e["conv_b"]}">.*?</tr>', rows, re.S)
    row_a = re.search(rf'<tr [^>]*data-conversation="{e["conv_a"]}">.*?</tr>', rows, re.S)
    assert row_a and row_b, rows
    assert "2 张" in row_b.group(0) and "相似图片 1" in row_b.group(0)
    assert "1 张" in row_a.group(0) and "flag--strong" not in row_a.group(0)
    assert "提示 1" in row_a.group(0), "A's photo has no camera information: a quiet hint"


async def test_the_image_route_serves_staff_only_its_own_photos_uncached_and_audited(app, evidence):
    e = evidence
    full = f"/console/tickets/{e['ticket_a']}/photos/{e['photo_a']}"
    async with browser_client(app) as nobody:
        refused = await nobody.get(full)
        assert refused.status_code == 303 and "/console/login" in refused.headers["location"]
        assert (await nobody.get(full + "/thumb")).status_code == 303
    assert _views(e["db"]) == []
    async with browser_client(app) as op:
        await signed_in(op, "alice")
        response = await op.get(full)
        assert response.status_code == 200 and response.content == e["original"]
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"] == "private, no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        thumb = await op.get(full + "/thumb")
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        assert thumb.headers["cache-control"] == "private, no-store"
        assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
        # Another ticket's photo through this ticket, an unknown id, another chat's photo: not found.
        for url in (f"/console/tickets/{e['ticket_a']}/photos/{e['photo_b']}",
                    f"/console/tickets/{e['ticket_a']}/photos/{e['photo_b']}/thumb",
                    f"/console/tickets/{e['ticket_a']}/photos/999999",
                    f"/console/tickets/999999/photos/{e['photo_a']}",
                    f"/console/conversations/{e['conv_a']}/photos/{e['photo_b']}"):
            missing = await op.get(url)
            assert missing.status_code == 404 and b"\xff\xd8" not in missing.content[:4], url
        chat = await op.get(f"/console/conversations/{e['conv_b']}/photos/{e['photo_b']}")
        assert chat.status_code == 200 and chat.headers["cache-control"] == "private, no-store"
    async with browser_client(app) as boss:  # managers review tickets: they may look too
        await signed_in(boss, "boss")
        assert (await boss.get(full)).status_code == 200
    views = _views(e["db"])
    assert [(v.actor, v.target, v.detail["size"]) for v in views] == [
        ("operator:alice", f"evidence:{e['photo_a']}", "full"),
        ("operator:alice", f"evidence:{e['photo_a']}", "thumb"),
        ("operator:alice", f"evidence:{e['photo_b']}", "full"),
        ("manager:boss", f"evidence:{e['photo_a']}", "full"),
    ]
    assert views[0].detail["ticket"] == e["ticket_a"] and views[2].detail["conversation"] == e["conv_b"]


async def test_a_photo_whose_file_went_is_not_found_and_not_logged_as_seen(app, evidence):
    e = evidence
    e["path_b"].unlink()
    async with browser_client(app) as op:
        await signed_in(op, "alice")
        assert (await op.get(f"/console/tickets/{e['ticket_b']}/photos/{e['photo_b']}")).status_code == 404
    assert _views(e["db"]) == []
