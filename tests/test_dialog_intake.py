"""Corrections keep what still holds; each question is asked only when needed, and never a third time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from dialog_helpers import (
    ALL_IN_ONE,
    BOAI,
    CST,
    LHASA,
    MENGZHOU,
    WEN,
    Chat,
    FakeServices,
    P,
    book,
    buttons,
    effects_of,
    slot,
    texts,
)

from dialogs import BookSlot, Escalate
from nlu.types import When

ON_BOAI = replace(ALL_IN_ONE, text="博爱县建设路12号4栋201，丹斯提尼保险柜打不开，13812345678", place=BOAI,
                  fault="cannot_open")


# -- corrections ------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["品牌说错了，是旗电佳的", "不是丹斯提尼，是旗电佳", "哦不对，旗电佳", "是旗电佳智能锁"])
def test_a_brand_correction_keeps_a_fault_that_applies_and_the_place_address_and_phone(typed: str) -> None:
    chat = Chat()
    chat.send(ON_BOAI)
    product = "lock" if "锁" in typed else None
    step = chat.send(P(typed, "deny", brand="旗电佳", brand_supported=True, product=product))
    s = chat.state
    assert (s.brand, s.product, s.fault) == ("旗电佳", "lock", "cannot_open")
    assert (s.place["adcode"], s.phone, s.address) == (BOAI.adcode, "13812345678", "建设路12号4栋201")
    assert "旗电佳智能锁（打不开）" in texts(step) and "博爱县建设路12号***" in texts(step)
    assert len(buttons(step)) == 4, "re-checked and re-offered at once, nothing asked again"
    assert step.effects[0].fields["brand"] == "旗电佳" and step.effects[0].fields["fault"] == "cannot_open"


def test_a_correction_drops_a_fault_that_does_not_apply_and_asks_it_with_the_new_products_buttons() -> None:
    chat = Chat()
    chat.send(replace(ON_BOAI, brand="旗电佳", product="lock", fault="fingerprint_fail"))
    step = chat.send(P("搞错了，是丹斯提尼保险柜", "deny", brand="丹斯提尼", brand_supported=True, product="safe"))
    assert chat.state.fault is None and chat.state.expecting == "fault"
    assert buttons(step) == ["忘记密码", "打不开", "没电/不亮", "其他问题"]
    assert chat.state.address == "建设路12号4栋201" and chat.state.phone == "13812345678"


def test_a_product_correction_keeps_forgot_password_which_applies_to_both() -> None:
    chat = Chat()
    chat.send(replace(ON_BOAI, fault="forgot_password"))
    chat.send(P("是旗电佳的门锁", "deny", brand="旗电佳", brand_supported=True, product="lock"))
    assert chat.state.fault == "forgot_password" and chat.state.stage == "offering"


@pytest.mark.parametrize("typed", ["不对，是孟州", "地址错了，在孟州市", "搞错了我在孟州"])
def test_a_place_correction_rechecks_coverage_and_reoffers(typed: str) -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    calls = len(chat.services.offer_calls)
    step = chat.send(P(typed, "deny", place=MENGZHOU))
    assert chat.state.covered is True and len(chat.services.offer_calls) > calls
    assert "孟州市建设路12号***" in texts(step) and len(buttons(step)) == 4


def test_a_place_correction_to_an_unserved_county_says_so() -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P("不对，是拉萨城关区", "deny", place=LHASA))
    assert chat.state.stage == "out_of_area" and "没有服务网点" in texts(step)
    assert step.effects[0].status == "out_of_area"


@pytest.mark.parametrize("typed", ["不是温县是博爱县，电话也写错了是13912345678", "温县写错了，是博爱县；手机13912345678"])
def test_several_corrections_in_one_message_apply_together(typed: str) -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    # The NLU names both counties when one is denied: the one we do not have yet is the correction.
    step = chat.send(P(typed, "deny", place_candidates=(BOAI, WEN), phone="13912345678"))
    assert chat.state.place["adcode"] == BOAI.adcode and chat.state.phone == "13912345678"
    assert len(step.replies) == 1 and "博爱县" in texts(step) and "139****5678" in texts(step)
    save = step.effects[0]
    assert save.fields["adcode"] == BOAI.adcode and save.fields["phone"] == "13912345678"


def test_the_same_district_name_again_is_not_read_as_a_move_to_its_namesake() -> None:
    from dialog_helpers import GULOU

    chat = Chat()
    chat.services.covered.update({"350102", "320106"})
    chat.send(replace(ALL_IN_ONE, place=GULOU[0]))
    chat.send(P("是鼓楼区", "affirm", place_candidates=GULOU))
    assert chat.state.place["adcode"] == "350102"


@pytest.mark.parametrize(("typed", "address"), [
    ("地址写错了，是建设路15号2栋101", "建设路15号2栋101"),
    ("详细地址改成中州路8号", "中州路8号"),
    ("地址：温县人民路3号院", "人民路3号院"),
])
def test_an_address_correction_is_typed_and_said_back(typed: str, address: str) -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    place = WEN if "温县" in typed else None
    step = chat.send(P(typed, "deny", place=place))
    assert chat.state.address == address
    assert address.split("号")[0] in texts(step) and step.effects[0].fields["address"] == address


def test_an_address_correction_after_booking_is_saved_and_confirmed_masked() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("地址改成建设路15号2栋101", "out_of_scope"))
    assert "地址已更新" in texts(step) and "建设路15号***" in texts(step) and "2栋101" not in texts(step)
    assert step.effects[0].fields["address"] == "建设路15号2栋101" and chat.state.stage == "booked"


# -- asking only what is needed, once ---------------------------------------------------------------
def test_an_unknown_fault_is_asked_once_with_the_products_faults_and_other() -> None:
    chat = Chat()
    step = chat.send(P("旗电佳的锁坏了", brand="旗电佳", brand_supported=True, product="lock"))
    assert chat.state.expecting == "fault"
    assert buttons(step) == ["指纹不识别", "没电/不亮", "打不开", "其他问题"], "其他 is always offered"
    step = chat.send(P("博爱县", place=BOAI))
    assert "详细地址" in texts(step), "the fault is not asked a second time"
    chat.send(P("建设路12号4栋201"))
    step = chat.send(P("13812345678", phone="13812345678"))
    assert "具体问题待师傅上门检查" in texts(step) and len(buttons(step)) == 4
    assert chat.state.fault is None
    assert effects_of(chat.press(step, 0), BookSlot), "an unknown fault never blocks booking"


@pytest.mark.parametrize("typed", ["不知道", "不清楚啊", "说不上来"])
def test_i_dont_know_to_the_fault_question_moves_on(typed: str) -> None:
    chat = Chat()
    chat.send(P("丹斯提尼保险柜", brand="丹斯提尼", brand_supported=True, product="safe"))
    step = chat.send(P(typed, "deny", fault="forgot_password"))  # the NLU may guess 忘记密码 from 不知道
    assert chat.state.fault is None and "师傅上门时会帮您检查" in texts(step)
    assert chat.state.expecting == "place" and not chat.state.misunderstood


def test_the_fault_button_other_is_a_fault() -> None:
    chat = Chat()
    step = chat.send(P("丹斯提尼保险柜", brand="丹斯提尼", brand_supported=True, product="safe"))
    chat.press(step, 3)
    assert chat.state.fault == "other"


SATURDAY = When(start=datetime(2026, 11, 28, 9, 0, tzinfo=CST), end=datetime(2026, 11, 28, 12, 0, tzinfo=CST))
SUNDAY = When(start=datetime(2026, 11, 29, 9, 0, tzinfo=CST), end=datetime(2026, 11, 29, 21, 0, tzinfo=CST))
TUESDAY_EVENING = When(start=datetime(2026, 11, 24, 20, 0, tzinfo=CST), end=datetime(2026, 11, 24, 21, 0, tzinfo=CST))
TUESDAY_NOON = When(start=datetime(2026, 11, 24, 11, 0, tzinfo=CST), end=datetime(2026, 11, 24, 14, 0, tzinfo=CST))
THIS_MORNING = When(start=datetime(2026, 11, 23, 8, 0, tzinfo=CST), end=datetime(2026, 11, 23, 9, 0, tzinfo=CST))


@pytest.mark.parametrize(("typed", "when", "said"), [
    ("周六上午来", SATURDAY, "周六（11月28日）不安排上门"),
    ("这个礼拜六可以吗", SATURDAY, "周六（11月28日）不安排上门"),
    ("星期天来修", SUNDAY, "周日（11月29日）不安排上门"),
    ("明天晚上8点", TUESDAY_EVENING, "20:00-21:00不在师傅的上门时间内"),
    ("明天晚上八点以后", TUESDAY_EVENING, "不在师傅的上门时间内"),
    ("今天早上8点", THIS_MORNING, "已经过去了"),
])
def test_an_unserved_requested_time_is_said_plainly_with_the_nearest_windows(typed: str, when: When,
                                                                              said: str) -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P(typed, "ask_progress", when=when))
    assert said in texts(step) and "最近可约" in texts(step)
    assert buttons(step)[0].startswith("11月24日（周二） 09:00-11:00")
    assert chat.state.stage == "offering" and not chat.state.misunderstood


def test_a_requested_time_in_the_first_message_that_is_not_served_is_said_with_the_summary() -> None:
    chat = Chat()
    step = chat.send(replace(ALL_IN_ONE, when=SATURDAY))
    assert len(step.replies) == 1
    assert "已为您登记" in texts(step) and "周六（11月28日）不安排上门" in texts(step)


def test_a_public_holiday_is_named() -> None:
    services = FakeServices()
    before = datetime(2026, 9, 28, 10, 0, tzinfo=CST)
    services.slots = [slot(0, "王强", 20, day=datetime(2026, 9, 29, 9, 0, tzinfo=CST)),
                      slot(0, "王强", 20, day=datetime(2026, 10, 9, 9, 0, tzinfo=CST))]
    chat = Chat(services, now=before)
    national_day = When(start=datetime(2026, 10, 2, 9, 0, tzinfo=CST), end=datetime(2026, 10, 2, 12, 0, tzinfo=CST))
    step = chat.send(replace(ALL_IN_ONE, when=national_day))
    assert "10月2日（周五）是国庆节假期，不安排上门" in texts(step)


def test_a_requested_time_that_is_simply_booked_up_says_so_without_inventing_a_reason() -> None:
    services = FakeServices()
    services.slots = [slot(0, "王强", 20), slot(6, "王强", 20)]  # Tuesday 09:00 and 15:00; noon is taken
    chat = Chat(services)
    chat.send(ALL_IN_ONE)
    step = chat.send(P("明天中午", "out_of_scope", when=TUESDAY_NOON))
    assert "没有空闲的师傅" in texts(step) and "不安排" not in texts(step)


def test_a_weekend_that_has_windows_on_other_weeks_is_booked_up_not_closed() -> None:
    services = FakeServices()
    services.slots.append(slot(0, "王强", 20, day=datetime(2026, 12, 5, 9, 0, tzinfo=CST)))
    chat = Chat(services)
    chat.send(ALL_IN_ONE)
    step = chat.send(P("周六上午", "out_of_scope", when=SATURDAY))
    assert "不安排上门" not in texts(step) and "没有空闲的师傅" in texts(step)


# -- never the same question a third time -----------------------------------------------------------
def test_an_invalid_phone_twice_hands_over_and_says_why() -> None:
    chat = Chat()
    chat.send(replace(ALL_IN_ONE, phone=None))
    step = chat.send(P("1381234", phone_invalid=True))
    assert "11 位" in texts(step) and not effects_of(step, Escalate)
    step = chat.send(P("138123", phone_invalid=True))
    assert Escalate("misunderstood") in step.effects
    assert "手机号" in texts(step) and "两次" in texts(step) and "11 位" not in texts(step)


def test_refusing_the_phone_twice_hands_over_instead_of_asking_a_third_time() -> None:
    chat = Chat()
    chat.send(replace(ALL_IN_ONE, phone=None))
    step = chat.send(P("不想留电话", "deny"))
    assert "加密保存" in texts(step)
    step = chat.send(P("不给", "deny"))
    assert Escalate("misunderstood") in step.effects and "手机号" in texts(step)


def test_unusable_answers_to_the_address_question_hand_over_on_the_second() -> None:
    chat = Chat()
    chat.send(replace(ALL_IN_ONE, address=None))
    step = chat.send(P("？？"))
    assert "没太明白" in texts(step) and "详细地址" in texts(step)
    step = chat.send(P("嗯"))
    assert Escalate("misunderstood") in step.effects and "详细地址我问了两次" in texts(step)


def test_a_new_question_resets_the_count() -> None:
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    chat.send(P("啊啊啊"))
    step = chat.send(P("丹斯提尼", brand="丹斯提尼", brand_supported=True))
    assert chat.state.unanswered == 0 and chat.state.expecting == "fault"
    step = chat.send(P("嗯嗯嗯"))
    assert not effects_of(step, Escalate)
