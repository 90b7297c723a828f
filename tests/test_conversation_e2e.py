"""Scripted conversations through the real engine, the real NLU, the real gazetteer and a real database
(SQLite and PostgreSQL): what a customer types, what the bot answers, what the ticket becomes."""

from __future__ import annotations

from datetime import datetime, timedelta

from engine_helpers import ChatUser, make_engine
from sqlalchemy import func, select, text

from bot.store.models import Booking, Customer, Message, OutboxMessage, Slot, Ticket

ALL_IN_ONE = "我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678"
ADDRESS = "建设路12号4栋201"


def offered_chat(store, first: str = ALL_IN_ONE, user: str = "u1", engine=None) -> ChatUser:
    """A chat that told everything, was asked the street address (no buttons), gave it and got windows."""
    chat = ChatUser(engine or make_engine(store), user)
    chat.say(first)
    assert "详细地址" in chat.text() and chat.buttons() == [], chat.text()
    chat.say(ADDRESS)
    return chat


def booked_chat(store) -> ChatUser:
    chat = offered_chat(store)
    chat.press(0)
    assert chat.ticket["status"] == "booked", chat.text()
    return chat


def test_all_in_one_first_message_is_booked_after_the_street_address(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say(ALL_IN_ONE)
    assert "详细地址" in chat.text() and chat.buttons() == []
    second = chat.say(ADDRESS)
    assert len(second.replies) == 1, "the reply to the address is the summary with offers: no needless questions"
    assert "丹斯提尼保险柜" in chat.text() and "温县" in chat.text() and "138****5678" in chat.text()
    assert "温县建设路12号***" in chat.text() and "4栋201" not in chat.text()
    offers = [b for b in chat.buttons() if b["value"].startswith("预约")]
    assert len(offers) == 3
    assert chat.ticket == {
        "id": chat.ticket["id"], "status": "collecting", "brand": "丹斯提尼", "product": "safe",
        "fault": "forgot_password", "adcode": "410825", "town": None, "covered": True,
        "phone_masked": "138****5678", "slot": None,
    }
    chat.press(0)
    assert "预约成功" in chat.text() and "138****5678" in chat.text()
    ticket = chat.ticket
    assert ticket["status"] == "booked"
    assert ticket["slot"]["technician"] in chat.text() and ticket["slot"]["start"].endswith("+08:00")
    assert offers[0]["label"].split(" ")[1].split("-")[0] == ticket["slot"]["start"][11:16]
    with store.session() as s:
        assert s.scalar(select(Booking.status)) == "confirmed"
        # A reminder an hour before the visit (config.yml followups.reminders), expiring when it starts;
        # the visit is today, so there is no evening-before reminder. The survey waits for the visit.
        plans = {f.kind: f for f in s.scalars(select(OutboxMessage))}
        start = datetime.fromisoformat(ticket["slot"]["start"])
        assert set(plans) == {"reminder_hour"}
        assert plans["reminder_hour"].due_at == start - timedelta(hours=1)
        assert plans["reminder_hour"].expires_at == start and plans["reminder_hour"].status == "pending"
        assert ticket["slot"]["technician"] in plans["reminder_hour"].payload["text"]
        # Phone numbers and message texts are encrypted at rest.
        raw_phone = s.execute(text("SELECT phone FROM customer")).scalar_one()
        assert b"13812345678" not in bytes(raw_phone)
        raw_texts = [bytes(r) for r in s.execute(text("SELECT text FROM message")).scalars()]
        assert len(raw_texts) == 6 and not any(b"13812345678" in r for r in raw_texts)
        assert s.scalar(select(Customer.phone)) == "13812345678"
        # The street address is stored whole for the technician, encrypted at rest.
        assert s.scalar(select(Ticket.address)) == ADDRESS
        raw_address = s.execute(text("SELECT address FROM ticket")).scalar_one()
        assert ADDRESS.encode() not in bytes(raw_address)


def test_piecemeal_information_is_asked_for_one_thing_at_a_time(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("你好")
    assert "品牌" in chat.text() and chat.ticket is None
    chat.say("保险柜打不开了")
    assert "什么品牌" in chat.text() and any(b["label"] == "丹斯提尼" for b in chat.buttons())
    assert chat.ticket["status"] == "collecting" and chat.ticket["product"] == "safe"
    chat.press("丹斯提尼")
    assert "哪个区县" in chat.text()
    chat.say("焦作温县")
    assert "详细地址" in chat.text()
    chat.say("温县中州路88号3单元501")
    assert "手机号" in chat.text()
    chat.say("13812345678")
    assert "已为您登记" in chat.text() and len(chat.buttons()) == 4
    assert chat.ticket["adcode"] == "410825" and chat.ticket["fault"] == "cannot_open"


def test_ambiguous_district_offers_the_candidates_as_buttons(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("鼓楼区，丹斯提尼保险柜打不开")
    labels = [b["label"] for b in chat.buttons()]
    assert "河南省开封市鼓楼区" in labels and "福建省福州市鼓楼区" in labels
    assert chat.ticket["adcode"] is None
    chat.press("开封")
    assert chat.ticket["adcode"] == "410204" and "详细地址" in chat.text()


def test_dongguan_needs_a_town_and_offers_town_buttons(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("东莞，丹斯提尼保险柜忘记密码了，13812345678")
    assert "镇" in chat.text()
    labels = [b["label"] for b in chat.buttons()]
    assert "虎门镇" in labels
    chat.press("虎门镇")
    assert chat.ticket["town"] == "虎门镇" and chat.ticket["covered"] is True
    chat.say("虎门镇连升路8号")
    assert "已为您登记" in chat.text() and "东莞市虎门镇连升路8号" in chat.text()


def test_out_of_area_is_said_honestly_offers_a_human_and_never_books(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("西藏拉萨城关区，丹斯提尼保险柜打不开，13812345678")
    assert "没有服务网点" in chat.text()
    assert [b["label"] for b in chat.buttons()] == ["转人工客服"]
    assert chat.ticket["status"] == "out_of_area" and chat.ticket["covered"] is False
    chat.say("那怎么办，我就想修好它")
    assert chat.ticket["status"] == "escalated" and "人工" in chat.text()
    with store.session() as s:
        assert s.scalar(select(Booking.id)) is None
        assert s.scalar(select(Ticket.escalation_reason)) == "out_of_area_insisted"


def test_unsupported_brand_is_declined_with_a_human_offered(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("得力保险柜打不开了，焦作温县")
    assert "得力" in chat.text() and "丹斯提尼" in chat.text()
    assert chat.ticket["status"] == "out_of_area" and chat.ticket["brand"] == "得力"
    chat.press("转人工")
    assert chat.ticket["status"] == "escalated"


def test_invalid_phone_gets_an_explanation_and_a_second_chance(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("焦作温县 丹斯提尼保险柜密码忘了")
    chat.say(ADDRESS)
    assert "手机号" in chat.text()
    chat.say("1381234")
    assert "11 位" in chat.text() and chat.ticket["phone_masked"] is None
    chat.say("13812345678")
    assert chat.ticket["phone_masked"] == "138****5678" and "已为您登记" in chat.text()


def test_correction_of_the_place_moves_the_ticket(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("西藏拉萨城关区，丹斯提尼保险柜打不开，13812345678")
    assert chat.ticket["status"] == "out_of_area"
    chat.say("不对，是焦作温县")
    assert chat.ticket["adcode"] == "410825" and chat.ticket["status"] == "collecting"
    chat.say(ADDRESS)
    assert "温县" in chat.text() and len(chat.buttons()) == 4


def test_reschedule_by_chat_moves_the_booking(store) -> None:
    chat = booked_chat(store)
    before = chat.ticket["slot"]
    chat.say("能改个时间吗")
    assert chat.buttons(), chat.text()
    chat.press(0)
    assert "改约成功" in chat.text()
    after = chat.ticket["slot"]
    assert after != before and chat.ticket["status"] == "booked"
    with store.session() as s:
        assert sorted(s.scalars(select(Booking.status))) == ["confirmed", "rescheduled"]
        assert sum(s.scalars(select(Slot.booked))) == 1
        pending = s.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")).all()
        new_start = datetime.fromisoformat(after["start"])
        # Re-planned for the new window (an evening reminder too when it moved to a later day), the old
        # plan cancelled.
        assert {f.kind for f in pending} <= {"reminder_hour", "reminder_evening"} and pending
        assert all(f.expires_at == new_start for f in pending)
        assert min(f.due_at for f in pending) < new_start
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "cancelled")) >= 1


def test_cancel_by_chat_frees_the_slot(store) -> None:
    chat = booked_chat(store)
    chat.say("我要取消预约")
    assert "确定要取消" in chat.text()
    chat.press("确认取消")
    assert "已为您取消" in chat.text()
    assert chat.ticket["status"] == "cancelled" and chat.ticket["slot"] is None
    with store.session() as s:
        assert sum(s.scalars(select(Slot.booked))) == 0
        assert set(s.scalars(select(OutboxMessage.status))) == {"cancelled"}


def test_complaint_hands_off_to_a_human(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("焦作温县 丹斯提尼保险柜打不开")
    chat.say("你们服务太差了，我要投诉")
    assert chat.ticket["status"] == "escalated" and "人工" in chat.text()
    with store.session() as s:
        assert s.scalar(select(Ticket.escalation_reason)) == "complaint"


def test_two_misunderstood_turns_hand_off(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("丹斯提尼保险柜打不开")
    chat.say("🙂🙂🙂")
    assert chat.ticket["status"] == "collecting"
    chat.say("%%%")
    assert chat.ticket["status"] == "escalated"


def test_delete_my_data_erases_personal_data_and_keeps_anonymous_stats(store) -> None:
    chat = booked_chat(store)
    chat.say("删除我的信息")
    assert "确认删除" in [b["label"] for b in chat.buttons()]
    chat.press("确认删除")
    assert "已删除" in chat.text()
    with store.session() as s:
        customer = s.scalars(select(Customer)).one()
        assert customer.phone is None and customer.phone_hash is None and customer.erased_at is not None
        kept = [m for m in s.scalars(select(Message)) if m.text is not None]
        assert all("138" not in m.text for m in kept)
        assert all(m.direction == "out" for m in kept)  # only the farewell, said after erasure
        ticket = s.scalars(select(Ticket)).one()
        assert (ticket.brand, ticket.product, ticket.fault, ticket.adcode) == ("丹斯提尼", "safe", "forgot_password", "410825")
        assert ticket.status == "cancelled" and sum(s.scalars(select(Slot.booked))) == 0


def test_a_window_taken_meanwhile_gets_an_apology_and_fresh_offers(store) -> None:
    engine = make_engine(store)
    first = offered_chat(store, user="a", engine=engine)
    second = offered_chat(store, ALL_IN_ONE.replace("13812345678", "13912345678"), user="b", engine=engine)
    assert first.buttons()[0]["value"] == second.buttons()[0]["value"]
    first.press(0)
    second.press(0)
    assert "约不上了" in second.text() and second.ticket["status"] == "collecting"
    assert second.buttons()[0]["value"] != first.buttons()[0]["value"] if first.buttons() else True
    second.press(0)
    assert second.ticket["status"] == "booked" and second.ticket["slot"] != first.ticket["slot"]


def test_progress_question_after_booking(store) -> None:
    chat = booked_chat(store)
    chat.say("师傅到哪了")
    assert chat.ticket["slot"]["technician"] in chat.text() and "上门" in chat.text()


def test_price_question_uses_the_price_list(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("丹斯提尼保险柜忘记密码了")
    chat.say("修一下多少钱")
    assert "80–150元" in chat.text() and "上门费50元" in chat.text()


def test_asking_for_a_human_hands_off_and_the_bot_then_only_reassures(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("丹斯提尼保险柜打不开")
    chat.say("我要转人工")
    assert chat.ticket["status"] == "escalated" and "人工客服" in chat.text()
    chat.say("焦作温县，13812345678")
    assert "已转人工客服" in chat.text()
    # What the customer still tells us is kept on the ticket for the operator.
    assert chat.ticket["adcode"] == "410825" and chat.ticket["phone_masked"] == "138****5678"
    with store.session() as s:
        assert s.scalar(select(Ticket.escalation_reason)) == "customer_asked"


def test_town_outside_the_served_towns_is_declined(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("旗电佳指纹锁打不开了，我在东莞")
    served = [b["label"] for b in chat.buttons()]
    assert served and "长安镇" not in served
    chat.say("长安")
    assert chat.ticket["town"] == "长安镇" and chat.ticket["status"] == "out_of_area"
    assert "没有服务网点" in chat.text()


def test_after_the_technician_marks_the_visit_done_a_new_report_is_a_new_ticket(store) -> None:
    chat = booked_chat(store)
    first_id = chat.ticket["id"]
    with store.session() as s:
        s.get(Ticket, first_id).status = "visited"
    chat.say("师傅到哪了")
    assert "上门服务过了" in chat.text()
    chat.say("丹斯提尼保险柜又打不开了")
    assert chat.ticket["id"] != first_id and chat.ticket["status"] == "collecting"
    with store.session() as s:
        assert s.get(Ticket, first_id).status == "visited"


def test_a_preferred_time_in_the_first_message_is_honoured(store) -> None:
    # The clock says Monday 2026-11-23 10:00.
    chat = offered_chat(store, "焦作温县丹斯提尼保险柜打不开，明天下午来修，电话13812345678")
    offers = [b["label"] for b in chat.buttons() if b["value"].startswith("预约")]
    assert offers and all(label.startswith("11月24日（周二）") for label in offers)
    assert all(int(label.split(" ")[1][:2]) >= 12 for label in offers)
    assert "按您希望的时间" in chat.text()
