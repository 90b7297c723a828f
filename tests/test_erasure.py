"""Erasure through the one shared path (``bot.privacy.erase_customer``), as staff acting on a request would
call it and as the chat's own "删除我的信息" does: photos (rows and files), ticket addresses and everything
else personal go, on every chat of the customer; anonymous statistics and other customers stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import ChatUser, make_engine
from photo_helpers import send_photo
from sqlalchemy import func, select
from telegram_helpers import scene

from bot import effects
from bot.evidence import EvidenceSettings
from bot.privacy import erase_customer, lookup_hash
from bot.store.models import AuditLog, Conversation, Customer, Evidence, Message, Ticket

SETTINGS = EvidenceSettings()
INTAKE = "我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678"
ADDRESS = "建设路12号4栋201"


def _send_photo(engine, chat: ChatUser, seed: int) -> tuple[int, Path]:
    return send_photo(engine, chat.channel, chat.user, scene(seed), f"{chat.user}-{seed}")


@pytest.fixture
def customer(store):
    """One customer on two channels (the same phone), each chat with a ticket, an address and a photo;
    and another customer with a photo of their own."""
    engine = make_engine(store)
    web = ChatUser(engine, "web-1")
    web.say(INTAKE)
    web.say(ADDRESS)
    telegram = ChatUser(engine, "777", channel="telegram")
    telegram.say(INTAKE)
    telegram.say("人民路8号")
    other = ChatUser(engine, "web-2")
    other.say(INTAKE.replace("13812345678", "13900001111"))
    photos = {"web": _send_photo(engine, web, 1), "telegram": _send_photo(engine, telegram, 2),
              "other": _send_photo(engine, other, 3)}
    with store.session(readonly=True) as s:
        (customer_id,) = s.scalars(select(Customer.id).where(Customer.phone_hash == lookup_hash("13812345678")))
        tickets = s.scalars(select(Ticket).where(Ticket.customer_id == customer_id)).all()
        assert len(tickets) == 2 and all(t.address for t in tickets)
    return {"id": customer_id, "photos": photos, "engine": engine}


def _photo_chats(store) -> set[str]:
    with store.session(readonly=True) as s:
        return set(s.scalars(select(Evidence.chat_id)))


def test_staff_erasing_a_customer_removes_photos_and_addresses_on_every_chat(store, customer) -> None:
    with store.session() as s:
        erased = erase_customer(s, s.get(Customer, customer["id"]), evidence=SETTINGS, actor="admin:alice")
    assert erased.photos == 2 and erased.conversations == 2 and erased.tickets == 2
    assert _photo_chats(store) == {"web-2"}, "the other customer's photo stays"
    assert not customer["photos"]["web"][1].exists() and not customer["photos"]["telegram"][1].exists()
    assert customer["photos"]["other"][1].exists()
    with store.session(readonly=True) as s:
        person = s.get(Customer, customer["id"])
        assert (person.phone, person.phone_hash, person.address, person.erased_at is not None) == (None, None, None, True)
        tickets = s.scalars(select(Ticket).where(Ticket.customer_id == customer["id"])).all()
        assert [t.address for t in tickets] == [None, None]
        assert [(t.brand, t.adcode) for t in tickets] == [("丹斯提尼", "410825")] * 2, "anonymous statistics stay"
        chats = s.scalars(select(Conversation).where(Conversation.chat_id.in_(["web-1", "777"]))).all()
        assert all(c.customer_id is None and c.state == {} for c in chats)
        texts = s.scalars(select(Message.text).where(Message.conversation_id.in_([c.id for c in chats]))).all()
        assert texts and all(t is None for t in texts)
        other_ticket = s.scalars(select(Ticket).join(Conversation).where(Conversation.chat_id == "web-2")).one()
        assert other_ticket.customer_id != customer["id"]
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "customer.erase")).one()
        assert audit.actor == "admin:alice" and audit.detail["photos_erased"] == 2
        assert "13812345678" not in str(audit.detail) and ADDRESS not in str(audit.detail)


def test_photo_files_stay_when_the_erasure_rolls_back(store, customer) -> None:
    with pytest.raises(RuntimeError), store.session() as s:
        assert erase_customer(s, s.get(Customer, customer["id"]), evidence=SETTINGS).photos == 2
        raise RuntimeError("the caller's transaction fails afterwards")
    assert all(path.exists() for _, path in customer["photos"].values())
    assert _photo_chats(store) == {"web-1", "777", "web-2"}


def test_the_chat_command_uses_the_same_erasure(store, customer, monkeypatch) -> None:
    calls = []

    def recording(*args, **kwargs):
        calls.append(kwargs.get("conversation"))
        return erase_customer(*args, **kwargs)

    monkeypatch.setattr(effects, "erase_customer", recording)
    chat = ChatUser(customer["engine"], "777", channel="telegram")
    chat.say("删除我的信息")
    chat.press("确认删除")
    assert len(calls) == 1 and calls[0].chat_id == "777"
    # Through the phone, the customer's web chat goes too: its photo, its ticket's address.
    assert _photo_chats(store) == {"web-2"}
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.customer_id == customer["id"], Ticket.address.is_not(None))) == 0


def test_a_chat_without_a_customer_is_erased_by_itself(store) -> None:
    engine = make_engine(store)
    chat = ChatUser(engine, "anon")
    chat.say("丹斯提尼保险柜打不开")
    _, path = _send_photo(engine, chat, 4)
    with store.session() as s:
        conv = s.scalars(select(Conversation).where(Conversation.chat_id == "anon")).one()
        assert conv.customer_id is None
        assert erase_customer(s, None, conversation=conv, evidence=SETTINGS).photos == 1
    assert not path.exists() and _photo_chats(store) == set()
    with store.session(readonly=True) as s:
        assert sorted(s.scalars(select(AuditLog.action).where(AuditLog.action.like("%.erase")))) == [
            "conversation.erase", "evidence.erase"]
    with pytest.raises(ValueError), store.session() as s:
        erase_customer(s, None, evidence=SETTINGS)


def test_operators_notes_and_the_technicians_visit_notes_go_with_the_customer(store, customer) -> None:
    from bot.store.models import ConsoleNote

    with store.session() as s:
        tickets = s.scalars(select(Ticket).where(Ticket.customer_id == customer["id"])).all()
        for ticket in tickets:
            ticket.visit_notes = "王先生家门口有狗，进门前先打电话 13812345678"
            s.add(ConsoleNote(conversation_id=ticket.conversation_id, ticket_id=ticket.id, private=True,
                              text="客户说邻居也要修，电话 13812345678"))
        other = s.scalars(select(Ticket).join(Conversation).where(Conversation.chat_id == "web-2")).one()
        s.add(ConsoleNote(conversation_id=other.conversation_id, ticket_id=other.id, private=False, text="另一位客户"))
    with store.session() as s:
        erase_customer(s, s.get(Customer, customer["id"]), evidence=SETTINGS, actor="admin:alice")
    with store.session(readonly=True) as s:
        assert [t.visit_notes for t in s.scalars(select(Ticket).where(Ticket.customer_id == customer["id"]))] == [None, None]
        assert [n.text for n in s.scalars(select(ConsoleNote))] == ["另一位客户"]
