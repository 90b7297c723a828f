"""Urgent requests and danger: 110/119 first, today's fastest arrival first, or the truth and an alert."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from dialog_helpers import (
    ALL_IN_ONE,
    NOW,
    SURCHARGE_NOTE,
    WEN,
    Chat,
    FakeServices,
    P,
    ServicesWithoutUrgent,
    buttons,
    effects_of,
    kinds,
    slot,
    texts,
    values,
)

from dialogs import AlertOperators, BookSlot, Escalate, Offer, SaveTicket

TWO_PM = NOW.replace(hour=14)
LOCKED_OUT = replace(ALL_IN_ONE, text="旗电佳指纹锁没电了进不了家，人在门外，急！温县建设路12号，13812345678",
                     brand="旗电佳", product="lock", fault="no_power", urgent=True)


def fast(minutes: int = 35, technician: str = "赵刚") -> Offer:
    arrive = TWO_PM + timedelta(minutes=minutes)
    return Offer(ref=f"urgent-{technician}", technician=technician, start=TWO_PM, end=arrive + timedelta(hours=1),
                 distance_km=12.0, eta_minutes=minutes, arrive_by=arrive)


def urgent_chat(services: FakeServices | None = None, now: datetime = TWO_PM) -> Chat:
    services = services or FakeServices()
    services.slots = [slot(0, "王强", 20), slot(2, "王强", 20), slot(4, "李明", 45)]
    return Chat(services, now=now)


def test_an_urgent_request_in_working_hours_gets_todays_arrival_first() -> None:
    services = FakeServices()
    services.urgent = [fast()]
    chat = urgent_chat(services)
    step = chat.send(LOCKED_OUT)
    assert buttons(step)[0] == "今天 14:35 前到达，约 35 分钟"
    assert buttons(step)[1].startswith("11月24日（周二） 09:00-11:00"), "the usual windows follow"
    assert values(step)[0] == "加急 今天14:35前到达 赵刚师傅" and values(step)[0] not in values(step)[1:]
    assert SURCHARGE_NOTE in texts(step), "the surcharge is stated before booking"
    assert texts(step).index(SURCHARGE_NOTE) < texts(step).index("今天")
    assert not effects_of(step, AlertOperators) and not effects_of(step, Escalate)
    assert services.urgent_calls == [{"brand": "旗电佳", "place": WEN.adcode, "now": TWO_PM, "count": 1}]
    assert step.effects[0].fields["urgent"] is True

    booked = chat.press(step, 0)
    book = effects_of(booked, BookSlot)
    assert book and book[0].offer == fast()
    assert "预计今天 14:35 前到达" in texts(booked) and "赵刚师傅" in texts(booked)


@pytest.mark.parametrize("typed", ["第一个", "最快的那个", "1"])
def test_the_fast_arrival_can_be_picked_in_words(typed: str) -> None:
    services = FakeServices()
    services.urgent = [fast()]
    chat = urgent_chat(services)
    chat.send(LOCKED_OUT)
    book = effects_of(chat.send(P(typed)), BookSlot)
    assert book and book[0].offer.arrive_by is not None


@pytest.mark.parametrize("services", [FakeServices(), ServicesWithoutUrgent()], ids=["nobody-free", "no-service-yet"])
def test_nobody_free_today_is_said_plainly_operators_are_alerted_and_the_customer_can_still_book(
        services: FakeServices) -> None:
    chat = urgent_chat(services, now=NOW.replace(hour=23))
    step = chat.send(LOCKED_OUT)
    assert "今天已经没有师傅能赶过去了" in texts(step) and "通知值班客服" in texts(step)
    assert SURCHARGE_NOTE in texts(step)
    assert effects_of(step, AlertOperators) == [AlertOperators("urgent")]
    assert not effects_of(step, Escalate) and chat.state.stage == "offering", "an alert is not a hand-over"
    assert buttons(step)[0].startswith("11月24日（周二） 09:00-11:00"), "the earliest window is offered"
    booked = chat.press(step, 0)
    assert effects_of(booked, BookSlot) and not effects_of(booked, AlertOperators), "alerted once"


def test_an_urgent_request_without_the_place_yet_continues_the_intake_and_offers_later() -> None:
    services = FakeServices()
    services.urgent = [fast()]
    chat = urgent_chat(services)
    step = chat.send(P("旗电佳指纹锁没电了进不了家，急！", brand="旗电佳", brand_supported=True, product="lock",
                       fault="no_power", urgent=True))
    assert chat.state.urgent and chat.state.expecting == "place" and not services.urgent_calls
    chat.send(P("温县", place=WEN))
    chat.send(P("建设路12号4栋201"))
    step = chat.send(P("13812345678", phone="13812345678"))
    assert buttons(step)[0].startswith("今天 14:35 前到达")


@pytest.mark.parametrize(("safety", "call"), [("person_shut_in", "110"), ("fire", "119")])
def test_danger_comes_first_operators_are_alerted_and_help_goes_on(safety: str, call: str) -> None:
    chat = urgent_chat()
    first = P("孩子被反锁在屋里了！旗电佳的锁打不开", "report_fault", brand="旗电佳", brand_supported=True,
              product="lock", fault="cannot_open", urgent=True, safety=safety)
    step = chat.send(first)
    text = texts(step)
    assert text.startswith("如果有") and f"拨打 {call}" in text
    assert AlertOperators(safety) in step.effects and not effects_of(step, Escalate)
    assert chat.state.expecting == "place", "and still offers help: the intake goes on"
    assert chat.state.stage != "escalated"
    step = chat.send(P("温县", place=WEN, safety=safety, urgent=True))
    assert call not in texts(step) and not effects_of(step, AlertOperators), "said and alerted once"


def test_danger_in_the_very_first_words_alerts_even_before_any_repair_fact() -> None:
    chat = urgent_chat()
    step = chat.send(P("救命，老人被关在里面出不来了", "out_of_scope", urgent=True, safety="person_shut_in"))
    assert "110" in texts(step) and kinds(step) == [AlertOperators]
    assert not chat.state.misunderstood


def test_an_urgent_word_later_in_the_chat_turns_the_offers_urgent() -> None:
    services = FakeServices()
    services.urgent = [fast()]
    chat = urgent_chat(services)
    chat.send(replace(LOCKED_OUT, urgent=False))
    step = chat.send(P("能快点吗，很急", "out_of_scope", urgent=True))
    assert buttons(step)[0].startswith("今天 14:35 前到达")
    assert isinstance(step.effects[0], SaveTicket) and step.effects[0].fields["urgent"] is True


def test_a_not_urgent_request_never_asks_for_same_day_arrivals() -> None:
    services = FakeServices()
    services.urgent = [fast()]
    chat = urgent_chat(services)
    step = chat.send(replace(LOCKED_OUT, urgent=False))
    assert not services.urgent_calls and not buttons(step)[0].startswith("今天")


def test_an_urgent_new_request_after_a_cancellation_is_urgent_too() -> None:
    services = FakeServices()
    services.urgent = [fast()]
    chat = urgent_chat(services)
    chat.send(replace(LOCKED_OUT, urgent=False))
    chat.send(P("先不修了", "cancel"))
    assert chat.state.stage == "closed"
    step = chat.send(replace(LOCKED_OUT, text="又进不了家了，急", intent="report_fault"))
    assert chat.state.urgent and buttons(step)[0].startswith("今天 14:35 前到达")
