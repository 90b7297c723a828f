"""How many SQL statements typical turns cost, on both backends (issue 11).

Every statement is a round trip to PostgreSQL and a few hundred microseconds of Python, and the
turn's latency under load follows their number. These counts are pinned so that a change which adds
statements to the hot path fails here and is made on purpose (then update the numbers). Statements are
counted with SQLAlchemy's ``before_cursor_execute``, so SQLite's ``BEGIN IMMEDIATE`` counts and
PostgreSQL's implicit ``BEGIN``/``COMMIT`` do not. No timing is asserted anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from engine_helpers import ChatUser, make_engine
from sqlalchemy import event

# Per backend: the statements of each turn of a conversation that books a visit.
EXPECTED = {
    "sqlite": {"greeting": 6, "intake_first": 8, "intake": 6, "address": 6, "phone": 10, "booking_press": 16,
               "progress": 6, "duplicate": 4},
    "postgresql": {"greeting": 5, "intake_first": 7, "intake": 5, "address": 5, "phone": 9, "booking_press": 16,
                   "progress": 5, "duplicate": 3},
}


@contextmanager
def counting(store) -> Iterator[list[str]]:
    """The statements executed on ``store`` inside the block."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(" ".join(statement.split())[:90])

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def test_statements_per_turn_are_pinned(store) -> None:
    chat = ChatUser(make_engine(store))
    expected = EXPECTED[store.dialect]
    counts: dict[str, int] = {}
    seen: dict[str, list[str]] = {}

    def turn(name: str, text: str, message_id: str | None = None) -> None:
        with counting(store) as statements:
            chat.say(text, message_id=message_id)
        counts[name], seen[name] = len(statements), statements

    turn("greeting", "你好")
    turn("intake_first", "保险柜打不开了")  # opens the ticket
    turn("intake", "丹斯提尼")
    turn("intake_place", "焦作市温县")
    turn("address", "建设路12号4栋201")
    turn("phone", "13912345678", message_id="phone-1")  # creates the customer, finds the windows
    assert chat.buttons(), chat.text()
    with counting(store) as statements:
        chat.press(0)  # books the first window: savepoint, seat, booking, reminders
    counts["booking_press"], seen["booking_press"] = len(statements), statements
    assert chat.ticket["status"] == "booked"
    turn("progress", "师傅到哪了")
    turn("duplicate", "13912345678", message_id="phone-1")  # a channel's retry: dropped
    counts.pop("intake_place")
    assert counts == expected, "\n".join(f"{name}: {counts[name]}\n  " + "\n  ".join(seen[name]) for name in counts)


def test_a_plain_turn_reads_the_chat_in_one_statement(store) -> None:
    """Conversation, ticket and customer come with the lock: no separate SELECT of the ticket or customer."""
    chat = ChatUser(make_engine(store))
    chat.say("保险柜打不开了")
    chat.say("丹斯提尼")
    with counting(store) as statements:
        chat.say("焦作市温县")
    selects = [s for s in statements if s.upper().startswith("SELECT")]
    assert len(selects) == 1, statements
