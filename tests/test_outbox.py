"""The outbox on SQLite and PostgreSQL: planning, claiming, the delivery rules, retries and leases.

Senders for platform channels are tiny fakes (as python-telegram-bot's own tests subclass its rate
limiter): they record what they were asked to send or raise the errors a platform would cause. The web
channel needs none — its delivery is the history row. The clock is always given; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from bot.config import load_config
from bot.outbox import Dispatcher, PermanentSendError, TransientSendError, enqueue, queue
from bot.outbox.rules import Facts, decide
from bot.outbox.settings import OutboxSettings, SettingsError
from bot.store.db import Database, lock_conversation
from bot.store.models import Message, OutboxMessage, Ticket
from dialogs.replies import Button, Reply

CST = timezone(timedelta(hours=8))
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=CST)
CONFIG = load_config()


class RecordingTelegram:
    """A platform sender that records every message it is asked to send."""

    records_only = False

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []
        self._lock = threading.Lock()

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        with self._lock:
            self.sent.append((chat_id, reply))
            return f"tg-{len(self.sent)}"


class FailingTelegram:
    """A platform sender that fails the way the platform is told to: ``errors`` is consumed in order."""

    records_only = False

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok-1"


def _chat(session, channel: str = "web", chat_id: str = "c1"):
    return lock_conversation(session, channel, chat_id)


def _plan(session, conv, key: str, *, due: datetime = NOON, kind: str = "reminder_hour", essential: bool = True,
          expires_at: datetime | None = None, ticket_id: int | None = None, text: str = "师傅一小时后上门") -> None:
    enqueue(session, key=key, channel=conv.channel, chat_id=conv.chat_id, kind=kind, reply=Reply(text),
            due_at=due, conversation_id=conv.id, ticket_id=ticket_id, expires_at=expires_at, essential=essential)


def _dispatcher(store: Database, **kwargs) -> Dispatcher:
    return Dispatcher(store, config=CONFIG, hooks={}, **kwargs)


def _rows(store: Database) -> dict[str, SimpleNamespace]:
    """Every outbox row by key, as plain values (read-only sessions expire ORM objects when they end)."""
    columns = [c.key for c in OutboxMessage.__table__.columns]
    with store.session(readonly=True) as s:
        return {row.idempotency_key: SimpleNamespace(**{c: getattr(row, c) for c in columns})
                for row in s.scalars(select(OutboxMessage))}


def test_planning_the_same_message_twice_keeps_one_row(store) -> None:
    with store.session() as s:
        conv = _chat(s)
        _plan(s, conv, "k1")
        _plan(s, conv, "k1", text="another text")
    rows = _rows(store)
    assert list(rows) == ["k1"] and rows["k1"].payload["text"] == "师傅一小时后上门"


def test_a_due_web_message_becomes_a_proactive_history_row_with_its_buttons(store) -> None:
    with store.session() as s:
        conv = _chat(s)
        enqueue(s, key="survey:1", channel="web", chat_id="c1", kind="survey",
                reply=Reply("请打分", (Button("5 ★★★★★", "5"), Button("1 ★", "1"))), due_at=NOON,
                conversation_id=conv.id, essential=False)
        _plan(s, conv, "later", due=NOON + timedelta(hours=3))
    stats = _dispatcher(store).drain_sync(NOON)
    assert stats.to_json() == {"claimed": 1, "sent": 1, "failed": 0, "held": 0, "dropped": 0, "retried": 0}
    rows = _rows(store)
    assert rows["survey:1"].status == "sent" and rows["survey:1"].sent_at == NOON
    assert rows["later"].status == "pending"  # not due yet
    with store.session(readonly=True) as s:
        message = s.scalars(select(Message)).one()
        assert (message.text, message.author, message.proactive) == ("请打分", "bot", True)
        assert message.buttons == [{"label": "5 ★★★★★", "value": "5"}, {"label": "1 ★", "value": "1"}]
    # A second pass finds nothing new.
    assert _dispatcher(store).drain_sync(NOON + timedelta(minutes=1)).claimed == 0


def test_quiet_hours_hold_until_the_morning_without_spending_an_attempt(store) -> None:
    late = datetime(2026, 11, 24, 22, 15, tzinfo=CST)
    with store.session() as s:
        conv = _chat(s)
        _plan(s, conv, "maint", due=late, kind="maintenance", essential=False)
    stats = _dispatcher(store).drain_sync(late)
    assert (stats.held, stats.sent) == (1, 0)
    row = _rows(store)["maint"]
    assert row.status == "pending" and row.attempts == 0
    assert row.available_at == datetime(2026, 11, 25, 8, 0, tzinfo=CST)
    assert _dispatcher(store).drain_sync(datetime(2026, 11, 25, 7, 59, tzinfo=CST)).claimed == 0
    assert _dispatcher(store).drain_sync(datetime(2026, 11, 25, 8, 0, tzinfo=CST)).sent == 1


def test_a_reminder_whose_visit_started_is_dropped_not_sent_late(store) -> None:
    start = NOON
    with store.session() as s:
        conv = _chat(s)
        _plan(s, conv, "hour", due=start - timedelta(hours=1), expires_at=start)
        # Due at 07:00, in quiet hours, for an 08:00 visit: by the morning it would be pointless.
        _plan(s, conv, "early", due=datetime(2026, 11, 25, 7, 0, tzinfo=CST),
              expires_at=datetime(2026, 11, 25, 8, 0, tzinfo=CST))
    stats = _dispatcher(store).drain_sync(start + timedelta(minutes=5))
    assert (stats.dropped, stats.sent) == (1, 0)
    assert _rows(store)["hour"].status == "dropped" and _rows(store)["hour"].last_error == "expired"
    stats = _dispatcher(store).drain_sync(datetime(2026, 11, 25, 7, 0, tzinfo=CST))
    assert stats.dropped == 1 and _rows(store)["early"].last_error == "expires during quiet hours"


def test_unsubscribed_chats_get_essential_messages_only(store) -> None:
    with store.session() as s:
        conv = _chat(s)
        conv.unsubscribed_at = NOON - timedelta(days=1)
        _plan(s, conv, "survey", kind="survey", essential=False)
        _plan(s, conv, "reminder", kind="reminder_hour", essential=True)
    stats = _dispatcher(store).drain_sync(NOON)
    assert (stats.sent, stats.dropped) == (1, 1)
    rows = _rows(store)
    assert rows["survey"].status == "dropped" and rows["reminder"].status == "sent"


def test_while_an_operator_holds_the_chat_only_the_operator_speaks(store) -> None:
    from bot.store.models import Operator

    with store.session() as s:
        operator = Operator(username="op", display_name="小王")
        s.add(operator)
        s.flush()
        conv = _chat(s)
        conv.operator_id = operator.id
        _plan(s, conv, "survey", kind="survey", essential=False)
        enqueue(s, key="op-reply", channel="web", chat_id="c1", kind="operator_reply", reply=Reply("您好，我是客服小王"),
                due_at=NOON, conversation_id=conv.id, meta={"operator_id": operator.id})
    stats = _dispatcher(store).drain_sync(NOON)
    assert (stats.sent, stats.held) == (1, 1)
    with store.session(readonly=True) as s:
        message = s.scalars(select(Message)).one()
        assert (message.author, message.text) == ("operator", "您好，我是客服小王") and message.operator_id
    held = _rows(store)["survey"]
    assert held.status == "pending" and held.available_at > NOON
    # Handed back to the bot: the held survey goes at its next look.
    with store.session() as s:
        _chat(s).operator_id = None
    assert _dispatcher(store).drain_sync(held.available_at).sent == 1


def test_follow_ups_of_a_cancelled_ticket_are_dropped(store) -> None:
    with store.session() as s:
        conv = _chat(s)
        ticket = Ticket(conversation_id=conv.id, status="cancelled")
        s.add(ticket)
        s.flush()
        _plan(s, conv, "reminder", ticket_id=ticket.id)
    assert _dispatcher(store).drain_sync(NOON).dropped == 1


def test_platform_sends_record_the_external_id(store) -> None:
    telegram = RecordingTelegram()
    with store.session() as s:
        _plan(s, _chat(s, "telegram", "4242"), "tg")
    stats = _dispatcher(store, senders={"telegram": telegram}).drain_sync(NOON)
    assert stats.sent == 1 and telegram.sent[0][0] == "4242" and telegram.sent[0][1].text == "师傅一小时后上门"
    row = _rows(store)["tg"]
    assert row.external_id == "tg-1" and row.attempts == 1
    with store.session(readonly=True) as s:
        assert s.scalar(select(Message.channel_message_id)) == "tg-1"


def test_rows_of_a_channel_without_a_sender_here_wait_for_a_process_that_has_one(store) -> None:
    with store.session() as s:
        _plan(s, _chat(s, "telegram", "4242"), "tg")
    assert _dispatcher(store).drain_sync(NOON).claimed == 0  # no Telegram token in this process
    assert _rows(store)["tg"].status == "pending"


def test_transient_failures_back_off_then_fail_for_operators(store) -> None:
    settings = OutboxSettings.from_config(CONFIG)
    errors = [TransientSendError("timeout")] * settings.max_attempts
    telegram = FailingTelegram(*errors)
    with store.session() as s:
        _plan(s, _chat(s, "telegram", "1"), "tg")
    now = NOON
    for attempt in range(1, settings.max_attempts):
        stats = _dispatcher(store, senders={"telegram": telegram}).drain_sync(now)
        assert stats.retried == 1, attempt
        row = _rows(store)["tg"]
        assert row.status == "pending" and row.attempts == attempt and "timeout" in row.last_error
        assert row.available_at == now + timedelta(seconds=settings.backoff(attempt))
        assert _dispatcher(store, senders={"telegram": telegram}).drain_sync(row.available_at - timedelta(seconds=1)).claimed == 0
        now = row.available_at
    stats = _dispatcher(store, senders={"telegram": telegram}).drain_sync(now)
    assert stats.failed == 1 and _rows(store)["tg"].status == "failed"
    assert telegram.calls == settings.max_attempts


def test_retry_after_is_honoured_and_a_permanent_error_fails_at_once(store) -> None:
    telegram = FailingTelegram(TransientSendError("429 Too Many Requests", retry_after=7),
                               PermanentSendError("bot was blocked by the user"))
    with store.session() as s:
        conv = _chat(s, "telegram", "1")
        _plan(s, conv, "a")
    _dispatcher(store, senders={"telegram": telegram}).drain_sync(NOON)
    assert _rows(store)["a"].available_at == NOON + timedelta(seconds=7)
    stats = _dispatcher(store, senders={"telegram": telegram}).drain_sync(NOON + timedelta(seconds=7))
    assert stats.failed == 1
    row = _rows(store)["a"]
    assert row.status == "failed" and "blocked" in row.last_error and row.attempts == 2


def test_a_row_whose_lease_ran_out_is_claimed_again_and_the_late_worker_cannot_settle_it(store) -> None:
    lease = timedelta(seconds=OutboxSettings.from_config(CONFIG).lease_s)
    with store.session() as s:
        _plan(s, _chat(s), "r")
    with store.session() as s:  # a dispatcher claims, then dies before sending
        claimed = queue.claim(s, now=NOON, limit=10, worker="dead", lease=lease, channels=["web"])
    assert [c.kind for c in claimed] == ["reminder_hour"]
    assert _dispatcher(store).drain_sync(NOON + lease - timedelta(seconds=1)).claimed == 0  # still leased
    stats = _dispatcher(store).drain_sync(NOON + lease)
    assert stats.sent == 1
    with store.session() as s:  # the dead one wakes up: it may not mark what is no longer its own
        assert queue.settle_sent(s, [claimed[0].id], worker="dead", now=NOON + lease) == []
        assert s.scalar(select(func.count()).select_from(Message)) == 1


def test_two_dispatchers_at_once_send_every_row_exactly_once(store, db_url) -> None:
    telegram = RecordingTelegram()
    with store.session() as s:
        for i in range(300):
            conv = _chat(s, "telegram" if i % 2 else "web", f"c{i}")
            _plan(s, conv, f"k{i}", text=f"message {i}")
    results = []

    def run() -> None:
        db = Database(db_url)
        try:
            results.append(Dispatcher(db, config=CONFIG, hooks={}, senders={"telegram": telegram}).drain_sync(NOON))
        finally:
            db.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(r.sent for r in results) == 300 and sum(r.claimed for r in results) == 300
    sent_texts = [reply.text for _, reply in telegram.sent]
    assert len(sent_texts) == len(set(sent_texts)) == 150
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 300
        assert set(s.scalars(select(OutboxMessage.status))) == {"sent"}


def test_cancel_touches_only_pending_rows_of_that_ticket(store) -> None:
    with store.session() as s:
        conv = _chat(s)
        tickets = [Ticket(conversation_id=conv.id, status="booked") for _ in range(2)]
        s.add_all(tickets)
        s.flush()
        _plan(s, conv, "a", ticket_id=tickets[0].id)
        _plan(s, conv, "b", ticket_id=tickets[1].id)
        assert queue.cancel(s, ticket_id=tickets[0].id) == 1
        assert queue.cancel(s, ticket_id=tickets[0].id) == 0
    rows = _rows(store)
    assert (rows["a"].status, rows["b"].status) == ("cancelled", "pending")


def test_a_failed_row_requeued_is_sent_once_more_and_only_failed_rows_move(store) -> None:
    telegram = FailingTelegram(PermanentSendError("bot was blocked by the user"))
    with store.session() as s:
        conv = _chat(s, "telegram", "1")
        _plan(s, conv, "gone")
        _plan(s, conv, "waiting", due=NOON + timedelta(days=1))
    assert _dispatcher(store, senders={"telegram": telegram}).drain_sync(NOON).failed == 1
    gone, waiting = _rows(store)["gone"], _rows(store)["waiting"]
    later = NOON + timedelta(hours=3)
    with store.session() as s:
        assert not queue.requeue(s, waiting.id, later)  # pending: not an operator's to move
        assert not queue.cancel_failed(s, waiting.id, "x")
        assert queue.requeue(s, gone.id, later)
        assert not queue.requeue(s, gone.id, later)  # the second press finds nothing failed
    row = _rows(store)["gone"]
    assert (row.status, row.attempts, row.available_at, row.due_at) == ("pending", 0, later, NOON)
    stats = _dispatcher(store, senders={"telegram": telegram}).drain_sync(later)
    assert (stats.claimed, stats.sent) == (1, 1) and telegram.calls == 2
    assert (_rows(store)["gone"].status, _rows(store)["gone"].attempts) == ("sent", 1)
    assert _rows(store)["waiting"].status == "pending"


def test_a_failed_row_cancelled_keeps_the_reason_and_is_never_claimed(store) -> None:
    telegram = FailingTelegram(PermanentSendError("chat not found"))
    with store.session() as s:
        _plan(s, _chat(s, "telegram", "1"), "gone")
    _dispatcher(store, senders={"telegram": telegram}).drain_sync(NOON)
    row_id = _rows(store)["gone"].id
    with store.session() as s:
        assert queue.cancel_failed(s, row_id, "dismissed by operator:alice")
        assert not queue.cancel_failed(s, row_id, "again")
        assert not queue.requeue(s, row_id, NOON)
    row = _rows(store)["gone"]
    assert (row.status, row.last_error) == ("cancelled", "dismissed by operator:alice")
    assert _dispatcher(store, senders={"telegram": telegram}).drain_sync(NOON + timedelta(days=1)).claimed == 0


# -- the rules and settings, pure --------------------------------------------------------------------------
SETTINGS = OutboxSettings.from_config(CONFIG)
TZ = NOON.tzinfo


@pytest.mark.parametrize(("clock", "quiet"), [("21:29", False), ("21:30", True), ("23:59", True), ("00:00", True),
                                              ("07:59", True), ("08:00", False), ("12:00", False)])
def test_quiet_hours_span_midnight(clock: str, quiet: bool) -> None:
    hour, minute = map(int, clock.split(":"))
    now = NOON.replace(hour=hour, minute=minute)
    decision = decide(Facts(kind="survey", essential=False), now, SETTINGS, TZ)
    assert (decision.action == "hold") is quiet


def test_people_are_not_held_by_quiet_hours() -> None:
    late = NOON.replace(hour=23)
    assert decide(Facts(kind="operator_reply", essential=True), late, SETTINGS, TZ).action == "send"
    assert decide(Facts(kind="operator_reply", essential=True, held_by_operator=True), NOON, SETTINGS, TZ).action == "send"


@pytest.mark.parametrize(("section", "key"), [
    ({"quiet_hours": "9pm"}, "followups.quiet_hours"),
    ({"outbox": {"batch_size": 0}}, "followups.outbox.batch_size"),
    ({"outbox": {"backoff_s": []}}, "followups.outbox.backoff_s"),
    ({"outbox": {"lease_s": "long"}}, "followups.outbox.lease_s"),
])
def test_bad_settings_fail_at_start_up_naming_the_key(section: dict, key: str) -> None:
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        OutboxSettings.from_config({"followups": section})


def test_dispatch_never_blocks_the_caller_loop(store) -> None:
    """The pass is a coroutine: database work runs in threads, so a web server stays responsive."""
    with store.session() as s:
        _plan(s, _chat(s), "x")

    async def both() -> tuple[int, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        stats = await _dispatcher(store).drain(NOON)
        task.cancel()
        return stats.sent, ticks

    sent, ticks = asyncio.run(both())
    assert sent == 1 and ticks > 1


@pytest.mark.parametrize(("section", "key"), [
    ({"reminders": {"before_start_minutes": -5}}, "followups.reminders.before_start_minutes"),
    ({"survey": {"after_visit_hours": "two"}}, "followups.survey.after_visit_hours"),
    ({"reminders": {"evening_before": "7pm"}}, "followups.reminders.evening_before"),
    ({"maintenance_days": {"lock": 0}}, "followups.maintenance_days"),
])
def test_bad_follow_up_schedules_fail_naming_the_key(section: dict, key: str) -> None:
    from bot.followups import FollowUpSettings

    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        FollowUpSettings.from_config({"followups": section})


def test_null_switches_a_reminder_off() -> None:
    from bot.followups import FollowUpSettings

    settings = FollowUpSettings.from_config({"followups": {"reminders": {"before_start_minutes": None},
                                                          "survey": {"nudge_after_hours": None}}})
    assert settings.before_start_minutes is None and settings.nudge_after_hours is None
