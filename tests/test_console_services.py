"""Console services without HTTP, on both backends: holding a chat silences the bot, one of two
simultaneous take-overs wins, assignment, snooze, SLA, hand back, close and ticket work."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from console_helpers import account
from engine_helpers import MONDAY_10AM, ChatUser, Clock, make_engine
from sqlalchemy import select

from bot.config import load_config
from bot.console import assignment, services, technicians, tickets
from bot.console.errors import ConsoleError
from bot.console.services import Context
from bot.console.settings import ConsoleSettings, ConsoleSettingsError
from bot.outbox.dispatcher import Dispatcher
from bot.store.models import AuditLog, Conversation, Message, OutboxMessage, Ticket

NOW = MONDAY_10AM


@pytest.fixture
def ctx() -> Context:
    config = load_config()
    from zoneinfo import ZoneInfo

    return Context(config, ConsoleSettings.from_config(config), ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def engine(store):
    return make_engine(store, Clock(NOW))


def _escalate(engine, user: str = "c1", text: str = "我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678") -> int:
    chat = ChatUser(engine, user)
    chat.say(text)
    chat.say("转人工")
    with engine.db.session() as s:
        conv = s.scalars(select(Conversation).where(Conversation.chat_id == user)).one()
        # The escalation as the engine logged it, at the test's clock.
        for row in s.scalars(select(AuditLog).where(AuditLog.action == "ticket.escalate")):
            row.at = NOW
        return conv.id


def test_holding_silences_the_bot_and_its_follow_ups_but_not_the_operator(engine, ctx):
    chat = ChatUser(engine, "c1")
    chat.book("我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678")  # booked: reminders are planned
    assert chat.ticket["status"] == "booked"
    alice = account(engine.db, "alice")
    with engine.db.session() as s:
        conv_id = s.scalar(select(Conversation.id))
        services.take_over(s, alice, conv_id, NOW)
        services.reply(s, ctx, alice, conv_id, "您好，我是客服小李", NOW)
    assert chat.say("师傅几点到？").replies == []  # the engine stores it and says nothing
    with engine.db.session(readonly=True) as s:
        due = min(s.scalars(select(OutboxMessage.due_at).where(OutboxMessage.kind.like("reminder%"))))
    dispatcher = Dispatcher(engine.db, config=engine.config)
    stats = dispatcher.drain_sync(due + timedelta(minutes=1))
    assert stats.sent == 1 and stats.held >= 1  # the operator's reply went, the reminder waits
    with engine.db.session(readonly=True) as s:
        sent = s.execute(select(Message.author, Message.text).where(Message.proactive.is_(True))).all()
    assert sent == [("operator", "您好，我是客服小李")]
    with engine.db.session() as s:
        services.hand_back(s, alice, conv_id, NOW)
    assert chat.say("师傅几点到？").replies  # the bot answers again
    with engine.db.session(readonly=True) as s:
        assert s.get(Conversation, conv_id).last_operator_id == alice.id


def test_two_operators_taking_over_at_once_one_wins(engine, ctx):
    conv_id = _escalate(engine)
    people = [account(engine.db, "alice"), account(engine.db, "bob")]
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def press(who):
        start.wait()
        try:
            with engine.db.session() as s:
                services.take_over(s, who, conv_id, NOW)
            outcomes[who.username] = "won"
        except ConsoleError as exc:
            outcomes[who.username] = f"{exc.status}"

    threads = [threading.Thread(target=press, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes.values()) == ["409", "won"]
    winner = next(p for p in people if outcomes[p.username] == "won")
    with engine.db.session(readonly=True) as s:
        assert s.get(Conversation, conv_id).operator_id == winner.id
        assert s.scalar(select(AuditLog.actor).where(AuditLog.action == "conversation.take")) == winner.actor
    loser = next(p for p in people if p is not winner)
    with pytest.raises(ConsoleError) as refused, engine.db.session() as s:
        services.reply(s, ctx, loser, conv_id, "我来", NOW)
    assert refused.value.status == 409 and winner.display_name in refused.value.message
    with engine.db.session() as s:  # pressing again is harmless for the holder
        services.take_over(s, winner, conv_id, NOW)


def test_queue_shows_escalations_with_sla_and_hand_back_restores_the_ticket(engine, ctx):
    conv_id = _escalate(engine)
    me = account(engine.db, "alice")
    with engine.db.session(readonly=True) as s:
        view = services.queue(s, ctx, me, NOW + timedelta(minutes=5))
    row = view.waiting[0]
    assert (row.conversation_id, row.reason, row.status, row.phone_masked) == (conv_id, "customer_asked", "escalated",
                                                                           "138****5678")
    assert row.place == "河南省焦作市温县" and row.waiting_minutes == 5 and not row.sla.first_response_breached
    with engine.db.session(readonly=True) as s:
        late = services.queue(s, ctx, me, NOW + timedelta(minutes=11)).waiting[0]
    assert late.sla.first_response_breached and not late.sla.resolution_breached
    with engine.db.session() as s:
        services.take_over(s, me, conv_id, NOW + timedelta(minutes=2))
        services.reply(s, ctx, me, conv_id, "在的", NOW + timedelta(minutes=2))
    Dispatcher(engine.db, config=engine.config, clock=lambda: NOW + timedelta(minutes=2)).drain_sync()
    with engine.db.session(readonly=True) as s:
        held = services.queue(s, ctx, me, NOW + timedelta(minutes=30)).held[0]
    assert held.mine and held.sla.responded_at is not None and not held.sla.first_response_breached
    with engine.db.session() as s:
        services.hand_back(s, me, conv_id, NOW + timedelta(minutes=40))
    with engine.db.session(readonly=True) as s:
        ticket = s.scalars(select(Ticket)).one()
        assert ticket.status == "collecting" and s.get(Conversation, conv_id).operator_id is None
        assert services.queue(s, ctx, me, NOW + timedelta(minutes=41)).waiting == []


def test_round_robin_over_online_operators_and_the_returning_customer(engine, ctx):
    alice, bob, carol = (account(engine.db, n) for n in ("alice", "bob", "carol"))
    with engine.db.session() as s:
        assignment.touch(s, {alice.id, bob.id}, NOW)  # carol is not online
    first, second = _escalate(engine, "c1"), _escalate(engine, "c2", "旗电佳指纹锁没电了，厦门海沧区，电话13912345678")
    with engine.db.session() as s:
        assigned = assignment.assign_waiting(s, NOW, ctx.settings.online_window_s)
    assert sorted(assigned.values()) == sorted([alice.id, bob.id]) and set(assigned) == {first, second}
    assert carol.id not in assigned.values()
    with engine.db.session() as s:  # nothing left: a second pass assigns nothing twice
        assert assignment.assign_waiting(s, NOW, ctx.settings.online_window_s) == {}
    # Bob handles the first customer and hands back; later that customer needs a person again.
    with engine.db.session() as s:
        services.take_over(s, bob, first, NOW)
        services.hand_back(s, bob, first, NOW)
    ChatUser(engine, "c1").say("转人工")
    with engine.db.session() as s:
        assignment.touch(s, {alice.id, bob.id}, NOW + timedelta(minutes=1))
        again = assignment.assign_waiting(s, NOW + timedelta(minutes=1), ctx.settings.online_window_s)
    assert again == {first: bob.id}
    # Offline operators get nothing: the window passes without a page open.
    ChatUser(engine, "c3").say("我在焦作温县，丹斯提尼保险柜密码忘了，电话13700001111")
    ChatUser(engine, "c3").say("转人工")
    with engine.db.session() as s:
        assert assignment.assign_waiting(s, NOW + timedelta(hours=1), ctx.settings.online_window_s) == {}


def test_snooze_hides_until_the_customer_writes(engine, ctx):
    conv_id = _escalate(engine)
    me = account(engine.db, "alice")
    with engine.db.session() as s:
        services.snooze(s, ctx, me, conv_id, 30, NOW)
        with pytest.raises(ConsoleError):
            services.snooze(s, ctx, me, conv_id, 7, NOW)  # not one of the offered choices
    with engine.db.session(readonly=True) as s:
        view = services.queue(s, ctx, me, NOW + timedelta(minutes=1))
    assert view.waiting == [] and [r.conversation_id for r in view.snoozed] == [conv_id]
    engine.clock.now = NOW + timedelta(minutes=5)
    ChatUser(engine, "c1").say("还在吗")
    with engine.db.session(readonly=True) as s:
        assert [r.conversation_id for r in services.queue(s, ctx, me, NOW + timedelta(minutes=6)).waiting] == [conv_id]


def test_transfer_and_close(engine, ctx):
    conv_id = _escalate(engine)
    alice, bob = account(engine.db, "alice"), account(engine.db, "bob")
    boss = account(engine.db, "boss", "manager")
    with engine.db.session() as s:
        services.take_over(s, alice, conv_id, NOW)
        with pytest.raises(ConsoleError) as not_staff:
            services.transfer(s, alice, conv_id, boss.id, NOW)
        assert not_staff.value.status == 400
        assert services.transfer(s, alice, conv_id, bob.id, NOW) == "bob"
    with engine.db.session() as s, pytest.raises(ConsoleError):
        services.hand_back(s, alice, conv_id, NOW)  # bob holds it now
    with engine.db.session() as s:
        services.close(s, bob, conv_id, NOW)
    with engine.db.session(readonly=True) as s:
        assert s.scalars(select(Ticket)).one().status == "closed"
        assert s.get(Conversation, conv_id).operator_id is None


def test_ticket_work_edit_book_and_report_the_visit(engine, ctx):
    conv_id = _escalate(engine)
    me = account(engine.db, "alice")
    with engine.db.session() as s:
        services.take_over(s, me, conv_id, NOW)
        ticket_id = s.scalar(select(Ticket.id))
        with pytest.raises(ConsoleError) as ambiguous:
            tickets.edit(s, ctx, me, ticket_id, county="鼓楼区", fault=None, address=None, now=NOW)
        assert ambiguous.value.status == 400 and "多个" in ambiguous.value.message
        with pytest.raises(ConsoleError):
            tickets.edit(s, ctx, me, ticket_id, county=None, fault="exploded", address=None, now=NOW)
    with engine.db.session() as s:
        changed = tickets.edit(s, ctx, me, ticket_id, county="焦作武陟县", fault="lost_key", address="建设路12号4栋201",
                               now=NOW)
    assert changed == ["county", "fault", "address"]
    with engine.db.session(readonly=True) as s:
        t = s.get(Ticket, ticket_id)
        assert (t.adcode, t.fault) == ("410823", "lost_key")
        assert services.address_of(s, t) == "建设路12号4栋201"
        conv = s.get(Conversation, conv_id)
        assert conv.state["place"]["adcode"] == "410823" and conv.state["fault"] == "lost_key"
        page = tickets.page(s, ctx, ticket_id, NOW)
    assert page.can_book and page.offers
    with engine.db.session() as s:
        tickets.book_visit(s, ctx, me, ticket_id, page.offers[0].ref, NOW)
        with pytest.raises(ConsoleError) as stale:
            tickets.book_visit(s, ctx, me, ticket_id, "999@2026-11-24T08:00+08:00", NOW)
        assert stale.value.status == 409
    with engine.db.session(readonly=True) as s:
        t = s.get(Ticket, ticket_id)
        assert t.status == "booked"
        kinds = set(s.scalars(select(OutboxMessage.kind).where(OutboxMessage.ticket_id == ticket_id)))
        assert {"operator_reply", "reminder_hour"} <= kinds
        end = t.active_booking.slot.end
    with engine.db.session() as s:
        with pytest.raises(ConsoleError) as still_booked:
            services.close(s, me, conv_id, NOW)
        assert still_booked.value.status == 409
    with engine.db.session() as s, pytest.raises(ConsoleError) as bad_check:
        tickets.report_visit(s, ctx, me, ticket_id, check={"battery": "120"}, notes=None, now=end)
    assert bad_check.value.status == 400
    with engine.db.session() as s:
        tickets.report_visit(s, ctx, me, ticket_id, check={"battery": "80", "alarm": "pass", "cycles": ""},
                             notes="换了电池", now=end)
    with engine.db.session(readonly=True) as s:
        t = s.get(Ticket, ticket_id)
        assert t.status == "visited" and t.visit_check == {"battery": 80, "alarm": "pass"}
        assert s.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "survey")) is not None


def test_deactivated_technician_lists_future_visits_and_stays_off(engine, ctx):
    from bot.store.models import Technician
    from bot.technicians import sync_from_config

    chat = ChatUser(engine, "c1")
    chat.book("我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678")
    me = account(engine.db, "alice")
    with engine.db.session() as s:
        tech_id = s.scalars(select(Ticket)).one().active_booking.slot.technician_id
        day = technicians.schedule(s, ctx, NOW)
        assert any(d.id == tech_id and (d.today or d.tomorrow) for d in day)
        jobs = technicians.deactivate(s, ctx, me, tech_id, NOW)
    assert [j.ticket_id for j in jobs] == [1]
    with engine.db.session() as s:
        sync_from_config(s, load_config())  # a restart: config.yml says active, the console said no
    with engine.db.session(readonly=True) as s:
        assert s.get(Technician, tech_id).active is False
        offers = tickets.page(s, ctx, 1, NOW).offers
    assert all(o.technician_id != tech_id for o in offers)
    with engine.db.session() as s:
        technicians.activate(s, me, tech_id, NOW)
        sync_from_config(s, load_config())
    with engine.db.session(readonly=True) as s:
        assert s.get(Technician, tech_id).active is True


def test_settings_name_the_bad_key():
    with pytest.raises(ConsoleSettingsError, match="console.digest.day"):
        ConsoleSettings.from_config({"console": {"digest": {"day": "someday"}}})
    with pytest.raises(ConsoleSettingsError, match=r"console.canned_replies\[0\]"):
        ConsoleSettings.from_config({"console": {"canned_replies": [{"label": "x"}]}})
    with pytest.raises(ConsoleSettingsError, match="console.sla.first_response_minutes"):
        ConsoleSettings.from_config({"console": {"sla": {"first_response_minutes": "soon"}}})


async def test_live_hub_pushes_events_marks_operators_online_and_assigns(engine, ctx, monkeypatch):
    import asyncio
    import dataclasses

    from bot.console import live

    monkeypatch.setattr(live, "STREAM_S", 60.0)
    alice = account(engine.db, "alice")
    settings = dataclasses.replace(ctx.settings, live_interval_s=0.05)
    hub = live.LiveHub(engine.db, settings, engine.clock)
    stream = hub.stream(live.Listener(operator_id=alice.id, conversation_id=None))
    assert (await stream.__anext__()).startswith("retry:")
    assert "event: queue" in await asyncio.wait_for(stream.__anext__(), 10)  # the first look
    conv_id = await asyncio.to_thread(_escalate, engine)
    assert "event: queue" in await asyncio.wait_for(stream.__anext__(), 10)
    def assignee() -> int | None:
        # A fresh transaction each look: one long read transaction would keep seeing its first snapshot.
        with engine.db.session(readonly=True) as s:
            return s.scalar(select(Conversation.assignee_id).where(Conversation.id == conv_id))

    for _ in range(400):  # assigned on one of the watcher's next passes
        if assignee() is not None:
            break
        await asyncio.sleep(0.05)
    assert assignee() == alice.id
    await stream.aclose()
    await hub.close()
    assert hub.listeners == set()


async def test_a_stream_ends_by_itself_so_a_shutdown_does_not_wait_for_open_pages(engine, ctx, monkeypatch):
    from bot.console import live

    monkeypatch.setattr(live, "STREAM_S", 0.2)
    hub = live.LiveHub(engine.db, ctx.settings, engine.clock)
    chunks = [chunk async for chunk in hub.stream(live.Listener(operator_id=1, conversation_id=None))]
    assert chunks[0].startswith("retry:") and hub.listeners == set()
    await hub.close()
