"""Models, encryption at rest, erasure, de-duplication and per-chat locking, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from bot.privacy import decrypt, erase_customer, lookup_hash, normalise_phone
from bot.privacy.columns import cell_context
from bot.store.db import Database, lock_conversation, seen_message
from bot.store.models import (
    AuditLog,
    Conversation,
    Customer,
    Message,
    Operator,
    OutboxMessage,
    SurveyAnswer,
    Ticket,
)


def _customer(session, phone="13812345678", name="王女士", address="温县黄河路8号") -> Customer:
    customer = Customer(phone=phone, phone_hash=lookup_hash(normalise_phone(phone)), name=name, address=address)
    session.add(customer)
    session.flush()
    return customer


def test_round_trip_of_every_model(store):
    shanghai = timezone(timedelta(hours=8))
    due = datetime(2026, 12, 1, 9, 30, tzinfo=shanghai)
    with store.session() as s:
        customer = _customer(s)
        operator = Operator(username="op1", display_name="小李")
        conv = lock_conversation(s, "web", "user-1")
        conv.customer = customer
        conv.state = {"stage": "collecting", "brand": "丹斯提尼", "nested": {"list": [1, 2]}}
        conv.expecting = "phone"
        conv.operator = operator
        ticket = Ticket(customer=customer, conversation=conv, brand="丹斯提尼", product="safe",
                        fault="forgot_password", adcode="410825", covered=True)
        s.add_all([operator, ticket])
        s.add(Message(conversation=conv, direction="in", text="丹斯提尼保险柜打不开 13812345678",
                      channel_message_id="m1"))
        s.add(OutboxMessage(idempotency_key="survey:1", conversation=conv, ticket=ticket, channel="web", chat_id="user-1",
                            kind="survey", payload={"text": "请打分", "buttons": []}, due_at=due, available_at=due))
        s.add(SurveyAnswer(ticket=ticket, question="csat", score=5, comment="师傅很快"))
        s.add(AuditLog(actor="test", action="create", target="ticket", detail={"ok": True}))
    with store.session(readonly=True) as s:
        conv = s.scalars(select(Conversation)).one()
        assert conv.state == {"stage": "collecting", "brand": "丹斯提尼", "nested": {"list": [1, 2]}}
        assert conv.expecting == "phone" and conv.held_by == conv.operator_id is not None
        assert conv.customer.phone == "13812345678" and conv.customer.name == "王女士"
        assert conv.messages[0].text == "丹斯提尼保险柜打不开 13812345678"
        ticket = conv.tickets[0]
        assert (ticket.status, ticket.brand, ticket.adcode, ticket.covered) == ("collecting", "丹斯提尼", "410825", True)
        follow_up = s.scalars(select(OutboxMessage)).one()
        assert follow_up.due_at == due and follow_up.due_at.tzinfo is not None
        assert follow_up.due_at.utcoffset() == timedelta(0)
        assert follow_up.status == "pending" and follow_up.attempts == 0
        assert follow_up.payload == {"text": "请打分", "buttons": []}
        assert s.scalars(select(SurveyAnswer)).one().comment == "师傅很快"
        assert s.scalars(select(AuditLog)).one().detail == {"ok": True}


def test_personal_data_is_encrypted_at_rest(store):
    with store.session() as s:
        customer = _customer(s)
        conv = lock_conversation(s, "telegram", "42")
        s.add(Message(conversation=conv, direction="in", text="我在温县黄河路8号，电话13812345678"))
        customer_id = customer.id
    with store.session() as s:
        conv = lock_conversation(s, "telegram", "42")
        conv.state = {"phone": "13812345678", "place": {"county": "温县"}}
    with store.engine.connect() as conn:
        raw_state = conn.execute(text("SELECT state FROM conversation")).scalar_one()
        assert b"13812345678" not in bytes(raw_state) and "温县".encode() not in bytes(raw_state)
        phone, name, address, phone_hash, row_key = conn.execute(
            text("SELECT phone, name, address, phone_hash, row_key FROM customer WHERE id = :id"), {"id": customer_id}
        ).one()
        raw_text = conn.execute(text("SELECT text FROM message")).scalar_one()
    for column, raw, plain in (("phone", phone, "13812345678"), ("name", name, "王女士"),
                               ("address", address, "温县黄河路8号")):
        assert plain.encode() not in bytes(raw)
        assert decrypt(bytes(raw), cell_context("customer", column, row_key)) == plain  # bound to its cell
    assert b"13812345678" not in bytes(raw_text)
    assert "13812345678" not in phone_hash
    # Lookup by keyed hash finds the customer whatever way the number is typed.
    with store.session(readonly=True) as s:
        found = s.scalars(
            select(Customer).where(Customer.phone_hash == lookup_hash(normalise_phone("+86 138-1234-5678")))
        ).one()
        assert found.id == customer_id


def test_naive_datetimes_are_refused(store):
    with pytest.raises(StatementError, match="naive datetime"), store.session() as s:
        ticket = Ticket(status="collecting")
        s.add(ticket)
        s.flush()
        s.add(OutboxMessage(idempotency_key="k", ticket=ticket, channel="web", chat_id="c", kind="survey",
                            payload={"text": ""}, due_at=datetime(2026, 12, 1, 9, 0),
                            available_at=datetime(2026, 12, 1, 9, 0)))
        s.flush()


def test_status_vocabulary_is_enforced(store):
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(Ticket(status="lost"))
        s.flush()


def test_erasure_wipes_personal_data_and_keeps_statistics(store):
    with store.session() as s:
        customer = _customer(s)
        conv = lock_conversation(s, "web", "u-erase")
        conv.customer = customer
        conv.state = {"stage": "booked", "phone": "13812345678"}
        ticket = Ticket(customer=customer, conversation=conv, status="booked", brand="旗电佳", product="lock",
                        fault="fingerprint_fail", adcode="441900", town="茶山镇", covered=True)
        s.add(ticket)
        s.add(Message(conversation=conv, direction="in", text="电话 13812345678 地址 茶山镇"))
        s.add(SurveyAnswer(ticket=ticket, question="csat", score=4, comment="打 13812345678 找我"))
        other = _customer(s, phone="13900000000", name="李先生", address="别处")
        customer_id, other_id = customer.id, other.id
    with store.session() as s:
        erase_customer(s, s.get(Customer, customer_id))
    with store.session(readonly=True) as s:
        customer = s.get(Customer, customer_id)
        assert (customer.phone, customer.name, customer.address, customer.phone_hash) == (None, None, None, None)
        assert customer.erased_at is not None
        ticket = s.scalars(select(Ticket)).one()
        assert (ticket.brand, ticket.product, ticket.fault, ticket.adcode, ticket.status) == (
            "旗电佳", "lock", "fingerprint_fail", "441900", "booked")
        message = s.scalars(select(Message)).one()
        assert message.text is None and message.erased
        assert s.scalars(select(Conversation)).one().state == {}
        answer = s.scalars(select(SurveyAnswer)).one()
        assert answer.score == 4 and answer.comment is None
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "customer.erase")).one()
        assert audit.target == f"customer:{customer_id}" and "13812345678" not in str(audit.detail)
        assert s.get(Customer, other_id).phone == "13900000000"  # nobody else is touched
        assert s.scalar(select(func.count()).select_from(Customer).where(
            Customer.phone_hash == lookup_hash("13812345678"))) == 0


def test_seen_message(store):
    with store.session() as s:
        assert seen_message(s, "telegram", "1001") is False
        assert seen_message(s, "telegram", "1001") is True
        assert seen_message(s, "wechat", "1001") is False  # ids are per channel
    # A failed transaction forgets the id, so the retry is handled.
    with pytest.raises(RuntimeError), store.session() as s:
        assert seen_message(s, "web", "m-9") is False
        raise RuntimeError("handler failed")
    with store.session() as s:
        assert seen_message(s, "web", "m-9") is False


def _run_threads(count: int, target) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def runner(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_forget_processed_before(store):
    from bot.store.db import forget_processed_before
    from bot.store.models import ProcessedMessage

    with store.session() as s:
        seen_message(s, "telegram", "old")
        s.get(ProcessedMessage, ("telegram", "old")).at = datetime.now(UTC) - timedelta(days=30)
        seen_message(s, "telegram", "new")
    with store.session() as s:
        assert forget_processed_before(s, datetime.now(UTC) - timedelta(days=7)) == 1
    with store.session() as s:
        assert seen_message(s, "telegram", "new") is True
        assert seen_message(s, "telegram", "old") is False


def test_seen_message_under_concurrency(store):
    def deliver(_i: int) -> bool:
        with store.session() as s:
            return seen_message(s, "telegram", "update-77")

    results = _run_threads(12, deliver)
    assert results.count(False) == 1 and results.count(True) == 11


def test_lock_conversation_creates_one_row_under_concurrency(store):
    def first_message(_i: int) -> int:
        with store.session() as s:
            return lock_conversation(s, "web", "same-user").id

    ids = _run_threads(10, first_message)
    assert len(set(ids)) == 1
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 1


def test_lock_conversation_serialises_read_modify_write(store):
    def bump(_i: int) -> None:
        with store.session() as s:
            conv = lock_conversation(s, "web", "counter")
            n = conv.state.get("n", 0)
            time.sleep(0.01)  # widen the window a lost update would need
            conv.state = {"n": n + 1}
            conv.misunderstood_count += 1

    _run_threads(10, bump)
    with store.session(readonly=True) as s:
        conv = s.scalars(select(Conversation)).one()
        assert conv.state == {"n": 10} and conv.misunderstood_count == 10


def test_second_transaction_waits_for_the_chat_lock(store):
    """While one transaction holds a chat, another on the same chat blocks until the first commits."""
    with store.session() as s:
        lock_conversation(s, "web", "chat-a")
        lock_conversation(s, "web", "chat-b")
    holding, release = threading.Event(), threading.Event()
    second_locked = threading.Event()

    def first() -> None:
        with store.session() as s:
            lock_conversation(s, "web", "chat-a").state = {"by": "first"}
            holding.set()
            release.wait(30)

    def second() -> None:
        with store.session() as s:
            conv = lock_conversation(s, "web", "chat-a")
            second_locked.set()
            assert conv.state == {"by": "first"}  # it saw the first transaction's committed write
            conv.state = {"by": "second"}

    t1 = threading.Thread(target=first)
    t1.start()
    assert holding.wait(10)
    t2 = threading.Thread(target=second)
    t2.start()
    assert not second_locked.wait(0.5), "the second transaction got the chat while the first held it"
    if store.dialect == "postgresql":
        # Row locks are per chat: a different chat proceeds while chat-a is held.
        with store.session() as s:
            lock_conversation(s, "web", "chat-b").state = {"free": True}
    release.set()
    t1.join(10)
    t2.join(10)
    assert second_locked.is_set()
    with store.session(readonly=True) as s:
        assert s.scalars(select(Conversation).where(Conversation.chat_id == "chat-a")).one().state == {"by": "second"}


def test_default_url_uses_data_dir(monkeypatch, tmp_path):
    from bot.store.db import default_url, normalise_url, safe_url

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("REPAIRBOT_DATA", str(tmp_path / "d"))
    assert default_url() == f"sqlite:///{tmp_path / 'd' / 'repairbot.sqlite3'}"
    assert (tmp_path / "d").is_dir()
    monkeypatch.setenv("DATABASE_URL", "postgres://bot:s3cret@db/repairbot")
    assert default_url() == "postgresql+psycopg://bot:s3cret@db/repairbot"
    assert "s3cret" not in safe_url(default_url())
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_db_cli_upgrade_is_idempotent_and_info_reports(db_url, capsys):
    import json

    from fixtures_store import drop_everything

    from bot.cli import main

    drop_everything(Database(db_url))
    assert main(["db", "upgrade", "--url", db_url]) == 0
    added = re.search(r"technicians: (\d+) added", capsys.readouterr().out)
    assert added and 8 <= int(added.group(1)) <= 20
    assert main(["db", "upgrade", "--url", db_url]) == 0
    assert "0 added, 0 updated, 0 deactivated" in capsys.readouterr().out
    assert main(["db", "info", "--url", db_url, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["up_to_date"] is True
    assert info["rows"]["technician"] >= 8
    assert info["rows"]["technician_coverage"] >= info["rows"]["technician"]


def test_timestamps_are_utc(store):
    with store.session() as s:
        conv = lock_conversation(s, "web", "t")
        created = conv.created_at
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=5)


def test_technician_sync_from_processes_starting_together(store):
    """Several `repairbot serve` starting at once on an empty database: no duplicate-key crash, one row each."""
    from bot.config import load_config
    from bot.store.models import Technician
    from bot.technicians import sync_from_config

    config = load_config()

    def start_up(_i: int) -> int:
        db = Database(store.url)  # a process of its own: its own engine and pool
        try:
            with db.session() as s:
                return len(sync_from_config(s, config).added)
        finally:
            db.dispose()

    added = _run_threads(6, start_up)
    codes = [t["code"] for t in config["technicians"]]
    assert sum(added) == len(codes)
    with store.session(readonly=True) as s:
        assert sorted(s.scalars(select(Technician.code))) == sorted(codes)


def test_a_failing_statement_does_not_print_its_values(store):
    """Database errors end up in logs: a value that fails before encryption must not be printed as plaintext."""
    with store.session() as s:
        conv = lock_conversation(s, "web", "values")
    with pytest.raises(StatementError) as failure, store.session() as s:
        s.add(Message(conversation_id=conv.id, direction="in", text="\ud800 我住花园路88号"))
        s.flush()
    assert "花园路88号" not in str(failure.value)
