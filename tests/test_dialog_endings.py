"""Ending a request without a visit, and coming back: declines close the ticket, rebooks reuse its facts."""

from __future__ import annotations

import pytest
from dialog_helpers import ALL_IN_ONE, Chat, P, book, buttons, effects_of, kinds, texts

from dialogs import BookSlot, CancelBooking, DetachTicket, Progress, SaveTicket


@pytest.mark.parametrize(("typed", "intent", "reason"), [
    ("先不修了", "cancel", "declined"),
    ("那就不麻烦了", "deny", "declined"),
    ("算了吧，以后再说", "deny", "declined"),
    ("暂时不用了，谢谢", "thanks", "declined"),
    ("我自己再试试", "cancel", "self_fix"),
    ("我再试一下看看", "out_of_scope", "self_fix"),
    ("等我问问家里人", "ask_progress", "consult"),
    ("我跟家里人商量一下再说", "out_of_scope", "consult"),
    ("已经打开了，不用修了", "affirm", "resolved"),
])
def test_a_decline_while_offered_closes_the_ticket_with_a_reason(typed: str, intent: str, reason: str) -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P(typed, intent))
    assert kinds(step) == [SaveTicket, DetachTicket]
    close = step.effects[0]
    assert close.status == "closed" and close.reason == reason
    assert close.fields["brand"] == "丹斯提尼" and close.fields["adcode"] == "410825"
    assert "关闭" in texts(step) and "重新预约" in texts(step), "says how to come back"
    assert "需要更正" not in texts(step) and not buttons(step)
    assert chat.state.stage == "closed" and chat.state.previous["phone"] == "13812345678"


def test_a_decline_during_the_intake_closes_it_too() -> None:
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    step = chat.send(P("算了，不修了", "cancel"))
    assert step.effects[0].status == "closed" and step.effects[0].reason == "declined"
    assert "随时" in texts(step) or "重新预约" in texts(step)


def test_saying_cancel_is_still_a_cancellation() -> None:
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    step = chat.send(P("不修了，取消吧", "cancel"))
    assert step.effects[0].status == "cancelled" and step.effects[0].reason == "customer"


def test_a_decline_of_a_booked_visit_asks_before_cancelling() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("先不修了", "cancel"))
    assert "确定要取消" in texts(step) and not effects_of(step, CancelBooking)
    step = chat.send(P("确认"))
    assert effects_of(step, CancelBooking) and "重新预约" in texts(step)


def test_a_decline_after_not_served_keeps_the_out_of_area_answer() -> None:
    from dialog_helpers import LHASA

    from dialogs import Escalate

    chat = Chat()
    chat.send(P("拉萨丹斯提尼保险柜忘记密码", brand="丹斯提尼", brand_supported=True, product="safe",
                fault="forgot_password", place=LHASA))
    step = chat.send(P("那就不麻烦了", "deny"))
    assert not effects_of(step, Escalate) and not effects_of(step, SaveTicket)
    assert chat.state.stage == "out_of_area"


@pytest.mark.parametrize(("typed", "intent"), [
    ("重新预约", "reschedule"),
    ("帮我再约个时间", "reschedule"),
    ("还是修吧", "affirm"),
    ("我问过了，再约一下", "out_of_scope"),
])
def test_rebook_after_a_cancellation_offers_windows_for_the_same_request(typed: str, intent: str) -> None:
    chat = Chat()
    book(chat)
    chat.send(P("取消预约", "cancel"))
    chat.send(P("确认取消"))
    assert chat.state.stage == "closed"
    step = chat.send(P(typed, intent))
    assert len(step.replies) == 1, "the facts in one line, then the windows"
    text = texts(step)
    assert "按上次登记的信息" in text and "丹斯提尼保险柜（忘记密码）" in text
    assert "温县建设路12号***" in text and "138****5678" in text and "手机号" not in text
    assert len(buttons(step)) == 4 and chat.state.stage == "offering"
    new = step.effects[-1]
    assert isinstance(new, SaveTicket) and new.status == "collecting" and new.fields["phone"] == "13812345678"
    assert new.fields["address"] == "建设路12号4栋201"
    assert isinstance(chat.press(step, 0).effects[-2], BookSlot)


def test_rebook_after_a_decline_with_a_new_time_honours_it() -> None:
    from datetime import datetime

    from dialog_helpers import CST

    from nlu.types import When

    chat = Chat()
    chat.send(ALL_IN_ONE)
    chat.send(P("等我问问家里人", "ask_progress"))
    afternoon = When(start=datetime(2026, 11, 24, 12, 0, tzinfo=CST), end=datetime(2026, 11, 24, 18, 0, tzinfo=CST))
    step = chat.send(P("重新预约，明天下午", "reschedule", when=afternoon))
    assert "按上次登记的信息" in texts(step) and buttons(step)[0].startswith("11月24日（周二） 13:00-15:00")


def test_after_a_visit_a_repeat_fault_reuses_the_device_place_and_phone() -> None:
    chat = Chat()
    book(chat)
    chat.services.progress_value = Progress(status="visited")
    step = chat.send(P("又打不开了", fault="cannot_open"))
    assert kinds(step)[0] is DetachTicket
    assert "按上次登记的信息" in texts(step) and len(buttons(step)) == 4
    assert chat.state.brand == "丹斯提尼" and chat.state.phone == "13812345678"


def test_after_a_visit_rebooking_by_words_works_the_same() -> None:
    chat = Chat()
    book(chat)
    chat.services.progress_value = Progress(status="visited")
    step = chat.send(P("师傅再来一次吧", "out_of_scope"))
    assert "按上次登记的信息" in texts(step) and chat.state.stage == "offering"


def test_after_a_visit_another_device_is_a_fresh_intake() -> None:
    chat = Chat()
    book(chat)
    chat.services.progress_value = Progress(status="visited")
    step = chat.send(P("旗电佳指纹锁又坏了", brand="旗电佳", brand_supported=True, product="lock", fault="other"))
    assert "按上次登记的信息" not in texts(step) and chat.state.phone is None


def test_rebook_without_anything_remembered_starts_over() -> None:
    chat = Chat()
    book(chat)
    chat.send(P("删除我的信息"))
    chat.send(P("确认删除"))
    step = chat.send(P("重新预约", "reschedule"))
    assert "按上次登记的信息" not in texts(step) and chat.state.brand is None
