"""Undelivered messages (未送达) in the console, on both backends.

End to end, the platforms are the fake servers (Telegram Bot API, WeChat API) on 127.0.0.1, so the real
senders and the dispatcher turn the platform's refusal into a failed outbox row: the chat's timeline,
the queue and the 未送达 list show it with its reason; 重新发送 sends it once more and it leaves them;
忽略 cancels it and is audited. Without HTTP: the queue's placement, the timeline's order, the refusals
(erased, expired, pressed twice), the live fingerprints, and the reasons table over the senders' own texts.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from console_helpers import account, signed_in
from engine_helpers import MONDAY_10AM, ChatUser, Clock, make_engine
from fake_bot_api import FakeBotApi
from fake_wechat_api import FakeWeChatApi
from fixtures_web import browser_client
from sqlalchemy import func, select
from sqlalchemy import update as sql_update
from telegram_helpers import CUSTOMER, telegram_app, update
from wechat_helpers import OPENID, wechat_app, xml

from bot.config import load_config
from bot.console import deliveries, live, services
from bot.console.errors import ConsoleError
from bot.console.send_failures import GAVE_UP, REFUSED, UNKNOWN, explain
from bot.console.services import Context
from bot.console.settings import ConsoleSettings
from bot.outbox import PermanentSendError, TransientSendError, enqueue
from bot.outbox.dispatcher import Dispatcher
from bot.privacy.erasure import erase_customer
from bot.store.models import AuditLog, Conversation, Message, OutboxMessage
from dialogs.replies import Reply

NOW = MONDAY_10AM


def _row(store, row_id: int) -> tuple[str, int, str | None]:
    with store.session(readonly=True) as s:
        row = s.get(OutboxMessage, row_id)
        return row.status, row.attempts, row.last_error


def _failed_ids(store) -> list[int]:
    with store.session(readonly=True) as s:
        return list(s.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "failed")
                              .order_by(OutboxMessage.id)))


def _audits(store, action: str) -> list[AuditLog]:
    with store.session(readonly=True) as s:
        rows = list(s.scalars(select(AuditLog).where(AuditLog.action == action)))
        s.expunge_all()
        return rows


async def _settled(store) -> None:
    """Wait until no row is pending or being sent (a dispatcher pass started in the background ends)."""
    import asyncio

    for _ in range(500):
        with store.session(readonly=True) as s:
            if not s.scalar(select(OutboxMessage.id).where(OutboxMessage.status.in_(("pending", "sending")))):
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the outbox did not settle")


# -- end to end: Telegram ------------------------------------------------------------------------------
@pytest.fixture
def bot_api():
    with FakeBotApi() as fake:
        yield fake


async def test_a_blocked_telegram_reply_is_shown_everywhere_and_a_retry_sends_it_once(store, bot_api, monkeypatch):
    async with telegram_app(store, bot_api, monkeypatch) as tg:
        bot_api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")  # the answer, at once
        bot_api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")  # the outbox's try
        await tg.post(update("start", 9801))
        await tg.dispatcher.drain(tg.clock.now)
        await _settled(store)  # the channel's own kick may be the pass that took it
        (row_id,) = _failed_ids(store)
        with store.session(readonly=True) as s:
            conv_id = s.scalar(select(Conversation.id).where(Conversation.chat_id == str(CUSTOMER)))
        account(store, "alice")
        client = tg.client
        csrf = await signed_in(client, "alice")

        chat = (await client.get(f"/console/conversations/{conv_id}")).text
        assert "未送达" in chat and "客户已在 Telegram 屏蔽机器人" in chat
        assert "bot was blocked by the user" in chat  # the raw error, for staff
        assert f'data-retry="{row_id}"' in chat and f'data-dismiss="{row_id}"' in chat
        assert "有 1 条消息没有送达客户" in chat

        queue = (await client.get("/console/queue/rows")).text
        assert 'data-undelivered="1"' in queue and "未送达 1" in queue  # a badge on the (active) chat's row
        tg.clock.now += timedelta(hours=3)  # no longer an active chat, never escalated: still in the queue
        queue = (await client.get("/console/queue/rows")).text
        part = queue.split('part--undelivered')[1].split("</section>")[0]
        assert f'data-conversation="{conv_id}"' in part
        assert 'id="nav-undelivered">1</span>' in (await client.get("/console/queue")).text

        listing = (await client.get("/console/deliveries")).text
        assert "机器人回复" in listing and "Telegram" in listing and "客户已在 Telegram 屏蔽机器人" in listing
        assert f'/console/conversations/{conv_id}"' in listing and f'data-outbox="{row_id}"' in listing

        # No CSRF token: refused, nothing moves, nothing is sent.
        sent_before = len(bot_api.sent(CUSTOMER))
        assert (await client.post(f"/console/deliveries/{row_id}/retry")).status_code == 403
        assert (await client.post(f"/console/deliveries/{row_id}/retry", data={"csrf": "old"})).status_code == 403
        assert _row(store, row_id)[0] == "failed" and len(bot_api.sent(CUSTOMER)) == sent_before

        back = f"/console/conversations/{conv_id}"
        response = await client.post(f"/console/deliveries/{row_id}/retry", data={"csrf": csrf, "next": back})
        assert response.status_code == 303 and response.headers["location"] == back
        assert _row(store, row_id)[:2] == ("sent", 1)  # the dispatcher was kicked: sent now, on the first try
        assert len(bot_api.sent(CUSTOMER)) == sent_before + 1
        (entry,) = _audits(store, "outbox.retry")
        assert entry.actor == "operator:alice" and entry.target == f"conversation:{conv_id}"
        assert entry.detail["outbox"] == row_id and entry.detail["conversation"] == conv_id

        assert "未送达" not in (await client.get(back)).text.split('id="transcript"')[1]
        assert f'data-conversation="{conv_id}"' not in (await client.get("/console/queue/rows")).text
        assert "没有未送达的消息" in (await client.get("/console/deliveries")).text
        again = await client.post(f"/console/deliveries/{row_id}/retry", data={"csrf": csrf},
                                  headers={"Accept": "application/json"})
        assert again.status_code == 409 and len(bot_api.sent(CUSTOMER)) == sent_before + 1


# -- end to end: WeChat's 48-hour window --------------------------------------------------------------
@pytest.fixture
def wx_api():
    with FakeWeChatApi() as fake:
        yield fake


async def test_replies_outside_the_wechat_window_fail_then_one_is_dismissed_and_one_retried(store, wx_api,
                                                                                             monkeypatch):
    async with wechat_app(store, wx_api, monkeypatch) as wc:
        wc.wx.reply(await wc.wx.post(xml("text", content="我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678",
                                         msgid="5001")))
        with store.session(readonly=True) as s:
            conv_id = s.scalar(select(Conversation.id))
        account(store, "alice")
        client = wc.client
        csrf = await signed_in(client, "alice")
        wc.clock.now += timedelta(hours=49)  # the customer went quiet: the customer-service window closed
        assert (await client.post(f"/console/conversations/{conv_id}/take", data={"csrf": csrf})).status_code == 303
        for text in ("您好，师傅明天上午到，可以吗？", "您好，请问明天方便吗？"):
            await client.post(f"/console/conversations/{conv_id}/reply", data={"csrf": csrf, "text": text})
        first, second = _failed_ids(store)
        assert wx_api.custom == []
        chat = (await client.get(f"/console/conversations/{conv_id}")).text
        assert chat.count('class="line line--undelivered"') == 2 and "客服回复" in chat
        assert "客户超过 48 小时没有发消息" in chat and "customer-service window (45015)" in chat

        response = await client.post(f"/console/deliveries/{first}/dismiss",
                                     data={"csrf": csrf, "next": "/console/deliveries"})
        assert response.status_code == 303 and response.headers["location"] == "/console/deliveries"
        status, _, reason = _row(store, first)
        assert status == "cancelled" and "operator:alice" in reason and "45015" in reason
        (entry,) = _audits(store, "outbox.dismiss")
        with store.session(readonly=True) as s:
            ticket_id = s.get(OutboxMessage, first).ticket_id
        assert ticket_id is not None and entry.target == f"ticket:{ticket_id}" and entry.detail["outbox"] == first
        listing = (await client.get("/console/deliveries")).text
        assert f'data-outbox="{second}"' in listing and f'data-outbox="{first}"' not in listing

        wc.wx.reply(await wc.wx.post(xml("text", content="在的", msgid="5002")))  # the window opens again
        assert (await client.post(f"/console/deliveries/{second}/retry", data={"csrf": csrf})).status_code == 303
        assert wx_api.texts(OPENID) == ["您好，请问明天方便吗？"]
        assert _row(store, second)[0] == "sent" and _failed_ids(store) == []
        assert "没有未送达的消息" in (await client.get("/console/deliveries")).text


# -- access --------------------------------------------------------------------------------------------
@pytest.fixture
def failed_row(app) -> int:
    """One failed follow-up of a web chat (as if its sender had given up)."""
    db = app.state.engine.db
    ChatUser(app.state.engine, "web-1").say("你好")
    with db.session() as s:
        conv = s.scalars(select(Conversation)).one()
        enqueue(s, key="k", channel="web", chat_id=conv.chat_id, kind="maintenance", reply=Reply("该保养了"),
                due_at=NOW, conversation_id=conv.id)
        row = s.scalars(select(OutboxMessage)).one()
        row.status, row.last_error, row.attempts = "failed", "transient: database went away", 6
        return row.id


async def test_no_session_goes_to_login_and_changes_nothing(app, client, failed_row):
    for path in ("/console/deliveries", "/console/deliveries/rows"):
        response = await client.get(path)
        assert response.status_code == 303 and "/console/login" in response.headers["location"], path
    response = await client.post(f"/console/deliveries/{failed_row}/dismiss", data={"csrf": "x"})
    assert response.status_code == 303 and "/console/login" in response.headers["location"]
    assert _row(app.state.engine.db, failed_row)[0] == "failed"


async def test_managers_read_the_list_but_do_not_act(app, failed_row):
    db = app.state.engine.db
    account(db, "boss", "manager")
    async with browser_client(app) as boss:
        csrf = await signed_in(boss, "boss")
        page = await boss.get("/console/deliveries")
        assert page.status_code == 200 and "尝试 6 次都没有发出" in page.text and "database went away" in page.text
        assert "data-retry=" not in page.text and "data-dismiss=" not in page.text
        assert (await boss.post(f"/console/deliveries/{failed_row}/retry", data={"csrf": csrf})).status_code == 403
    assert _row(db, failed_row)[0] == "failed"


async def test_a_missing_csrf_token_is_403_for_dismiss_too(app, client, failed_row):
    account(app.state.engine.db, "alice")
    await signed_in(client, "alice")
    assert (await client.post(f"/console/deliveries/{failed_row}/dismiss")).status_code == 403
    assert _row(app.state.engine.db, failed_row)[0] == "failed" and _audits(app.state.engine.db, "outbox.dismiss") == []


# -- services, without HTTP ----------------------------------------------------------------------------
class Refusing:
    """A Telegram stand-in that refuses every message the way a blocked bot is refused."""

    records_only = False

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        self.calls += 1
        raise PermanentSendError("Telegram refused (the user blocked the bot or never started it): "
                                 "Forbidden: bot was blocked by the user")


@pytest.fixture
def ctx() -> Context:
    config = load_config()
    return Context(config, ConsoleSettings.from_config(config), ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def engine(store):
    return make_engine(store, Clock(NOW))


def _telegram_chat(engine, user: str = "7001", *, escalate: bool = False) -> int:
    chat = ChatUser(engine, user, channel="telegram")
    chat.say("我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678")
    if escalate:
        chat.say("转人工")
    with engine.db.session(readonly=True) as s:
        return s.scalar(select(Conversation.id).where(Conversation.chat_id == user))


def _plan(engine, conv_id: int, key: str, *, due=NOW, kind: str = "survey", expires_at=None) -> None:
    with engine.db.session() as s:
        conv = s.get(Conversation, conv_id)
        enqueue(s, key=key, channel=conv.channel, chat_id=conv.chat_id, kind=kind, reply=Reply(f"text of {key}"),
                due_at=due, conversation_id=conv.id, expires_at=expires_at)


def _dated(engine, at, after: int = 0) -> int:
    """Stamp the history rows after id ``after`` with ``at``; returns the last id."""
    with engine.db.session() as s:
        s.execute(sql_update(Message).where(Message.id > after).values(created_at=at))
        return s.scalar(select(func.max(Message.id))) or 0


def _fail_due(engine, now) -> Refusing:
    sender = Refusing()
    stats = Dispatcher(engine.db, config=engine.config, senders={"telegram": sender}, hooks={}).drain_sync(now)
    assert stats.failed == sender.calls > 0
    return sender


def test_the_queue_shows_a_chat_with_an_undelivered_message_whatever_else_it_is(engine, ctx):
    quiet = _telegram_chat(engine, "7001")
    escalated = _telegram_chat(engine, "7002", escalate=True)
    for conv_id in (quiet, escalated):
        _plan(engine, conv_id, f"m{conv_id}")
    _fail_due(engine, NOW)
    alice = account(engine.db, "alice")
    later = NOW + timedelta(hours=5)  # nobody wrote since: the quiet chat is no "active" chat any more
    with engine.db.session(readonly=True) as s:
        view = services.queue(s, ctx, alice, later)
    assert [(r.conversation_id, r.undelivered) for r in view.undelivered] == [(quiet, 1)]
    assert [(r.conversation_id, r.undelivered) for r in view.waiting] == [(escalated, 1)]
    assert view.undelivered[0].since == NOW and view.undelivered_total == 2


def test_the_timeline_puts_an_undelivered_message_where_it_was_meant_to_go(engine, ctx):
    # History rows are stamped by the database's wall clock, outbox rows by the engine's: in a test the
    # two differ, so the history is dated here (yesterday's visit, today's question).
    yesterday = NOW - timedelta(days=1)
    conv_id = _telegram_chat(engine)
    last = _dated(engine, yesterday)
    _plan(engine, conv_id, "early", due=yesterday + timedelta(minutes=5))
    _fail_due(engine, yesterday + timedelta(minutes=5))
    ChatUser(engine, "7001", channel="telegram").say("还在吗")
    _dated(engine, NOW, after=last)
    alice = account(engine.db, "alice")
    with engine.db.session(readonly=True) as s:
        view = services.chat(s, ctx, alice, conv_id, NOW)
    kinds = [what for what, _ in view.timeline]
    assert kinds[0] == "line" and kinds.count("undelivered") == 1
    at = kinds.index("undelivered")
    items = [item for _, item in view.timeline]
    assert all(item.at == yesterday for item in items[:at])  # yesterday's conversation, then the failure
    assert all(item.at == NOW for item in items[at + 1:]) and at + 1 < len(items)  # today's after it
    failed = items[at]
    assert failed.reason == "客户已在 Telegram 屏蔽机器人" and failed.text == "text of early" and failed.can_retry


def test_expired_and_erased_messages_cannot_be_retried_and_two_presses_make_one_action(engine, ctx):
    conv_id = _telegram_chat(engine)
    _plan(engine, conv_id, "reminder", kind="reminder_hour", expires_at=NOW + timedelta(minutes=30))
    _plan(engine, conv_id, "survey")
    _fail_due(engine, NOW)
    reminder, survey = _failed_ids(engine.db)
    alice, bob = account(engine.db, "alice"), account(engine.db, "bob")
    with engine.db.session() as s, pytest.raises(ConsoleError) as refused:
        deliveries.retry(s, alice, reminder, NOW + timedelta(hours=1))
    assert refused.value.status == 409 and "过时" in refused.value.message
    with engine.db.session() as s:
        deliveries.retry(s, alice, survey, NOW)
    with engine.db.session() as s, pytest.raises(ConsoleError) as second:
        deliveries.retry(s, bob, survey, NOW)  # pressed a moment later on a page not yet refreshed
    assert second.value.status == 409 and len(_audits(engine.db, "outbox.retry")) == 1
    with engine.db.session() as s:
        erase_customer(s, None, conversation=s.get(Conversation, conv_id), now=NOW)
    with engine.db.session(readonly=True) as s:  # erasure closed what had failed: nothing left to resend
        assert deliveries.of_conversation(s, conv_id, NOW) == []
    for act in (deliveries.retry, deliveries.dismiss):
        with engine.db.session() as s, pytest.raises(ConsoleError) as closed:
            act(s, alice, reminder, NOW)
        assert closed.value.status == 409
    with engine.db.session() as s, pytest.raises(ConsoleError) as missing:
        deliveries.dismiss(s, alice, 99999, NOW)
    assert missing.value.status == 404 and _failed_ids(engine.db) == []


def test_the_live_fingerprints_change_when_a_row_fails_and_the_hub_tells_the_pages(engine, ctx):
    conv_id = _telegram_chat(engine)
    other = _telegram_chat(engine, "7002")
    _plan(engine, conv_id, "survey")
    hub = live.LiveHub(engine.db, ctx.settings, engine.clock)
    queue_page = live.Listener(operator_id=1, conversation_id=None)
    chat_page = live.Listener(operator_id=1, conversation_id=conv_id)
    other_page = live.Listener(operator_id=1, conversation_id=other)
    hub.listeners |= {queue_page, chat_page, other_page}

    def look() -> None:
        hub._publish(*hub.tick({1}, {conv_id, other}, touch=False))

    def events(listener: live.Listener) -> list[str]:
        seen = []
        while not listener.events.empty():
            seen.append(listener.events.get_nowait()[0])
        return seen

    look()
    for page in (queue_page, chat_page, other_page):
        events(page)  # the first look tells everyone
    look()
    assert events(queue_page) == events(chat_page) == []  # nothing changed, nothing said
    _fail_due(engine, NOW)  # the dispatcher writes nothing else a fingerprint would see
    look()
    assert events(queue_page) == ["queue"] and events(chat_page) == ["queue", "chat"]
    assert events(other_page) == ["queue"]
    with engine.db.session() as s:
        deliveries.dismiss(s, account(engine.db, "alice"), _failed_ids(engine.db)[0], NOW)
    look()
    assert events(chat_page) == ["queue", "chat"]


# -- the reasons table, over the senders' own texts ----------------------------------------------------
def _telegram(exc: Exception) -> str:
    from bot.channels.telegram_sender import send_error

    return f"permanent: {send_error(exc)}"


def _wechat(code: int, message: str) -> str:
    from bot.channels.wechat_api import WeChatError, send_error

    return f"permanent: {send_error(WeChatError(code, message))}"


def test_reasons_in_plain_chinese_for_the_senders_own_errors():
    from telegram.error import BadRequest, Forbidden, InvalidToken

    cases = [
        (_telegram(Forbidden("Forbidden: bot was blocked by the user")), 1, "客户已在 Telegram 屏蔽机器人"),
        (_telegram(Forbidden("Forbidden: bot can't initiate conversation with a user")), 1, "从未在 Telegram 打开"),
        (_telegram(BadRequest("Bad Request: chat not found")), 1, "找不到这个 Telegram 对话"),
        (_telegram(BadRequest("Bad Request: message is too long")), 1, "Telegram 拒收这条消息"),
        (_telegram(InvalidToken()), 1, "TELEGRAM_BOT_TOKEN"),
        # WeChatSender's own text outside the window (the WeChat test above sends through it).
        ("permanent: outside WeChat's 48-hour customer-service window (45015) and no template message is "
         "configured: undeliverable, an operator should call the customer", 1, "超过 48 小时"),
        (_wechat(45015, "response out of time limit or subscription is canceled"), 1, "超过 48 小时"),
        (_wechat(43004, "require subscribe"), 1, "取消关注"),
        (_wechat(40003, "invalid openid"), 1, "openid"),
        (_wechat(99999, "something new"), 1, REFUSED),
        ("transient: Telegram unreachable or failing: timed out", 6, GAVE_UP.format(attempts=6)),
        (f"transient: {TransientSendError('WeChat error -1: system error')}", 4, "尝试 4 次"),
        (None, 0, UNKNOWN),
    ]
    for error, attempts, expected in cases:
        assert expected in explain(error, attempts), error
