"""Dialog policy with plain values: hand-made parses and fake services, no database, no NLU."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pytest
from dialog_helpers import (
    ALL_IN_ONE,
    CST,
    DONGGUAN,
    GULOU,
    LHASA,
    MENGZHOU,
    NOW,
    WEN,
    Chat,
    FakeServices,
    P,
    book,
    buttons,
    kinds,
    texts,
)

import dialogs
from dialogs import (
    BookSlot,
    CancelBooking,
    ConversationState,
    DetachTicket,
    EraseCustomer,
    Escalate,
    Progress,
    Reschedule,
    SaveTicket,
    ScheduleFollowUps,
)
from nlu.types import When


def test_all_in_one_first_message_gets_summary_with_offers_then_one_press_books() -> None:
    chat = Chat()
    first = chat.send(ALL_IN_ONE)
    assert len(first.replies) == 1, "no needless questions: one reply, the summary with the offers"
    reply = first.replies[0]
    assert "丹斯提尼保险柜" in reply.text and "忘记密码" in reply.text and "温县" in reply.text
    assert "138****5678" in reply.text and "13812345678" not in reply.text
    assert [b.label for b in reply.buttons][:3] == [
        "11月24日（周二） 09:00-11:00 王强师傅（约20分钟路程）",
        "11月24日（周二） 09:00-11:00 李明师傅（约45分钟路程）",
        "11月24日（周二） 11:00-13:00 王强师傅（约20分钟路程）",
    ]
    assert len(reply.buttons) == 4  # three windows and "another time"
    assert chat.state.expecting == "choice" and chat.state.stage == "offering"
    save = first.effects[0]
    assert isinstance(save, SaveTicket) and save.status == "collecting"
    assert save.fields["adcode"] == "410825" and save.fields["phone"] == "13812345678"

    booked = chat.press(first, 1)
    assert kinds(booked)[-2:] == [BookSlot, ScheduleFollowUps]
    book = next(e for e in booked.effects if isinstance(e, BookSlot))
    assert book.offer.technician == "李明" and book.offer.ref == "李明-112409"
    assert "预约成功" in texts(booked) and "李明" in texts(booked) and "138****5678" in texts(booked)
    assert chat.state.stage == "booked"
    assert next(e for e in booked.effects if isinstance(e, SaveTicket)).status == "booked"


def test_piecemeal_asks_one_missing_thing_at_a_time_with_buttons() -> None:
    chat = Chat()
    step = chat.send(P("保险柜坏了", product="safe"))
    assert "什么品牌" in texts(step) and "丹斯提尼" in buttons(step) and "旗电佳" not in buttons(step)
    assert chat.state.expecting == "brand"
    step = chat.press(step, 0)
    assert "出了什么问题" in texts(step) and buttons(step)[0] == "忘记密码"
    assert chat.state.brand == "丹斯提尼" and chat.state.expecting == "fault"
    step = chat.press(step, 0)
    assert chat.state.fault == "forgot_password"
    assert "哪个区县" in texts(step) and chat.state.expecting == "place"
    step = chat.send(P("温县", place=WEN))
    assert "详细地址" in texts(step) and chat.state.expecting == "address" and not buttons(step)
    step = chat.send(P("建设路12号4栋201", "out_of_scope"))
    assert "手机号" in texts(step) and chat.state.expecting == "phone"
    assert chat.state.address == "建设路12号4栋201"
    step = chat.send(P("13812345678", phone="13812345678"))
    assert "已为您登记" in texts(step) and len(buttons(step)) == 4
    assert "温县建设路12号***" in texts(step) and "4栋201" not in texts(step)


def test_ambiguous_district_offers_choice_buttons_and_ordinal_answer_picks_one() -> None:
    chat = Chat()
    step = chat.send(P("丹斯提尼保险柜打不开，在鼓楼区", brand="丹斯提尼", brand_supported=True, product="safe",
                       fault="cannot_open", place_candidates=GULOU))
    assert "鼓楼区" in texts(step)
    assert buttons(step) == ["福建省福州市鼓楼区", "江苏省南京市鼓楼区"]
    assert chat.state.expecting == "place"
    chat.services.covered.add("320106")
    step = chat.send(P("第二个", "out_of_scope"))
    assert chat.state.place["adcode"] == "320106"
    assert "详细地址" in texts(step)


def test_town_needed_asks_town_with_buttons_and_accepts_name_without_suffix() -> None:
    chat = Chat()
    step = chat.send(P("东莞丹斯提尼保险柜没电了", brand="丹斯提尼", brand_supported=True, product="safe",
                       fault="no_power", place=DONGGUAN))
    assert "镇" in texts(step) and buttons(step) == ["虎门镇", "南城街道", "东城街道"]
    assert chat.state.expecting == "town"
    step = chat.send(P("虎门", "out_of_scope"))
    assert chat.state.place["town"] == "虎门镇"
    assert "详细地址" in texts(step)


def test_out_of_area_says_so_offers_human_never_books_and_insisting_escalates() -> None:
    chat = Chat()
    step = chat.send(replace(ALL_IN_ONE, text="拉萨城关区丹斯提尼保险柜忘记密码", place=LHASA))
    assert "暂时没有服务网点" in texts(step) and buttons(step) == ["转人工客服"]
    assert chat.state.stage == "out_of_area" and not chat.services.offer_calls
    assert step.effects[0].status == "out_of_area" and step.effects[0].fields["covered"] is False
    step = chat.send(P("我就要你们修", "out_of_scope"))
    assert Escalate("out_of_area_insisted") in step.effects
    assert not any(isinstance(e, BookSlot) for e in step.effects)
    assert chat.state.stage == "escalated"


def test_out_of_area_then_corrected_place_continues_intake() -> None:
    chat = Chat()
    chat.send(replace(ALL_IN_ONE, place=LHASA))
    step = chat.send(P("不对，是温县", "deny", place=WEN))
    assert chat.state.stage == "offering" and "温县" in texts(step)


def test_unsupported_brand_is_told_honestly_and_offered_a_human() -> None:
    chat = Chat()
    step = chat.send(P("得力保险柜打不开", brand="得力", brand_supported=False, product="safe", fault="cannot_open"))
    assert "得力不在我们的服务范围内" in texts(step) and "丹斯提尼" in texts(step)
    assert buttons(step) == ["转人工客服"]
    assert step.effects[0].status == "out_of_area" and step.effects[0].reason == "brand_unsupported"
    step = chat.press(step, 0)
    assert Escalate("out_of_area") in step.effects


def test_invalid_phone_is_explained_and_asked_again() -> None:
    chat = Chat()
    step = chat.send(replace(ALL_IN_ONE, phone=None, phone_invalid=True))
    assert "11 位" in texts(step) and chat.state.expecting == "phone"
    assert chat.state.phone is None
    step = chat.send(P("13812345678", phone="13812345678"))
    assert chat.state.stage == "offering"


def test_correction_of_place_while_offering_gives_new_summary_and_offers() -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P("不对，是孟州", "deny", place=MENGZHOU))
    assert "孟州市" in texts(step) and "已为您登记" in texts(step)
    assert chat.state.place["adcode"] == "410883"
    assert step.effects[0].fields["adcode"] == "410883"


def test_brand_correction_to_unsupported_brand_stops_booking() -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P("品牌是得力", "deny", brand="得力", brand_supported=False))
    assert chat.state.stage == "out_of_area" and "得力" in texts(step)
    step = chat.send(P("预约 11月24日（周二） 09:00-11:00 王强", "out_of_scope"))
    assert not any(isinstance(e, BookSlot) for e in step.effects)


def test_reschedule_offers_other_windows_and_press_moves_the_booking() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("能改个时间吗", "reschedule"))
    labels = buttons(step)
    assert labels and "09:00-11:00 王强师傅" not in labels[0]  # the booked window is not offered again
    step = chat.press(step, 0)
    move = next(e for e in step.effects if isinstance(e, Reschedule))
    assert move.offer.technician == "李明"
    assert "改约成功" in texts(step) and chat.state.booking["technician"] == "李明"


def test_reschedule_with_time_uses_the_preference() -> None:
    chat = Chat()
    book(chat)
    afternoon = When(start=datetime(2026, 11, 24, 12, 0, tzinfo=CST), end=datetime(2026, 11, 24, 18, 0, tzinfo=CST))
    step = chat.send(P("改到明天下午", "reschedule", when=afternoon))
    assert buttons(step) == ["11月24日（周二） 13:00-15:00 王强师傅（约20分钟路程）"]


def test_cancel_booking_asks_first_then_cancels() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("取消预约", "cancel"))
    assert "确定要取消" in texts(step) and buttons(step) == ["确认取消", "不取消"]
    assert not any(isinstance(e, CancelBooking) for e in step.effects)
    step = chat.press(step, 0)
    assert kinds(step) == [CancelBooking, DetachTicket]
    assert chat.state.stage == "closed" and chat.state.phone is None


def test_cancel_can_be_declined() -> None:
    chat = Chat()
    book(chat)
    chat.send(P("取消", "cancel"))
    step = chat.send(P("算了不取消了", "deny"))
    assert "保持不变" in texts(step) and chat.state.stage == "booked" and not step.effects


def test_cancel_during_intake_drops_the_ticket() -> None:
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    step = chat.send(P("不修了，取消吧", "cancel"))
    assert kinds(step) == [SaveTicket, DetachTicket] and step.effects[0].status == "cancelled"


@pytest.mark.parametrize(("said", "intent", "reason"), [("转人工", "ask_human", "customer_asked"),
                                                         ("我要投诉", "complaint", "complaint")])
def test_handoff_intents_escalate_with_reason(said: str, intent: str, reason: str) -> None:
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    step = chat.send(P(said, intent))
    assert Escalate(reason) in step.effects and chat.state.stage == "escalated"
    assert step.effects[0].status == "escalated"
    step = chat.send(P("丹斯提尼", brand="丹斯提尼", brand_supported=True))
    assert "已转人工" in texts(step) and not any(isinstance(e, Escalate) for e in step.effects)


def test_two_misunderstood_turns_in_a_row_hand_off() -> None:
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    step = chat.send(P("啊啊啊", "out_of_scope"))
    assert "没太明白" in texts(step) and not any(isinstance(e, Escalate) for e in step.effects)
    step = chat.send(P("🙂🙂", "out_of_scope"))
    assert Escalate("misunderstood") in step.effects
    assert len(step.replies) == 1 and "人工" in step.replies[0].text


def test_an_understood_turn_resets_the_misunderstood_count() -> None:
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    chat.send(P("啊啊啊", "out_of_scope"))
    chat.send(P("丹斯提尼", brand="丹斯提尼", brand_supported=True))
    step = chat.send(P("嗯嗯嗯", "out_of_scope"))
    assert not any(isinstance(e, Escalate) for e in step.effects)


def test_delete_my_data_confirms_then_erases_and_forgets_everything() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("删除我的信息", "out_of_scope"))
    assert "确认删除" in buttons(step) and not step.effects
    step = chat.press(step, 0)
    assert kinds(step) == [CancelBooking, EraseCustomer, DetachTicket]
    assert chat.state.phone is None and chat.state.place is None and chat.state.booking is None


def test_slot_taken_apologises_and_offers_fresh_windows() -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    before = chat.state
    chat.services.slots.pop(0)
    step = dialogs.slot_taken(before, chat.services, NOW)
    assert "约不上了" in texts(step)
    assert buttons(step)[0].startswith("11月24日（周二） 09:00-11:00 李明师傅")
    assert step.state.stage == "offering"


def test_progress_before_and_during_the_window() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("师傅到哪了", "ask_progress"))
    assert "王强师傅已预约在11月24日（周二） 09:00-11:00上门" in texts(step)
    chat.now = datetime(2026, 11, 24, 9, 30, tzinfo=CST)
    chat.services.progress_value = Progress(status="booked", technician="王强", eta_minutes=20)
    step = chat.send(P("师傅到哪了", "ask_progress"))
    assert "这个时段内上门" in texts(step) and "约20分钟" in texts(step)


def test_progress_without_booking_continues_the_intake() -> None:
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    step = chat.send(P("师傅什么时候来", "ask_progress"))
    assert "还没有预约" in texts(step) and "品牌" in texts(step)


def test_price_question_answers_from_the_price_list_and_keeps_the_offers() -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P("修一下多少钱", "ask_price"))
    assert "80–150元" in texts(step) and "上门费50元" in texts(step)
    assert len(buttons(step)) == 4 and chat.state.stage == "offering"


def test_restart_forgets_the_intake_and_cancels_its_ticket() -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P("重新开始", "out_of_scope"))
    assert kinds(step) == [SaveTicket, DetachTicket] and step.effects[0].status == "cancelled"
    assert chat.state.brand is None and chat.state.stage == "new"


def test_greet_thanks_goodbye() -> None:
    chat = Chat()
    assert "报修" in texts(chat.send(P("你好", "greet")))
    book(chat)
    assert "不客气" in texts(chat.send(P("谢谢", "thanks")))
    assert "再见" in texts(chat.send(P("拜拜", "goodbye")))


def test_preferred_time_in_first_message_filters_offers() -> None:
    chat = Chat()
    afternoon = When(start=datetime(2026, 11, 24, 12, 0, tzinfo=CST), end=datetime(2026, 11, 24, 18, 0, tzinfo=CST))
    step = chat.send(replace(ALL_IN_ONE, when=afternoon))
    assert buttons(step)[0].startswith("11月24日（周二） 13:00-15:00")
    assert "按您希望的时间" in texts(step)


def test_no_slots_escalates_instead_of_pretending() -> None:
    services = FakeServices()
    services.slots = []
    chat = Chat(services)
    step = chat.send(ALL_IN_ONE)
    assert Escalate("no_slots") in step.effects and "约满" in texts(step)


def test_state_round_trips_through_json_and_tolerates_unknown_keys() -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    data = json.loads(json.dumps(chat.state.to_json()))
    data["from_a_future_version"] = 1
    assert ConversationState.from_json(data) == chat.state
    assert ConversationState.from_json(None) == ConversationState()


def test_customer_who_does_not_know_the_brand_is_told_where_to_look() -> None:
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    step = chat.send(P("不知道啊", "deny"))
    assert "面板" in texts(step) and buttons(step) == ["转人工客服"]
    assert not chat.state.misunderstood


def test_new_place_after_booking_offers_to_move_the_visit() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("地址搞错了，是孟州", "deny", place=MENGZHOU))
    assert "地址已更新" in texts(step) and buttons(step)
    assert step.effects[0].fields["adcode"] == "410883"
    step = chat.press(step, 0)
    assert any(isinstance(e, Reschedule) for e in step.effects)


def test_new_place_after_booking_outside_the_area_goes_to_a_human() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("我搬到拉萨了", "report_fault", place=LHASA))
    assert Escalate("booking_change") in step.effects


def test_phone_change_after_booking_is_saved() -> None:
    chat = Chat()
    book(chat)
    step = chat.send(P("电话换成13900001111", phone="13900001111"))
    assert "139****1111" in texts(step) and step.effects[0].fields["phone"] == "13900001111"


def test_a_typed_town_outside_the_served_towns_is_declined_honestly() -> None:
    chat = Chat()
    chat.send(P("东莞丹斯提尼保险柜没电了", brand="丹斯提尼", brand_supported=True, product="safe",
                fault="no_power", place=DONGGUAN))
    step = chat.send(P("长安", "out_of_scope"))
    assert chat.state.place["town"] == "长安镇" and chat.state.stage == "out_of_area"
    assert "东莞市长安镇" in texts(step) and buttons(step) == ["转人工客服"]


def test_after_the_visit_a_new_report_starts_a_new_ticket() -> None:
    chat = Chat()
    book(chat)
    chat.services.progress_value = Progress(status="visited")
    assert "上门服务过了" in texts(chat.send(P("师傅来了吗", "ask_progress")))
    step = chat.send(P("旗电佳指纹锁又坏了", brand="旗电佳", brand_supported=True, product="lock", fault="other"))
    assert kinds(step)[0] is DetachTicket and isinstance(step.effects[-1], SaveTicket)
    assert step.effects[-1].status == "collecting" and step.effects[-1].fields["brand"] == "旗电佳"
    assert chat.state.stage == "intake" and chat.state.phone is None


def test_erasing_during_intake_cancels_the_open_ticket() -> None:
    chat = Chat()
    chat.send(P("保险柜坏了", product="safe"))
    chat.send(P("删除我的信息", "out_of_scope"))
    step = chat.send(P("确认删除", "affirm"))
    assert kinds(step) == [SaveTicket, EraseCustomer, DetachTicket]
    assert step.effects[0].status == "cancelled" and step.effects[0].fields == {}


def test_refusing_the_phone_gets_a_reason_and_a_human_not_a_misunderstanding() -> None:
    chat = Chat()
    chat.send(replace(ALL_IN_ONE, phone=None))
    step = chat.send(P("不想留电话", "deny"))
    assert "加密保存" in texts(step) and buttons(step) == ["转人工客服"]
    assert chat.state.expecting == "phone" and chat.state.misunderstood == 0


def test_asking_for_another_time_while_offered_asks_which_time() -> None:
    chat = Chat()
    chat.send(ALL_IN_ONE)
    step = chat.send(P("这些时间都不行，换个时间", "reschedule"))
    assert "什么时间" in texts(step) and chat.state.expecting == "time"
