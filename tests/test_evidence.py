"""Photo evidence: only real JPEG/PNG/WebP photos are kept, fingerprinted and flagged for operators."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select
from telegram_helpers import jpeg, scene

from bot.evidence import Accepted, EvidenceSettings, PhotoRejected, Rejected, accept_photo, flags_for_ticket
from bot.evidence import inspect_photo as inspect
from bot.evidence.settings import EvidenceSettingsError
from bot.store.models import AuditLog, Conversation, Customer, Evidence, Ticket

SETTINGS = EvidenceSettings()
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def _encode(fmt: str, **params) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, fmt, **params)
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "media_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                                 ("WEBP", "image/webp")])
def test_jpeg_png_webp_are_kept(fmt, media_type):
    photo = inspect(_encode(fmt), SETTINGS)
    assert photo.media_type == media_type and (photo.width, photo.height) == (40, 30)
    assert len(photo.sha256) == 64 and len(photo.phash) == 16


@pytest.mark.parametrize(("data", "code"), [
    (b"", "not_image"),
    (b"%PDF-1.7\n1 0 obj", "not_image"),
    ("这不是图片".encode(), "not_image"),
    (_encode("GIF"), "unsupported_format"),
    (_encode("BMP"), "unsupported_format"),
    (_encode("JPEG")[:200], "not_image"),  # truncated upload
    (b"\xff" * (SETTINGS.max_bytes + 1), "too_large"),
])
def test_anything_else_is_refused_with_a_reason(data, code):
    with pytest.raises(PhotoRejected) as caught:
        inspect(data, SETTINGS)
    assert caught.value.code == code


def test_a_small_file_declaring_a_gigantic_canvas_is_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 Mpx of one bit: a few kilobytes on disk
    assert len(out.getvalue()) < 200_000
    with pytest.raises(PhotoRejected) as caught:
        inspect(out.getvalue(), SETTINGS)
    assert caught.value.code == "too_many_pixels"


def test_camera_metadata_raises_no_flag_and_its_absence_a_soft_one():
    assert inspect(jpeg(exif_make="Xiaomi"), SETTINGS).flags == []
    assert [f["code"] for f in inspect(jpeg(), SETTINGS).flags] == ["no_camera_metadata"]


def test_an_editor_or_generator_named_in_the_metadata_is_flagged():
    edited = inspect(jpeg(exif_make="Canon", software="Adobe Photoshop 25.0"), SETTINGS)
    assert [f["code"] for f in edited.flags] == ["editor_or_generator"] and "photoshop" in edited.flags[0]["text"].lower()
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a broken safe door, photorealistic, Steps: 30, Sampler: Euler a")
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, "PNG", pnginfo=info)
    generated = inspect(out.getvalue(), SETTINGS)
    assert "editor_or_generator" in [f["code"] for f in generated.flags]


def _conversation(store, chat: str, phone_hash: str | None = None) -> tuple[int, int]:
    with store.session() as s:
        customer = Customer(phone_hash=phone_hash) if phone_hash else None
        if customer:
            s.add(customer)
            s.flush()
        conv = Conversation(channel="web", chat_id=chat, state={}, customer_id=customer.id if customer else None)
        s.add(conv)
        s.flush()
        ticket = Ticket(conversation_id=conv.id, status="collecting", customer_id=conv.customer_id)
        s.add(ticket)
        s.flush()
        return conv.id, ticket.id


def _keep(store, chat: str, data: bytes, source: str) -> Accepted | Rejected:
    return accept_photo(store, channel="web", chat_id=chat, source_id=source, data=data, settings=SETTINGS, now=NOW)


def _link(store, evidence_id: int, conv_id: int, ticket_id: int) -> None:
    with store.session() as s:
        row = s.get(Evidence, evidence_id)
        row.conversation_id, row.ticket_id = conv_id, ticket_id


def test_a_near_duplicate_of_another_customers_photo_is_flagged_with_that_ticket(store):
    conv_a, ticket_a = _conversation(store, "wa", phone_hash="a")
    conv_b, ticket_b = _conversation(store, "wb", phone_hash="b")
    original = scene(1)
    first = _keep(store, "wa", original, "a1")
    assert isinstance(first, Accepted) and not any(f["code"] == "near_duplicate" for f in first.flags)
    _link(store, first.evidence_id, conv_a, ticket_a)
    # the same scene re-encoded (what a forwarded photo looks like): other bytes, same picture
    recompressed = io.BytesIO()
    Image.open(io.BytesIO(original)).resize((300, 225)).save(recompressed, "JPEG", quality=60)
    second = _keep(store, "wb", recompressed.getvalue(), "b1")
    near = [f for f in second.flags if f["code"] == "near_duplicate"]
    assert near and near[0]["text"] == f"图片与工单 #{ticket_a} 的图片高度相似" and near[0]["ticket_id"] == ticket_a
    _link(store, second.evidence_id, conv_b, ticket_b)
    with store.session(readonly=True) as s:
        assert any(f["code"] == "near_duplicate" for f in flags_for_ticket(s, ticket_b))
        assert s.scalars(select(AuditLog).where(AuditLog.action == "evidence.flag")).first() is not None
    # an unrelated picture raises no such flag
    other = _keep(store, "wb", scene(2), "b2")
    assert not any(f["code"] == "near_duplicate" for f in other.flags)


def test_the_same_customer_sending_a_photo_again_is_not_flagged(store):
    _conversation(store, "wc", phone_hash="c")
    picture = jpeg(pattern=3)
    first = _keep(store, "wc", picture, "c1")
    again = _keep(store, "wc", picture, "c2")
    assert isinstance(first, Accepted) and isinstance(again, Accepted)
    assert not any(f["code"] == "near_duplicate" for f in again.flags)


def test_the_same_delivery_is_stored_once(store):
    picture = jpeg(pattern=4)
    first = _keep(store, "wd", picture, "d1")
    second = _keep(store, "wd", picture, "d1")
    assert first.evidence_id == second.evidence_id and second.duplicate_delivery
    with store.session(readonly=True) as s:
        assert len(s.scalars(select(Evidence)).all()) == 1
    files = [p for p in SETTINGS.root.rglob("*") if p.is_file()]
    assert len(files) == 1


def test_a_refused_file_leaves_nothing_behind(store):
    assert _keep(store, "we", b"GIF89a....", "e1") == Rejected("not_image")
    with store.session(readonly=True) as s:
        assert s.scalars(select(Evidence)).all() == []
    assert not SETTINGS.root.exists() or not any(p.is_file() for p in SETTINGS.root.rglob("*"))


@pytest.mark.parametrize("section", [{"max_bytes": "10MB"}, {"formats": ["GIF"]}, {"directory": "../etc"},
                                     {"near_duplicate_distance": -1}, "ten megabytes"])
def test_bad_settings_name_the_key(section):
    with pytest.raises(EvidenceSettingsError, match="evidence"):
        EvidenceSettings.from_config({"evidence": section})


def test_a_thumbnail_is_a_small_upright_jpeg_without_the_originals_metadata():
    from bot.evidence.preview import thumbnail

    wide = Image.new("RGB", (1200, 600), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"
    exif[0x0112] = 6  # orientation: the camera was held upright, the pixels lie on their side
    out = io.BytesIO()
    wide.save(out, "JPEG", exif=exif.tobytes())
    thumb = Image.open(io.BytesIO(thumbnail(out.getvalue())))
    assert thumb.format == "JPEG" and thumb.size == (160, 320)
    assert not thumb.getexif(), "camera, place and time stay in the original only"
    clear = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 0, 0)).save(clear, "PNG")
    pixel = Image.open(io.BytesIO(thumbnail(clear.getvalue()))).convert("RGB").getpixel((5, 5))
    assert all(channel > 240 for channel in pixel), "transparency shows on white, not black"
