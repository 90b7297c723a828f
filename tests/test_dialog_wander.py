"""Pure policy tests for wandering turns found with the fresh conversation sets (tests/data/*fresh*):
declines and rebooks worded freely, a decline typed over the offers, a question about the bot, an answer
to another question, an urgent request heard at once, and a second device after a booking."""

from __future__ import annotations

import pytest
from dialog_helpers import ALL_IN_ONE, WEN, Chat, P, book, buttons, kinds, texts

from dialogs import DetachTicket, SaveTicket
from dialogs.ending import decline_reason, wants_rebook


@pytest.mark.parametrize(("typed", "reason"), [
    ("我得跟我老公商量下", "consult"),
    ("回头问下我爸再定", "consult"),
    ("先不弄了", "declined"),
    ("今天不修了吧", "declined"),
    ("不用来了", "declined"),
])
def test_declines_worded_freely(typed: str, reason: str) -> None:
    assert decline_reason(typed) == reason


@pytest.mark.parametrize("typed", ["明天再说个时间", "修不了吗", "别着急慢慢来", "我要取消"])
def test_not_declines(typed: str) -> None:
    assert decline_reason(typed) is None


@pytest.mark.parametrize("typed", ["再帮我约一次", "想想还是得修", "那还是约吧"])
def test_rebooks_worded_freely(typed: str) -> None:
    assert wants_rebook(P(typed, "out_of_scope"))


def test_a_decline_typed_over_the_offers_is_not_a_request_for_other_times() -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P("这几个都不合适，先不弄了", "deny"))
    assert kinds(step) == [SaveTicket, DetachTicket] and step.effects[0].reason == "declined"


def test_asking_whether_it_is_a_bot_is_answered_and_the_question_comes_back() -> None:
    chat = Chat()
    chat.send(P("丹斯提尼保险柜打不开，焦作温县", brand="丹斯提尼", brand_supported=True, product="safe",
                fault="cannot_open", place=WEN))
    step = chat.send(P("你们是机器人还是真人", "out_of_scope"))
    said = texts(step)
    assert "机器人" in said and "没太明白" not in said and "详细地址" in said
    assert chat.state.misunderstood == 0 and chat.state.expecting == "address"


def test_an_answer_to_another_question_is_acknowledged() -> None:
    chat = Chat()
    chat.send(P("丹斯提尼保险柜打不开，焦作温县", brand="丹斯提尼", brand_supported=True, product="safe",
                fault="cannot_open", place=WEN))
    step = chat.send(P("13812345678", phone="13812345678"))
    assert texts(step).startswith("好的，电话已记下。") and "详细地址" in texts(step)


def test_an_urgent_request_is_acknowledged_while_questions_remain() -> None:
    chat = Chat()
    step = chat.send(P("急！进不去家，旗电佳指纹锁打不开", brand="旗电佳", brand_supported=True, product="lock",
                       fault="cannot_open", urgent=True))
    assert "情况紧急" in texts(step) and "哪个城市" in texts(step)


def test_a_second_device_after_booking_gets_its_own_request() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("另外家里还有个旗电佳指纹锁也没电了", brand="旗电佳", brand_supported=True, product="lock",
                       fault="no_power"))
    assert any(isinstance(e, DetachTicket) for e in step.effects)
    saved = [e for e in step.effects if isinstance(e, SaveTicket)][-1]
    assert saved.fields["brand"] == "旗电佳" and saved.fields["adcode"] == "410825"
    assert "另开一张报修单" in texts(step) and buttons(step), "the new device's windows at once"


def test_a_brand_correction_after_booking_is_not_a_second_device() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("说错了，不是丹斯提尼，是旗电佳的", brand="旗电佳", brand_supported=True, product="lock"))
    assert not any(isinstance(e, DetachTicket) for e in step.effects)


def test_a_vague_fault_is_asked_once_then_never_again() -> None:
    chat = Chat()
    step = chat.send(P("丹斯提尼保险柜坏了，焦作温县", brand="丹斯提尼", brand_supported=True, product="safe",
                       fault="other", place=WEN))
    assert "出了什么问题" in texts(step) and chat.state.expecting == "fault"
    step = chat.send(P("说不好，就是怪怪的", fault="other"))
    assert "出了什么问题" not in texts(step) and "详细地址" in texts(step)


def test_that_is_it_closes_the_request() -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P("那算了", "deny"))
    assert step.effects[0].status == "closed" and "需要更正" not in texts(step)


def test_the_brand_asked_twice_is_not_asked_a_third_time() -> None:
    chat = Chat()
    chat.send(P("锁坏了", product="lock"))
    chat.send(P("品牌不记得了", "out_of_scope"))  # where to look (the brand question stays open)
    step = chat.send(P("在焦作温县", place=WEN))
    assert chat.state.stage == "escalated" and "品牌我问了两次" in texts(step)


def test_changing_the_address_or_phone_after_booking_is_not_a_reschedule() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("我想改个地址，是建设路15号", "reschedule", address="建设路15号"))
    assert "地址已更新" in texts(step) and chat.state.stage == "booked"
    step = chat.send(P("电话也换一下 13912345678", "reschedule", phone="13912345678"))
    assert "联系电话已更新" in texts(step)


@pytest.mark.parametrize(("typed", "intent"), [("等我下班回去再说吧", "ask_human"), ("想了想还是得修，再约一次", "complaint")])
def test_a_handoff_intent_without_a_word_for_it_does_not_hand_off(typed: str, intent: str) -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P(typed, intent))
    assert chat.state.stage != "escalated", texts(step)


@pytest.mark.parametrize(("typed", "intent"), [("我要人工客服", "ask_human"), ("师傅态度太差了", "complaint")])
def test_a_handoff_intent_with_its_word_still_hands_off(typed: str, intent: str) -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    chat.send(P(typed, intent))
    assert chat.state.stage == "escalated"


def test_putting_it_off_closes_the_request() -> None:
    assert decline_reason("等我下班回去再说吧") == "declined"
    assert decline_reason("明天下午再说个时间吧") is None


def test_asking_for_a_repair_with_no_facts_gets_the_greeting_not_a_refusal() -> None:
    step = Chat().send(P("你好我要报修"))
    assert "请告诉我品牌" in texts(step) and "只负责" not in texts(step)


def test_a_no_with_a_particle_answers_the_cancel_question() -> None:
    chat = Chat()
    book(chat)
    chat.send(P("我要取消", "cancel"))
    step = chat.send(P("不取消了", "deny"))
    assert "预约保持不变" in texts(step) and chat.state.stage == "booked"


def test_a_pick_after_a_voice_filler() -> None:
    chat = Chat()
    step = chat.send(ALL_IN_ONE)
    step = chat.send(P("呃第一个吧", "out_of_scope"))
    assert "预约成功" in texts(step)


def test_phone_and_address_corrected_together_after_booking_are_both_said_back() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("电话写错了，是13912345678，地址是建设路15号", phone="13912345678", address="建设路15号"))
    assert "地址已更新" in texts(step) and "联系电话已更新" in texts(step)


def test_an_english_street_answers_the_address_question_whatever_the_intent() -> None:
    chat = Chat()
    chat.send(P("丹斯提尼保险柜打不开，焦作温县，13812345678", brand="丹斯提尼", brand_supported=True,
                product="safe", fault="cannot_open", place=WEN, phone="13812345678"))
    step = chat.send(P("88 Yuncheng Road", "goodbye"))
    assert buttons(step) and chat.state.address == "88 Yuncheng Road"


def test_another_device_of_the_same_kind_after_booking_gets_its_own_request() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("我家还有一把丹斯提尼的保险柜也坏了", brand="丹斯提尼", brand_supported=True, product="safe",
                       fault="other"))
    assert any(isinstance(e, DetachTicket) for e in step.effects) and "另开一张报修单" in texts(step)


@pytest.mark.parametrize(("typed", "intent"), [("大概多久能上门", "ask_price"), ("要等多长时间", "reschedule")])
def test_a_question_about_when_is_answered_as_progress(typed: str, intent: str) -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P(typed, intent))
    assert "师傅已预约在" in texts(step)


def test_a_price_intent_without_money_words_is_not_quoted() -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P("你们周末上班吗", "ask_price"))
    assert "维修费" not in texts(step) and "上门检测费" not in texts(step)
