"""The detailed address: read from the first message, else asked after the county (no buttons), said back
masked, stored whole on the ticket."""

from __future__ import annotations

from dataclasses import replace

import pytest
from dialog_helpers import ALL_IN_ONE, WEN, Chat, P, buttons, effects_of, texts, values

from dialogs import BookSlot, Escalate
from dialogs.address import mask, take_reply
from nlu.types import Parse
from regions.place import Place

ADDRESS = "中州中路218号2单元301"
XIGONG = Place("410303", "河南省", "洛阳市", "西工区")


def test_a_full_booking_with_the_address_in_the_first_message_asks_nothing_more() -> None:
    chat = Chat()
    chat.services.covered.add(XIGONG.adcode)
    first = P(f"洛阳市西工区{ADDRESS}，丹斯提尼保险柜忘记密码了，13812345678", brand="丹斯提尼",
              brand_supported=True, product="safe", fault="forgot_password", place=XIGONG, phone="13812345678",
              address=ADDRESS)
    step = chat.send(first)
    assert len(step.replies) == 1 and len(buttons(step)) == 4
    assert "河南省洛阳市西工区中州中路218号***" in texts(step) and "2单元301" not in texts(step)
    assert step.effects[0].fields["address"] == ADDRESS, "stored whole for the technician"
    booked = chat.press(step, 0)
    assert effects_of(booked, BookSlot) and ADDRESS not in texts(booked)


@pytest.mark.parametrize(("reply", "place", "stored"), [
    ("建设路12号4栋201", None, "建设路12号4栋201"),
    ("温县建设路12号4栋201", WEN, "建设路12号4栋201"),
    ("焦作市温县 建设路12号", WEN, "建设路12号"),
    ("地址是河南省焦作市温县中州中路218号2单元301", WEN, ADDRESS),
    ("我家在阳光花园3栋201", None, "阳光花园3栋201"),
    ("黄河村5组", None, "黄河村5组"),
    ("建设路12号4栋201，麻烦快点来", None, "建设路12号4栋201"),
])
def test_asked_after_the_county_without_buttons_the_reply_is_the_address(reply: str, place: Place | None,
                                                                        stored: str) -> None:
    chat = Chat()
    step = chat.send(replace(ALL_IN_ONE, address=None))
    assert "详细地址" in texts(step) and buttons(step) == [] and chat.state.expecting == "address"
    assert not effects_of(step, Escalate)
    # The NLU found no address in the reply (its extractor lands on another branch): the reply is taken.
    step = chat.send(P(reply, "out_of_scope", place=place))
    assert chat.state.address == stored
    assert len(buttons(step)) == 4 and "已为您登记" in texts(step), "then the visit windows"
    assert step.effects[0].fields["address"] == stored


def test_the_address_is_asked_before_the_phone_in_a_piecemeal_intake() -> None:
    chat = Chat()
    chat.send(P("丹斯提尼保险柜打不开", brand="丹斯提尼", brand_supported=True, product="safe", fault="cannot_open"))
    step = chat.send(P("温县", place=WEN))
    assert chat.state.expecting == "address" and buttons(step) == []
    step = chat.send(P("建设路12号4栋201"))
    assert chat.state.expecting == "phone" and "建设路12号***" in texts(step)


def test_an_english_mixed_booking_from_first_message_to_booked() -> None:
    chat = Chat()
    first = P("Hi, my Danstini safe won't open. I'm in 焦作温县, phone 13812345678", brand="丹斯提尼",
              brand_supported=True, product="safe", fault="cannot_open", place=WEN, phone="13812345678")
    step = chat.send(first)
    assert chat.state.expecting == "address"
    step = chat.send(P("Room 201, Building 4, 12 Jianshe Road", "out_of_scope"))
    assert chat.state.address == "Room 201, Building 4, 12 Jianshe Road"
    assert "12 Jianshe Road ***" in texts(step) and "Room 201" not in texts(step)
    step = chat.send(P("the first one please", "out_of_scope"))
    booked = effects_of(step, BookSlot)
    assert booked and booked[0].offer.technician == "王强"
    assert "预约成功" in texts(step)


@pytest.mark.parametrize("reply", ["不方便说", "为什么要地址？不想告诉你"])
def test_refusing_the_address_gets_the_reason_and_a_person_and_nothing_is_stored(reply: str) -> None:
    chat = Chat()
    chat.send(replace(ALL_IN_ONE, address=None))
    step = chat.send(P(reply, "deny"))
    assert "加密保存" in texts(step) and buttons(step) == ["转人工客服"] and chat.state.address is None
    assert chat.state.expecting == "address"


@pytest.mark.parametrize(("reply", "intent"), [("转人工", "ask_human"), ("多少钱", "ask_price"), ("谢谢", "thanks")])
def test_other_business_during_the_address_question_is_not_taken_as_the_address(reply: str, intent: str) -> None:
    chat = Chat()
    chat.send(replace(ALL_IN_ONE, address=None))
    chat.send(P(reply, intent))
    assert chat.state.address is None


def test_asked_again_the_address_is_worded_as_what_is_missing_not_the_same_question() -> None:
    chat = Chat()
    chat.send(P("丹斯提尼保险柜打不开", brand="丹斯提尼", brand_supported=True, product="safe", fault="cannot_open"))
    first = chat.send(P("温县", place=WEN))
    assert "请问详细地址是？" in texts(first)
    again = chat.send(P("13812345678", phone="13812345678"))  # an answer to another question
    assert chat.state.expecting == "address" and "还差详细地址" in texts(again) and "请问详细地址是" not in texts(again)
    assert chat.state.phone == "13812345678"


def test_the_whole_address_never_reaches_the_customer_only_the_masked_one() -> None:
    chat = Chat()
    step = chat.send(ALL_IN_ONE)
    shown = texts(step) + "".join(values(step))
    assert "建设路12号***" in shown and "4栋201" not in shown


@pytest.mark.parametrize(("address", "masked"), [
    ("中州中路218号2单元301", "中州中路218号***"),
    ("建设路12号4栋201", "建设路12号***"),
    ("人民路二十号院3号楼", "人民路二十号院***"),
    ("阳光花园3栋201", "阳光花园***"),
    ("东街村5组", "东街村***"),
    ("中州中路218号", "中州中路218号"),
    ("Room 201, Building 4, 12 Jianshe Road", "12 Jianshe Road ***"),
    ("", ""),
])
def test_masking_keeps_the_street_and_number_and_hides_the_rest(address: str, masked: str) -> None:
    assert mask(address) == masked


def test_the_nlus_address_wins_when_it_found_one() -> None:
    assert take_reply(Parse(text="就这个地址 建设路12号", address="建设路12号")) == "建设路12号"
    assert take_reply(Parse(text="建设路12号，电话13812345678", phone="13812345678")) == "建设路12号"
    assert take_reply(Parse(text="13812345678", phone="13812345678")) is None
