"""Picks typed in words for every button set: windows, districts, towns, brands, products, faults, yes/no.

The shown windows (FakeServices, the clock on Monday 10:00), in order:
  1. 11月24日（周二） 09:00-11:00 王强   2. 11月24日（周二） 09:00-11:00 李明
  3. 11月24日（周二） 11:00-13:00 王强   4. 都不合适，换个时间
The ``DAYS`` services show windows on three different days instead.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from dialog_helpers import (
    ALL_IN_ONE,
    CST,
    DONGGUAN,
    GULOU,
    Chat,
    FakeServices,
    P,
    book,
    buttons,
    effects_of,
    kinds,
    texts,
    values,
)

from dialogs import BookSlot, CancelBooking, Escalate, Reschedule
from nlu.types import When


def offered(services: FakeServices | None = None) -> tuple[Chat, object]:
    chat = Chat(services)
    return chat, chat.send(ALL_IN_ONE)


def days_services() -> FakeServices:
    """Windows on three days: Tue 09:00 王强, Wed 14:00 李明, Fri 08:00 王强."""
    services = FakeServices()
    tue = datetime(2026, 11, 24, 9, 0, tzinfo=CST)
    services.slots = [
        _window(tue, 0, "王强"), _window(tue, 24 + 5, "李明"), _window(tue, 72 - 1, "王强"),
    ]
    return services


def _window(base: datetime, hours: int, technician: str):
    from dialog_helpers import slot

    return slot(hours, technician, 20, day=base)


def booked_window(step) -> tuple[str, str]:
    booked = effects_of(step, BookSlot)
    assert booked, texts(step)
    return booked[0].offer.technician, booked[0].offer.start.strftime("%d %H:%M")


@pytest.mark.parametrize(("typed", "expected"), [
    ("第2个时间", ("李明", "24 09:00")),
    ("第二个", ("李明", "24 09:00")),
    ("选3", ("王强", "24 11:00")),
    ("3", ("王强", "24 11:00")),
    ("就第一个吧", ("王强", "24 09:00")),
    ("要第三个时段", ("王强", "24 11:00")),
    ("最后一个", ("王强", "24 11:00")),
    ("倒数第二个", ("李明", "24 09:00")),
    ("the second one", ("李明", "24 09:00")),
    ("option 3", ("王强", "24 11:00")),
    ("好的，第一个", ("王强", "24 09:00")),
    ("我要最后那个吧", ("王强", "24 11:00")),
    ("那就第二个时间段吧谢谢", ("李明", "24 09:00")),
])
def test_a_position_typed_in_words_books_that_window(typed: str, expected: tuple[str, str]) -> None:
    chat, _ = offered()
    step = chat.send(P(typed, "reschedule" if "时间" in typed else "out_of_scope"))
    assert booked_window(step) == expected
    assert "预约成功" in texts(step) and chat.state.stage == "booked"


@pytest.mark.parametrize(("typed", "expected"), [
    ("最早的那个", ("王强", "24 09:00")),  # two at 09:00: the first shown (the nearest technician)
    ("越快越好，就最快的吧", ("王强", "24 09:00")),
    ("最晚的那个", ("王强", "24 11:00")),
    ("随便哪个都行", ("王强", "24 09:00")),
    ("就 11 点那个", ("王强", "24 11:00")),
    ("11:00的", ("王强", "24 11:00")),
    ("李师傅那个", ("李明", "24 09:00")),
    ("李明吧", ("李明", "24 09:00")),
    ("王师傅11点那个", ("王强", "24 11:00")),
    ("12点那个", ("王强", "24 11:00")),  # no window starts at 12: the one running then
])
def test_a_window_named_by_time_or_technician_is_booked(typed: str, expected: tuple[str, str]) -> None:
    chat, _ = offered()
    assert booked_window(chat.send(P(typed, "deny"))) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("周五上午那个", ("王强", "27 08:00")),
    ("星期三的", ("李明", "25 14:00")),
    ("明天那个", ("王强", "24 09:00")),
    ("下午那个吧", ("李明", "25 14:00")),
    ("2点那个", ("李明", "25 14:00")),  # "2点" of a visit window is 14:00
    ("25号那个", ("李明", "25 14:00")),
    ("就 8 点那个", ("王强", "27 08:00")),
    ("11月27日的", ("王强", "27 08:00")),
    ("周三最早的", ("李明", "25 14:00")),
    ("周五都可以", ("王强", "27 08:00")),
])
def test_a_window_named_by_its_day_or_part_of_day_is_booked(typed: str, expected: tuple[str, str]) -> None:
    chat, first = offered(days_services())
    assert len(buttons(first)) == 4
    assert booked_window(chat.send(P(typed, "affirm"))) == expected


@pytest.mark.parametrize(("typed", "fitting"), [("9点那个", 2), ("上午的", 3), ("周二那个", 3), ("王师傅", 2)])
def test_a_pick_that_fits_several_windows_gets_a_short_question(typed: str, fitting: int) -> None:
    chat, _ = offered()
    step = chat.send(P(typed, "deny"))
    assert not effects_of(step, BookSlot)
    assert f"有 {fitting} 个时段都符合" in texts(step) and "没太明白" not in texts(step)
    assert len([b for b in buttons(step) if "师傅" in b]) == fitting
    assert "都不合适，换个时间" in buttons(step)
    assert chat.state.expecting == "choice"
    # The narrowed buttons still work like any buttons, by press or by position.
    step = chat.send(P("第二个"))
    assert effects_of(step, BookSlot)


def test_a_position_that_is_not_on_screen_asks_which_number() -> None:
    chat, _ = offered()
    step = chat.send(P("第5个"))
    assert "只有 4 个选项" in texts(step) and len(buttons(step)) == 4
    assert not effects_of(step, BookSlot)


def test_a_time_not_among_the_shown_windows_is_a_new_preference_not_a_pick() -> None:
    chat, _ = offered()
    afternoon = When(start=datetime(2026, 11, 24, 12, 0, tzinfo=CST), end=datetime(2026, 11, 24, 18, 0, tzinfo=CST))
    step = chat.send(P("明天下午那个", "affirm", when=afternoon))
    assert not effects_of(step, BookSlot)
    assert buttons(step)[0].startswith("11月24日（周二） 13:00-15:00")


def test_a_refusal_naming_a_window_is_not_a_pick() -> None:
    chat, _ = offered()
    step = chat.send(P("11点那个不行", "deny"))
    assert not effects_of(step, BookSlot)


def test_a_message_with_new_facts_is_read_as_a_correction_not_a_pick() -> None:
    from dialog_helpers import MENGZHOU

    chat, _ = offered()
    step = chat.send(P("我在孟州，第一个", "deny", place=MENGZHOU))
    assert not effects_of(step, BookSlot) and chat.state.place["adcode"] == "410883"
    assert "孟州市" in texts(step)


def test_pressing_a_button_is_still_sending_its_value() -> None:
    chat, first = offered()
    step = chat.send(P(values(first)[1], "out_of_scope"))
    assert booked_window(step) == ("李明", "24 09:00")


def test_typed_picks_work_for_reschedule_windows_too() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("能改个时间吗", "reschedule"))
    assert buttons(step)
    step = chat.send(P("最后一个"))
    moved = effects_of(step, Reschedule)
    assert moved and moved[0].offer.start.hour == 13


@pytest.mark.parametrize("typed", ["南京那个", "江苏的", "第二个", "2", "选南京"])
def test_district_candidates_can_be_picked_in_words(typed: str) -> None:
    chat = Chat()
    chat.services.covered.add("320106")
    chat.send(P("丹斯提尼保险柜打不开，在鼓楼区", brand="丹斯提尼", brand_supported=True, product="safe",
                fault="cannot_open", place_candidates=GULOU))
    chat.send(P(typed))
    assert chat.state.place["adcode"] == "320106"


@pytest.mark.parametrize("typed", ["南城", "第二个", "南城街道那个"])
def test_towns_can_be_picked_in_words(typed: str) -> None:
    chat = Chat()
    chat.send(P("东莞丹斯提尼保险柜没电了", brand="丹斯提尼", brand_supported=True, product="safe",
                fault="no_power", place=DONGGUAN))
    chat.send(P(typed))
    assert chat.state.place["town"] == "南城街道"


@pytest.mark.parametrize(("typed", "product"), [("第二个", "lock"), ("保险柜吧", "safe"), ("智能锁那个", "lock")])
def test_products_can_be_picked_in_words(typed: str, product: str) -> None:
    chat = Chat()
    step = chat.send(P("坏了，打不开", fault="cannot_open"))
    assert buttons(step) == ["保险柜", "智能锁"]
    chat.send(P(typed))
    assert chat.state.product == product


def test_brand_and_fault_buttons_can_be_picked_by_position_and_by_name() -> None:
    chat = Chat()
    step = chat.send(P("保险柜坏了", product="safe"))
    assert buttons(step)[:2] == ["丹斯提尼", "其他品牌"]
    step = chat.send(P("第二个"))  # the second button shown is 其他品牌
    assert "品牌名称" in texts(step)
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    chat.send(P("1"))
    assert chat.state.brand == "丹斯提尼"
    chat.send(P("没电那个"))
    assert chat.state.fault == "no_power"


@pytest.mark.parametrize(("typed", "cancelled"), [
    ("是的", True), ("确认", True), ("嗯", True), ("1", True), ("要", True), ("确定取消", True),
    ("算了", False), ("不了", False), ("第二个", False), ("保留", False),
])
def test_yes_no_questions_accept_typed_answers(typed: str, cancelled: bool) -> None:
    chat = Chat()
    book(chat)
    chat.send(P("取消预约", "cancel"))
    step = chat.send(P(typed, "cancel" if "取消" in typed else "out_of_scope"))
    assert bool(effects_of(step, CancelBooking)) is cancelled
    assert ("保持不变" in texts(step)) is not cancelled


def test_an_ambiguous_pick_is_not_a_misunderstanding_but_never_a_third_time() -> None:
    chat, _ = offered()
    first = chat.send(P("9点那个", "deny"))
    assert "哪一个" in texts(first) and not effects_of(first, Escalate)
    again = chat.send(P("嗯嗯嗯", "out_of_scope"))
    assert kinds(again) and Escalate("misunderstood") in again.effects
    assert "上门时段" in texts(again), "the hand-off says what it was asking about"


def test_typed_picks_never_book_while_the_intake_is_unfinished() -> None:
    chat = Chat()
    step = chat.send(P("保险柜坏了", product="safe"))
    assert chat.state.expecting == "brand"
    step = chat.send(P("最早的那个"))
    assert not effects_of(step, BookSlot) and chat.state.stage == "intake" and chat.state.brand is None


def test_the_other_buttons_can_be_named_too() -> None:
    chat, _ = offered()
    step = chat.send(P("换个时间吧", "out_of_scope"))
    assert chat.state.expecting == "time" and "什么时间" in texts(step)
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    step = chat.send(P("其他的"))
    assert "品牌名称" in texts(step)


def test_a_position_is_a_pick_whatever_intent_the_nlu_guessed() -> None:
    """"要最后一个" once read as a complaint and handed the chat to a person."""
    chat, _ = offered()
    step = chat.send(P("要最后一个", "complaint"))
    assert booked_window(step) == ("王强", "24 11:00")


def test_a_question_about_the_earliest_window_is_not_a_pick() -> None:
    chat, _ = offered()
    step = chat.send(P("那最早什么时候能来", "ask_progress"))
    assert not effects_of(step, BookSlot)


def test_a_yes_to_the_only_window_on_screen_takes_it() -> None:
    from dialog_helpers import slot

    services = FakeServices()
    services.slots = [slot(0, "王强", 20)]
    chat = Chat(services)
    chat.send(ALL_IN_ONE)
    step = chat.send(P("可以", "affirm"))
    assert effects_of(step, BookSlot), texts(step)
