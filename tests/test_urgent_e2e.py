"""Urgent lockouts end to end with the real NLU, booking and roster (issue 13's cases), on both backends.

The customer is in 厦门海沧区, where the demo roster keeps a technician about half an hour away.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from engine_helpers import CST, ChatUser, Clock

from bot.config import load_config
from bot.engine import Engine

LOCKOUT = "旗电佳指纹锁没电了进不了家，人在门外，急！厦门海沧区新阳街道海新路6号，电话13912345678"
CHILD = "孩子被反锁在屋里出不来，旗电佳指纹锁打不开，厦门海沧区海新路6号，电话13912345678"
WEEKDAY_2PM = datetime(2026, 11, 23, 14, 0, tzinfo=CST)


@pytest.fixture
def make_engine(store):
    """An engine over the full roster `repairbot serve` loads: config.yml and the demo technicians."""
    from bot.technicians import sync_roster

    with store.session() as session:
        sync_roster(session, load_config())
    return lambda store, clock: Engine(store, clock=clock)


def test_a_lockout_at_two_in_the_afternoon_gets_someone_within_the_hour(store, make_engine) -> None:
    chat = ChatUser(make_engine(store, Clock(WEEKDAY_2PM)))
    chat.say(LOCKOUT)
    first = chat.buttons()[0]
    assert first["label"].startswith("今天 ") and "前到达" in first["label"]
    arrive = datetime.strptime(first["label"].split()[1].removesuffix("前到达"), "%H:%M").time()
    minutes = (datetime.combine(WEEKDAY_2PM.date(), arrive, CST) - WEEKDAY_2PM) / timedelta(minutes=1)
    assert 0 < minutes <= 60, first["label"]
    chat.press(0)
    assert chat.ticket["status"] == "booked"
    slot_end = datetime.fromisoformat(chat.ticket["slot"]["end"])
    assert slot_end <= WEEKDAY_2PM + timedelta(hours=1)


def test_the_same_lockout_at_eleven_at_night_is_told_the_truth_escalated_and_offered_the_morning(store, make_engine) -> None:
    night = datetime(2026, 11, 23, 23, 0, tzinfo=CST)
    chat = ChatUser(make_engine(store, Clock(night)))
    chat.say(LOCKOUT)
    assert "今天已经没有师傅" in chat.text() and "另加" in chat.text()  # the surcharge is said before booking
    assert chat.ticket["status"] == "escalated"
    assert chat.buttons()[0]["label"].startswith("11月24日（周二） 08:00")
    chat.press(0)
    assert chat.ticket["status"] == "booked"


def test_a_child_shut_in_is_told_to_call_110_and_operators_are_alerted(store, make_engine) -> None:
    chat = ChatUser(make_engine(store, Clock(WEEKDAY_2PM)))
    chat.say(CHILD)
    assert "110" in chat.text()
    assert chat.text().index("110") < chat.text().index("登记")  # safety first, then the repair
    assert chat.ticket["status"] == "escalated"
    assert chat.buttons(), "help goes on: the visit can still be booked"
