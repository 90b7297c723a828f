"""Follow-ups end to end, on SQLite and PostgreSQL: a real engine, the real NLU, the outbox, a fixed clock.

A booking plans its reminders; the visit done plans the survey, its nudge and the maintenance reminder;
the dispatcher delivers them; the customer's answers (buttons or words) are recorded, a bad one
escalates; 退订 stops what is not essential; the maintenance reminder books a check in one tap.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from engine_helpers import CST, ChatUser, Clock, make_engine
from sqlalchemy import select

from bot.config import load_config
from bot.outbox import Dispatcher
from bot.store.models import AuditLog, Message, OutboxMessage, SurveyAnswer, Ticket
from bot.visit_report import VisitError, mark_done, read_check

CONFIG = load_config()
ALL_IN_ONE = "我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678"
LOCK = "旗电佳指纹锁没电了，厦门海沧区，电话13912345678"


def book(chat: ChatUser, first: str) -> dict:
    """Book the first window offered (giving a street address if the bot asks for one)."""
    chat.book(first)
    assert chat.ticket["status"] == "booked", chat.text()
    return chat.ticket


def outbox(store) -> dict[str, SimpleNamespace]:
    columns = [c.key for c in OutboxMessage.__table__.columns]
    with store.session(readonly=True) as s:
        return {r.kind: SimpleNamespace(**{c: getattr(r, c) for c in columns}) for r in s.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id))}


def dispatch(store, now: datetime):
    return Dispatcher(store, config=CONFIG).drain_sync(now)


def proactive(store, chat: ChatUser) -> list[tuple[str, list]]:
    from bot.store.models import Conversation

    with store.session(readonly=True) as s:
        return [(m.text, m.buttons or []) for m in s.scalars(
            select(Message).join(Conversation).where(Conversation.chat_id == chat.user, Message.proactive.is_(True))
            .order_by(Message.id))]


def visit_done(store, ticket_id: int, at: datetime, **kwargs) -> None:
    with store.session() as s:
        mark_done(s, ticket_id, now=at, config=CONFIG, **kwargs)


def answers(store, ticket_id: int) -> list[tuple[str, int | None, str | None]]:
    with store.session(readonly=True) as s:
        return [(a.question, a.score, a.comment) for a in s.scalars(
            select(SurveyAnswer).where(SurveyAnswer.ticket_id == ticket_id).order_by(SurveyAnswer.id))]


def ticket_row(store, ticket_id: int) -> SimpleNamespace:
    with store.session(readonly=True) as s:
        t = s.get(Ticket, ticket_id)
        return SimpleNamespace(status=t.status, reason=t.escalation_reason, visited_at=t.visited_at,
                               check=t.visit_check, notes=t.visit_notes)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def visited(store, clock):
    """A booked lock visit marked done at the end of its window; the survey delivered 2 h later."""
    chat = ChatUser(make_engine(store, clock), user="visited")
    ticket = book(chat, LOCK)
    end = datetime.fromisoformat(ticket["slot"]["end"])
    visit_done(store, ticket["id"], end, notes="更换电池", check={"battery": 100, "alarm": "pass"})
    clock.now = end + timedelta(hours=2)
    assert dispatch(store, clock.now).sent == 1  # the survey (the reminder expired with the visit)
    return SimpleNamespace(chat=chat, ticket=ticket, end=end)


def test_a_booking_plans_the_evening_and_hour_reminders_which_move_and_go(store, clock) -> None:
    clock.now = datetime(2026, 11, 23, 16, 30, tzinfo=CST)  # late afternoon: the first window is tomorrow
    chat = ChatUser(make_engine(store, clock))
    ticket = book(chat, ALL_IN_ONE)
    start = datetime.fromisoformat(ticket["slot"]["start"])
    assert start.date() == clock.now.date() + timedelta(days=1)
    rows = outbox(store)
    assert set(rows) == {"reminder_evening", "reminder_hour"}
    assert rows["reminder_evening"].due_at == datetime(2026, 11, 23, 19, 0, tzinfo=CST)
    assert rows["reminder_hour"].due_at == start - timedelta(hours=1)
    assert all(r.expires_at == start and r.essential for r in rows.values())
    # 19:00: the evening reminder reaches the web chat; the hour reminder waits for its time.
    stats = dispatch(store, datetime(2026, 11, 23, 19, 0, tzinfo=CST))
    assert (stats.sent, stats.claimed) == (1, 1)
    (text, _), = proactive(store, chat)
    assert "明天" in text and ticket["slot"]["technician"] in text and start.strftime("%H:%M") in text
    # Rescheduling re-plans the hour reminder for the new window.
    chat.say("能改个时间吗")
    chat.press(0)
    new_start = datetime.fromisoformat(chat.ticket["slot"]["start"])
    with store.session(readonly=True) as s:
        pending = list(s.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")))
        assert {r.kind for r in pending} <= {"reminder_hour", "reminder_evening"}
        assert [r.due_at for r in pending if r.kind == "reminder_hour"] == [new_start - timedelta(hours=1)]
        assert s.scalar(select(OutboxMessage.status).where(OutboxMessage.due_at == start - timedelta(hours=1))) == "cancelled"
    assert dispatch(store, new_start - timedelta(hours=1)).sent >= 1
    assert "约一小时后" in proactive(store, chat)[-1][0]


def test_cancelling_the_booking_cancels_its_reminders(store, clock) -> None:
    chat = ChatUser(make_engine(store, clock))
    book(chat, ALL_IN_ONE)
    chat.say("取消预约")
    chat.press("确认取消")
    assert {r.status for r in outbox(store).values()} == {"cancelled"}
    assert dispatch(store, clock.now + timedelta(days=2)).claimed == 0


def test_visit_done_records_the_check_and_plans_survey_nudge_and_maintenance(store, clock) -> None:
    chat = ChatUser(make_engine(store, clock))
    ticket = book(chat, LOCK)
    end = datetime.fromisoformat(ticket["slot"]["end"])
    visit_done(store, ticket["id"], end, notes="更换电池", check=read_check(["battery=95", "cycles=10"], CONFIG))
    row = ticket_row(store, ticket["id"])
    assert row.status == "visited" and row.visited_at == end
    assert row.check == {"battery": 95, "cycles": 10} and row.notes == "更换电池"
    rows = outbox(store)
    assert rows["reminder_hour"].status in ("cancelled", "pending")
    assert rows["survey"].due_at == end + timedelta(hours=2) and not rows["survey"].essential
    assert rows["survey_nudge"].due_at == end + timedelta(hours=26)
    maintenance_day = (end + timedelta(days=180)).date()
    assert rows["maintenance"].due_at == datetime.combine(maintenance_day, datetime.min.time(), CST).replace(hour=10)
    assert "指纹" in rows["maintenance"].payload["text"]
    # Reported twice: nothing changes, nothing is planned twice.
    with store.session() as s:
        assert mark_done(s, ticket["id"], now=end + timedelta(hours=1), config=CONFIG)[1] is False
    assert len(outbox(store)) == len(rows)
    with store.session(readonly=True) as s:
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "visit.done")) == "visit.done"


def test_visit_done_refuses_what_cannot_be_true(store, clock) -> None:
    chat = ChatUser(make_engine(store, clock))
    chat.say("保险柜打不开了")
    with pytest.raises(VisitError, match="no booked visit"), store.session() as s:
        mark_done(s, chat.ticket["id"], now=clock.now, config=CONFIG)
    with pytest.raises(VisitError, match="no ticket"), store.session() as s:
        mark_done(s, 99999, now=clock.now, config=CONFIG)
    for bad, message in ((["battery=120"], "0–100"), (["alarm=maybe"], "pass, fail, none"), (["colour=red"], "unknown check")):
        with pytest.raises(VisitError, match=message):
            read_check(bad, CONFIG)


def test_the_survey_reaches_the_chat_and_button_answers_are_recorded(store, visited) -> None:
    (text, buttons), = proactive(store, visited.chat)
    assert "打个分" in text and [b["value"] for b in buttons] == ["1", "2", "3", "4", "5"]
    visited.chat.say("5")
    assert "解决了吗" in visited.chat.text()
    visited.chat.press("解决了")
    assert "还有什么" in visited.chat.text()
    visited.chat.say("师傅很准时，很专业")
    assert "感谢" in visited.chat.text()
    assert answers(store, visited.ticket["id"]) == [("csat", 5, None), ("resolved", 1, None),
                                                     ("comment", None, "师傅很准时，很专业")]
    assert ticket_row(store, visited.ticket["id"]).status == "visited"
    # The survey is over: a new message is a new conversation, not a comment.
    visited.chat.say("保险柜打不开了")
    assert visited.chat.ticket["id"] != visited.ticket["id"]


@pytest.mark.parametrize(("words", "score"), [("五星", 5), ("很满意", 5), ("给4分吧", 4), ("一般般", 3), ("还行", 3)])
def test_survey_answers_in_words(store, visited, words: str, score: int) -> None:
    visited.chat.say(words)
    visited.chat.say("是的，修好了")
    visited.chat.say("没有")
    assert answers(store, visited.ticket["id"]) == [("csat", score, None), ("resolved", 1, None)]


@pytest.mark.parametrize("low", ["1", "2分", "很不满意", "太差了"])
def test_a_low_score_escalates_with_an_apology_and_asks_what_went_wrong(store, visited, low: str) -> None:
    visited.chat.say(low)
    assert "抱歉" in visited.chat.text() and "返修" in visited.chat.text()
    row = ticket_row(store, visited.ticket["id"])
    assert (row.status, row.reason) == ("escalated", "survey_low_score")
    visited.chat.say("师傅迟到了两个小时")
    assert ("comment", None, "师傅迟到了两个小时") in answers(store, visited.ticket["id"])


@pytest.mark.parametrize("words", ["还是打不开", "没修好"])
def test_not_solved_escalates_even_without_a_score(store, visited, words: str) -> None:
    visited.chat.say(words)
    assert "抱歉" in visited.chat.text()
    row = ticket_row(store, visited.ticket["id"])
    assert (row.status, row.reason) == ("escalated", "survey_unresolved")
    assert answers(store, visited.ticket["id"]) == [("resolved", 0, None)]


def test_good_score_but_not_solved_still_escalates(store, visited) -> None:
    visited.chat.say("4")
    visited.chat.press("没解决")
    assert ticket_row(store, visited.ticket["id"]).reason == "survey_unresolved"


def test_one_nudge_when_unanswered_and_a_late_answer_still_counts(store, visited) -> None:
    nudge_at = visited.end + timedelta(hours=26)
    assert dispatch(store, nudge_at).sent == 1
    text, buttons = proactive(store, visited.chat)[-1]
    assert "再请您" in text and len(buttons) == 5
    assert dispatch(store, nudge_at + timedelta(days=3)).sent == 0  # then it stops
    visited.chat.engine.clock.now = nudge_at + timedelta(days=5)  # long after: still recorded
    visited.chat.say("4分")
    assert answers(store, visited.ticket["id"])[0] == ("csat", 4, None)


def test_no_nudge_once_answered(store, visited) -> None:
    visited.chat.say("5")
    stats = dispatch(store, visited.end + timedelta(hours=26))
    assert (stats.sent, stats.dropped) == (0, 1)
    assert outbox(store)["survey_nudge"].last_error == "survey already answered"


def test_a_new_fault_in_reply_to_the_survey_gets_a_new_ticket(store, visited) -> None:
    visited.chat.say("我家另一把旗电佳指纹锁也没电了，在厦门海沧区")
    assert visited.chat.ticket["id"] != visited.ticket["id"]
    assert answers(store, visited.ticket["id"]) == []


def test_unsubscribe_stops_surveys_and_maintenance_but_not_reminders(store, clock) -> None:
    chat = ChatUser(make_engine(store, clock))
    ticket = book(chat, LOCK)
    chat.say("退订")
    assert "已为您退订" in chat.text()
    first_reminder = min(r.due_at for r in outbox(store).values() if r.kind.startswith("reminder"))
    assert dispatch(store, first_reminder).sent == 1  # reminders are essential: they still go
    end = datetime.fromisoformat(ticket["slot"]["end"])
    visit_done(store, ticket["id"], end)
    stats = dispatch(store, end + timedelta(hours=26))
    assert (stats.sent, stats.dropped) == (0, 2)  # survey and nudge
    chat.say("订阅")
    assert "重新开启" in chat.text()
    assert dispatch(store, end + timedelta(days=181)).sent == 1  # maintenance goes again


def test_unsubscribe_only_as_the_whole_message(store, clock) -> None:
    chat = ChatUser(make_engine(store, clock))
    chat.say("我想问下退订单怎么弄，保险柜打不开了")
    assert "退订" not in chat.text()


def test_the_maintenance_reminder_books_a_check_in_one_tap(store, visited) -> None:
    visited.chat.say("5")
    visited.chat.say("解决了")
    visited.chat.say("没有")
    at = visited.end + timedelta(days=181)
    at = at.replace(hour=10, minute=0)
    visited.chat.engine.clock.now = at
    stats = dispatch(store, at)
    assert stats.sent == 1
    text, buttons = proactive(store, visited.chat)[-1]
    assert "保养" in text and buttons[0]["value"] == "预约保养检查"
    visited.chat.say(buttons[0]["value"])
    offers = visited.chat.buttons()
    assert len(offers) >= 2 and "139****5678" in visited.chat.text()
    visited.chat.press(0)
    new = visited.chat.ticket
    assert new["status"] == "booked" and new["id"] != visited.ticket["id"]
    assert (new["brand"], new["product"], new["adcode"]) == ("旗电佳", "lock", visited.ticket["adcode"])


def test_erasure_cancels_what_was_planned_and_blanks_what_was_sent(store, visited) -> None:
    visited.chat.say("删除我的信息")
    visited.chat.press("确认删除")
    rows = outbox(store)
    assert rows["survey_nudge"].status == "cancelled" and rows["maintenance"].status == "cancelled"
    assert rows["survey"].payload == {"text": "", "buttons": [], "erased": True}


def test_erasure_closes_messages_that_failed_to_go(store, visited) -> None:
    with store.session() as s:  # the nudge was refused by the platform earlier
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "survey_nudge")).one()
        row.status, row.last_error = "failed", "permanent: bot was blocked by the user"
    visited.chat.say("删除我的信息")
    visited.chat.press("确认删除")
    nudge = outbox(store)["survey_nudge"]
    assert (nudge.status, nudge.last_error) == ("cancelled", "customer erased their data")
    assert nudge.payload["erased"] is True


def test_booking_again_after_a_booking_gone_without_its_reminders_still_cancels_them(store, clock) -> None:
    """A ticket's first booking skips the cancelling UPDATE (it has no reminders yet); any later booking
    runs it, so reminders a cancelled booking left behind never reach the customer."""
    from bot.config import load_config as config_of
    from bot.effects import EffectApplier
    from bot.services import DbServices, catalog_from_config
    from bot.store.models import Booking, Conversation
    from dialogs import BookSlot, ScheduleFollowUps
    from regions.place import Place

    chat = ChatUser(make_engine(store, clock))
    ticket_id = book(chat, ALL_IN_ONE)["id"]
    assert {r.status for r in outbox(store).values()} == {"pending"}
    config = config_of()
    with store.session() as s:
        ticket = s.get(Ticket, ticket_id)
        ticket.active_booking.status = "cancelled"  # gone by a path that left its reminders pending
        ticket.status = "collecting"
        s.flush()
        services = DbServices(s, config, catalog_from_config(config))
        offer = services.offers(brand=ticket.brand, product=ticket.product, place=Place(ticket.adcode, "", "", ""),
                                after=clock.now + timedelta(days=2), prefer=None)[0]
        applier = EffectApplier(s, s.get(Conversation, ticket.conversation_id), ticket, config, clock.now)
        applier.apply([BookSlot(offer), ScheduleFollowUps()])
        new_id = s.scalars(select(Booking.id).where(Booking.ticket_id == ticket_id,
                                                    Booking.status == "confirmed")).one()
    with store.session(readonly=True) as s:
        rows = s.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status)).all()
    old = {status for key, status in rows if not key.endswith(f":booking:{new_id}")}
    new = {status for key, status in rows if key.endswith(f":booking:{new_id}")}
    assert (old, new) == ({"cancelled"}, {"pending"})
