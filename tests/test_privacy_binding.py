"""Ciphertexts are bound to their table, column and row; format-1 values still read; keys rotate."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, insert, select, text, update
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bot import privacy
from bot.privacy.cipher import key_id_of
from bot.privacy.columns import UnsealedValueError
from bot.privacy.rotation import rotate_keys
from bot.store.db import lock_conversation
from bot.store.models import Conversation, Customer, Message, SurveyAnswer, Technician, Ticket


@pytest.fixture(autouse=True)
def one_key(monkeypatch):
    monkeypatch.setenv(privacy.SECRET_ENV, privacy.generate_secret())


def _raw(store, table: str, column: str, ident: int) -> bytes | None:
    with store.engine.connect() as conn:
        value = conn.execute(text(f"SELECT {column} FROM {table} WHERE id = :i"), {"i": ident}).scalar_one()
    return None if value is None else bytes(value)


def _put_raw(store, table: str, column: str, ident: int, blob: bytes | None) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {column} = :b WHERE id = :i"), {"b": blob, "i": ident})


def _v1(plaintext: str) -> bytes:
    """A value as the code before binding and rotation wrote it: 0x01 | nonce | AES-GCM, no AAD, key 0."""
    nonce = secrets.token_bytes(12)
    return b"\x01" + nonce + privacy.keyring().aead("0").encrypt(nonce, plaintext.encode(), None)


def _customers(store, *phones: str) -> list[int]:
    with store.session() as s:
        rows = [Customer(phone=p, name=f"客户{p[-4:]}", address="温县黄河路8号") for p in phones]
        s.add_all(rows)
        s.flush()
        return [c.id for c in rows]


def test_a_ciphertext_copied_to_another_row_fails_to_decrypt(store) -> None:
    a, b = _customers(store, "13812345678", "13900001111")
    _put_raw(store, "customer", "phone", b, _raw(store, "customer", "phone", a))
    with store.session(readonly=True) as s, pytest.raises(ValueError, match="cannot decrypt"):
        s.get(Customer, b).phone  # noqa: B018 - loading is the point
    with store.session(readonly=True) as s:
        with pytest.raises(ValueError):
            s.scalar(select(Customer.phone).where(Customer.id == b))  # a column select is bound too
        assert s.scalar(select(Customer.phone).where(Customer.id == a)) == "13812345678"  # the original is fine


def test_a_ciphertext_moved_to_another_column_or_table_fails(store) -> None:
    [a] = _customers(store, "13812345678")
    _put_raw(store, "customer", "name", a, _raw(store, "customer", "phone", a))
    with store.session(readonly=True) as s, pytest.raises(ValueError):
        s.scalar(select(Customer.name).where(Customer.id == a))
    with store.session() as s:
        s.add(Technician(code="T1", name="李明", phone="13700001111", base_adcode="410825"))
    with store.session(readonly=True) as s:
        tech_id = s.scalar(select(Technician.id))
        tech_row_key = s.scalar(select(Technician.row_key))
    phone = _raw(store, "customer", "phone", a)
    with store.engine.begin() as conn:  # even with the row key copied along, the table differs
        conn.execute(text("UPDATE technician SET phone = :b, row_key = :k WHERE id = :i"),
                     {"b": phone, "i": tech_id, "k": conn.scalar(text("SELECT row_key FROM customer"))})
    with store.session(readonly=True) as s, pytest.raises(ValueError):
        s.scalar(select(Technician.phone))
    assert tech_row_key


def test_every_write_path_binds_and_reads_back(store) -> None:
    with store.session() as s:
        conv = lock_conversation(s, "web", "paths")  # dialect INSERT with inline values and a default state
        s.execute(insert(Message).execution_options(render_nulls=True), [  # ORM bulk insert, as the engine does
            {"conversation_id": conv.id, "direction": "in", "text": "电话13812345678", "erased": False,
             "channel_message_id": "m1"},
            {"conversation_id": conv.id, "direction": "out", "text": None, "erased": False,
             "channel_message_id": None}])
        conv.state = {"phone": "13812345678"}
        conv_id = conv.id
    with store.session() as s:
        conv = s.get(Conversation, conv_id)
        s.expire(conv)  # an update of an object whose row key is not loaded
        conv.state = {"phone": "13900001111"}
    with store.engine.begin() as conn:  # plain Core, outside the ORM
        conn.execute(insert(Customer.__table__), {"phone": "13600002222"})
    with store.session(readonly=True) as s:
        assert s.get(Conversation, conv_id).state == {"phone": "13900001111"}
        assert s.scalars(select(Message.text).order_by(Message.id)).all() == ["电话13812345678", None]
        assert s.scalar(select(Customer.phone)) == "13600002222"
        assert all(len(k) == 32 for k in s.scalars(select(Message.row_key)))
    with store.engine.connect() as conn:
        blob = bytes(conn.execute(text("SELECT state FROM conversation")).scalar_one())
    assert key_id_of(blob) == privacy.keyring().current_id and b"1390000" not in blob


def test_joined_and_aliased_reads_use_each_row_s_own_key(store) -> None:
    from sqlalchemy.orm import aliased, joinedload

    [a, b] = _customers(store, "13812345678", "13900001111")
    with store.session() as s:
        for n, customer_id in enumerate((a, b)):
            s.add(Conversation(channel="web", chat_id=f"j{n}", customer_id=customer_id, state={"n": n}))
    with store.session(readonly=True) as s:
        convs = s.scalars(select(Conversation).options(joinedload(Conversation.customer)).order_by(Conversation.id)).all()
        assert [(c.state, c.customer.phone) for c in convs] == [({"n": 0}, "13812345678"), ({"n": 1}, "13900001111")]
        other = aliased(Customer)
        pairs = s.execute(select(Customer.phone, other.phone).join(other, other.id != Customer.id)
                          .order_by(Customer.id)).all()
        assert pairs == [("13812345678", "13900001111"), ("13900001111", "13812345678")]


def test_unbindable_writes_are_refused_not_stored_unbound(store) -> None:
    _customers(store, "13812345678")
    with pytest.raises(UnsealedValueError), store.session() as s:  # one value for many rows cannot be bound
        s.execute(update(Customer).values(phone="13900001111"))
    with store.session() as s:  # erasing in bulk is fine
        s.execute(update(Customer).values(phone=None, name=None))
    with store.session(readonly=True) as s:
        assert s.scalar(select(Customer.phone)) is None


def test_format_1_values_still_decrypt_and_are_rewritten_bound(store) -> None:
    [a] = _customers(store, "13812345678")
    _put_raw(store, "customer", "name", a, _v1("王女士"))
    with store.session() as s:
        customer = s.get(Customer, a)
        assert customer.name == "王女士"  # read old
        customer.name = "王先生"
    assert _raw(store, "customer", "name", a)[:1] == b"\x02"  # write new


def test_a_row_without_row_key_reads_old_values_and_gets_a_key_on_write(store) -> None:
    """Rows inserted outside the application (no row key) hold format-1 values; a write gives them a key."""
    [a] = _customers(store, "13812345678")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE customer SET row_key = NULL, phone = :p, name = NULL, address = NULL"),
                     {"p": _v1("13812345678")})
    with store.session() as s:
        customer = s.get(Customer, a)
        assert customer.phone == "13812345678" and customer.row_key is None
        customer.name = "王女士"
    with store.session(readonly=True) as s:
        customer = s.get(Customer, a)
        assert len(customer.row_key) == 32 and (customer.phone, customer.name) == ("13812345678", "王女士")


def test_a_new_model_needs_only_the_mixin() -> None:
    """What another branch's outbox table would do: the types and RowKeyed, no other code."""

    class Base(DeclarativeBase):
        pass

    class Outbox(privacy.RowKeyed, Base):
        __tablename__ = "outbox_example"
        id: Mapped[int] = mapped_column(primary_key=True)
        payload: Mapped[dict] = mapped_column(privacy.EncryptedJSON(), default=dict)
        note: Mapped[str | None] = mapped_column(privacy.EncryptedText())

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Outbox(payload={"text": "您好 13812345678"}, note="a"), Outbox(note="b")])
        s.commit()
        first, second = s.scalars(select(Outbox).order_by(Outbox.id)).all()
        assert (first.payload, second.payload) == ({"text": "您好 13812345678"}, {})
        s.execute(text("UPDATE outbox_example SET note = (SELECT note FROM outbox_example WHERE id = 1) WHERE id = 2"))
        s.expire_all()
        with pytest.raises(ValueError):
            s.scalar(select(Outbox.note).where(Outbox.id == 2))
    engine.dispose()


def test_a_model_without_row_key_fails_at_start_up() -> None:
    script = (
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, configure_mappers\n"
        "from bot import privacy\n"
        "class Base(DeclarativeBase): pass\n"
        "class Bad(Base):\n"
        "    __tablename__ = 'bad'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    secret: Mapped[str] = mapped_column(privacy.EncryptedString())\n"
        "configure_mappers()\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode != 0 and "inherit bot.privacy.RowKeyed" in out.stderr


def test_plaintext_never_reaches_an_error_message(store) -> None:
    with pytest.raises(StatementError) as failure, store.session() as s:
        s.add(Customer(phone="\ud800 13812345678"))
        s.flush()
    assert "13812345678" not in str(failure.value)


def _seed_everything(store) -> dict[str, object]:
    [a, b] = _customers(store, "13812345678", "13900001111")
    with store.session() as s:
        conv = lock_conversation(s, "web", "rotate")
        conv.state = {"phone": "13812345678"}
        s.add_all([Message(conversation_id=conv.id, direction="in", text=f"第{i}条 13812345678") for i in range(7)])
        ticket = Ticket(conversation_id=conv.id, status="closed")
        s.add(ticket)
        s.flush()
        s.add(SurveyAnswer(ticket_id=ticket.id, question="csat", score=4, comment="很好"))
    _put_raw(store, "customer", "address", b, _v1("旧格式地址"))  # a format-1 value too
    return {"a": a, "b": b}


def _everything(store) -> tuple:
    with store.session(readonly=True) as s:
        return (sorted((c.phone, c.name, c.address) for c in s.scalars(select(Customer))),
                s.scalars(select(Message.text).order_by(Message.id)).all(),
                s.scalars(select(Conversation.state)).all(), s.scalars(select(SurveyAnswer.comment)).all())


def test_rotation_reencrypts_everything_and_old_keys_retire(store, monkeypatch) -> None:
    seeded = _seed_everything(store)
    before = _everything(store)
    phone_hash = privacy.lookup_hash("13812345678")
    old_ring = privacy.keyring()
    from bot.privacy.keys import with_new_key

    ring_text, new_id = with_new_key(os.environ[privacy.SECRET_ENV], "test")
    monkeypatch.setenv(privacy.SECRET_ENV, ring_text)
    assert privacy.keyring().current_id == new_id != old_ring.current_id
    progress: list[tuple[str, int, int]] = []
    report = rotate_keys(store, batch_size=3, progress=lambda *a: progress.append(a))
    assert report.remaining == 0 and report.retirable == ["0"]
    assert report.rows == 2 + 1 + 7 + 1 and sum(report.rewritten.values()) == 3 * 2 + 1 + 7 + 1
    assert progress[-1][1:] == (report.rows, report.rows) and len(progress) >= 4  # batches of three
    again = rotate_keys(store)  # idempotent: nothing left to do
    assert again.rows == 0 and again.remaining == 0
    # Retire the old key: keep only the new one and the pinned hash key.
    retired = "\n".join(e for e in ring_text.split() if not e.startswith("0:"))
    monkeypatch.setenv(privacy.SECRET_ENV, retired)
    assert privacy.keyring().ids == (new_id,)
    assert _everything(store) == before
    assert privacy.lookup_hash("13812345678") == phone_hash  # customers are still found by phone
    assert key_id_of(_raw(store, "customer", "address", seeded["b"])) == new_id


def test_rotation_resumes_after_an_interruption(store, monkeypatch) -> None:
    _seed_everything(store)
    before = _everything(store)
    from bot.privacy.keys import with_new_key

    ring_text, _ = with_new_key(os.environ[privacy.SECRET_ENV], "test")
    monkeypatch.setenv(privacy.SECRET_ENV, ring_text)

    class Stop(Exception):
        pass

    def stop_after_first_batch(table: str, done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        rotate_keys(store, batch_size=2, progress=stop_after_first_batch)
    resumed = rotate_keys(store, batch_size=2)
    assert resumed.remaining == 0 and 0 < resumed.rows < 11  # the first batch stayed done
    assert _everything(store) == before
