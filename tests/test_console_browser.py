"""The console in headless Chromium, end to end, next to a customer's web chat on the same server.

An operator signs in; the queue updates by itself when the customer asks for a person; the operator
takes over and replies, and the reply reaches the customer's page without a reload; while the operator
holds the chat the bot says nothing, even when a visit reminder falls due; the chat is handed back; a
manager sees a new survey answer in the summary and downloads the CSV. Screenshots of the queue and the
summary go to ``$CONSOLE_SCREENSHOTS`` (a directory) or the test's tmp dir.
"""

from __future__ import annotations

import csv
import io
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from console_helpers import PASSWORD, account
from sqlalchemy import func, select

from bot.store.models import Conversation, Message, OutboxMessage, SurveyAnswer, Ticket

pytestmark = pytest.mark.browser


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page, url: str, name: str) -> None:
    page.goto(url + "/console/")
    page.fill('input[name="username"]', name)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')


def _dispatch(live, now):
    # Playwright's sync API owns this thread's event loop: the pass runs in a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(live.app.state.dispatcher.drain_sync, now).result()


def test_operator_and_manager_in_the_browser(live, browser, tmp_path) -> None:
    shots = _shots(tmp_path)
    account(live.db, "alice")
    account(live.db, "boss", "manager")
    external: list[str] = []

    # The operator signs in and watches the queue.
    operator = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    operator.on("request", lambda r: external.append(r.url) if not r.url.startswith(live.url) else None)
    errors: list[str] = []
    operator.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(operator, live.url, "alice")
    operator.wait_for_url("**/console/queue")
    assert operator.locator(".part--waiting .count").inner_text() == "0"

    # A customer books a visit in the web chat, then asks for a person.
    customer = browser.new_context(viewport={"width": 420, "height": 860}).new_page()
    customer.goto(live.url + "/")
    customer.fill("#text", "我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678")
    customer.press("#text", "Enter")
    customer.get_by_text("详细地址").first.wait_for(timeout=10000)  # the street, below the county
    customer.fill("#text", "建设路12号4栋201")
    customer.press("#text", "Enter")
    customer.locator(".choices button").first.wait_for(timeout=10000)
    customer.locator(".choices button").first.click()
    customer.get_by_text("预约成功").wait_for(timeout=10000)
    customer.fill("#text", "转人工")
    customer.press("#text", "Enter")
    customer.get_by_text("已为您转接人工客服").wait_for(timeout=10000)

    # The operator's queue shows it without a reload.
    row = operator.locator(".part--waiting tr[data-conversation]")
    row.first.wait_for(timeout=15000)
    assert "客户要求转人工" in row.first.inner_text() and "138****5678" in row.first.inner_text()
    assert "13812345678" not in operator.content()
    operator.screenshot(path=str(shots / "console-queue.png"), full_page=True)

    # Take over and reply; the reply reaches the customer's page without a reload.
    row.first.locator("a").first.click()
    operator.locator("#take-over").click()
    operator.locator("#reply-form").wait_for(timeout=10000)
    operator.locator("[data-canned]").first.click()
    assert "人工客服" in operator.input_value("#reply-text")
    operator.fill("#reply-text", "您好，我是客服小李，马上为您处理")
    operator.locator("#send-reply").click()
    customer.get_by_text("我是客服小李").wait_for(timeout=15000)
    operator.locator(".line--operator", has_text="我是客服小李").wait_for(timeout=15000)

    # While the operator holds the chat the bot says nothing: not to a message, not when a reminder falls due.
    bot_lines = customer.locator(".msg--bot").count()
    customer.fill("#text", "师傅几点到？")
    customer.press("#text", "Enter")
    operator.locator(".line--customer", has_text="师傅几点到").wait_for(timeout=15000)  # live in the console
    customer.locator(".msg--typing").wait_for(state="detached", timeout=10000)
    with live.db.session(readonly=True) as s:
        conv_id = s.scalar(select(Conversation.id).where(Conversation.channel == "web"))
        reminder_due = min(s.scalars(select(OutboxMessage.due_at).where(OutboxMessage.kind.like("reminder%"),
                                                                         OutboxMessage.status == "pending")))
        before = s.scalar(select(func.count()).select_from(Message).where(Message.conversation_id == conv_id))
    stats = _dispatch(live, reminder_due + timedelta(minutes=1))
    assert stats.sent == 0 and stats.held >= 1
    with live.db.session(readonly=True) as s:
        after = s.scalar(select(func.count()).select_from(Message).where(Message.conversation_id == conv_id))
    assert after == before
    assert customer.locator(".msg--bot").count() == bot_lines

    # Hand back: the bot has the chat again.
    operator.locator("#hand-back").click()
    operator.get_by_text("机器人处理中").wait_for(timeout=10000)
    with live.db.session(readonly=True) as s:
        conv = s.get(Conversation, conv_id)
        ticket = s.scalars(select(Ticket).where(Ticket.conversation_id == conv_id)).one()
        assert conv.operator_id is None and ticket.status == "booked"
        end = ticket.active_booking.slot.end
        ticket_id = ticket.id

    # A manager sees a new survey answer in the summary and downloads the CSV.
    manager = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True).new_page()
    manager.on("request", lambda r: external.append(r.url) if not r.url.startswith(live.url) else None)
    _sign_in(manager, live.url, "boss")
    manager.wait_for_url("**/console/summary")
    assert manager.locator("#csat-count").inner_text() == "0"
    operator.goto(f"{live.url}/console/tickets/{ticket_id}")
    operator.fill('input[name="check_battery"]', "90")
    operator.select_option('select[name="check_alarm"]', "pass")
    operator.get_by_role("button", name="标记上门完成").click()
    operator.get_by_text("已上门").first.wait_for(timeout=10000)
    with live.db.session() as s:  # the visit ended when the booked window did
        s.get(Ticket, ticket_id).visited_at = end
        s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "survey")).one().available_at = \
            end + timedelta(hours=2)
    assert _dispatch(live, end + timedelta(hours=2)).sent == 1
    survey = customer.locator(".msg--bot", has_text="打个分")
    survey.wait_for(timeout=15000)
    survey.locator(".choices button").nth(4).click()
    customer.get_by_text("解决了吗").wait_for(timeout=10000)
    with live.db.session(readonly=True) as s:
        assert s.scalar(select(SurveyAnswer.score).where(SurveyAnswer.question == "csat")) == 5
    manager.reload()
    assert manager.locator("#csat-count").inner_text() == "1"
    assert manager.locator("#csat-avg").inner_text() == "5.0"
    assert manager.locator("svg.chart").count() >= 2
    manager.screenshot(path=str(shots / "console-summary.png"), full_page=True)
    with manager.expect_download() as download_info:
        manager.locator("#csv").click()
    path = download_info.value.path()
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8-sig"))))
    assert rows[0]["dimension"] == "all" and rows[0]["csat_avg"] == "5.0"
    assert any(r["dimension"] == "brand" and r["key"] == "丹斯提尼" for r in rows)
    assert external == [], f"the console loaded external resources: {external}"
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_photo_evidence_on_the_ticket_page_in_the_browser(live, browser, tmp_path) -> None:
    """Thumbnails load under the strict CSP, flags show, a click opens the full photo; a screenshot is kept."""
    from engine_helpers import ChatUser
    from photo_helpers import send_photo
    from telegram_helpers import jpeg, scene

    engine = live.app.state.engine
    for chat, phone in (("first", "13812345678"), ("second", "13900001111")):
        ChatUser(engine, chat).say(f"我在焦作温县，丹斯提尼保险柜密码忘了，电话{phone}")
    send_photo(engine, "web", "first", scene(3), "f1")
    copy, _ = send_photo(engine, "web", "second", scene(3), "s1")  # the same picture on another customer's ticket
    send_photo(engine, "web", "second", jpeg(exif_make="Xiaomi", pattern=2, size=(640, 480)), "s2")
    with live.db.session(readonly=True) as s:
        first_ticket, second_ticket = s.scalars(select(Ticket.id).order_by(Ticket.id)).all()
        second_chat = s.scalar(select(Ticket.conversation_id).where(Ticket.id == second_ticket))
    account(live.db, "alice")
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live.url, "alice")
    page.wait_for_url("**/console/queue")
    assert "相似图片 1" in page.locator(f'tr[data-conversation="{second_chat}"]').inner_text()
    page.goto(f"{live.url}/console/tickets/{second_ticket}")
    page.locator(".photos").scroll_into_view_if_needed()
    page.wait_for_function("Array.from(document.querySelectorAll('.photo img'))"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=10000)
    strong = page.locator(".flag--strong a")
    assert strong.inner_text() == f"图片与工单 #{first_ticket} 的图片高度相似"
    page.screenshot(path=str(_shots(tmp_path) / "console-ticket-photos.png"), full_page=True)
    with page.expect_popup() as opened:
        page.locator(f"#photo-{copy} .photo-open").click()
    full = opened.value
    full.wait_for_load_state()
    assert full.url.endswith(f"/console/tickets/{second_ticket}/photos/{copy}")
    strong.click()
    page.wait_for_url(f"**/console/tickets/{first_ticket}#photo-*")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_an_undelivered_message_in_the_browser(live, browser, tmp_path) -> None:
    """A Telegram follow-up the platform refuses shows up live in the open queue and in the header, then on
    the chat's page and the 未送达 list; 忽略 clears it. Screenshots of the chat and the list are kept."""
    from engine_helpers import ChatUser

    from bot.outbox import PermanentSendError, enqueue
    from bot.outbox.dispatcher import Dispatcher
    from dialogs.replies import Reply

    class Blocked:
        records_only = False

        async def send(self, chat_id: str, reply: Reply) -> str | None:
            raise PermanentSendError("Telegram refused (the user blocked the bot or never started it): "
                                     "Forbidden: bot was blocked by the user")

    engine = live.app.state.engine
    ChatUser(engine, "7001", channel="telegram").say("我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678")
    with live.db.session() as s:
        conv = s.scalars(select(Conversation)).one()
        conv_id = conv.id
        enqueue(s, key="survey:browser", channel="telegram", chat_id=conv.chat_id, kind="survey",
                reply=Reply("请为这次服务打分"), due_at=engine.clock(), conversation_id=conv.id)
    account(live.db, "alice")
    shots = _shots(tmp_path)
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: d.accept())
    _sign_in(page, live.url, "alice")
    page.wait_for_url("**/console/queue")
    row = page.locator(f'tr[data-conversation="{conv_id}"]')
    assert row.count() == 1 and row.locator(".badge-undelivered").count() == 0
    assert page.locator("#nav-undelivered").is_hidden()

    refusing = Dispatcher(live.db, config=engine.config, senders={"telegram": Blocked()}, hooks={})
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(refusing.drain_sync, engine.clock()).result().failed == 1
    row.locator(".badge-undelivered").wait_for(timeout=15000)  # the live queue, no reload
    page.locator("#nav-undelivered").wait_for(state="visible", timeout=5000)
    assert page.locator("#nav-undelivered").inner_text() == "1"

    page.locator("#nav-deliveries").click()
    page.wait_for_url("**/console/deliveries")
    assert "客户已在 Telegram 屏蔽机器人" in page.locator('tr[data-outbox]').inner_text()
    page.screenshot(path=str(shots / "console-deliveries.png"), full_page=True)
    page.locator(f'tr[data-outbox] a[href$="/conversations/{conv_id}"]').click()
    undelivered = page.locator(".line--undelivered")
    undelivered.wait_for(timeout=10000)
    assert "请为这次服务打分" in undelivered.inner_text() and "满意度回访" in undelivered.inner_text()
    page.screenshot(path=str(shots / "console-undelivered.png"), full_page=True)
    undelivered.locator("[data-dismiss]").click()
    page.wait_for_url(f"**/console/conversations/{conv_id}")
    undelivered.wait_for(state="detached", timeout=10000)
    assert page.locator("#nav-undelivered").is_hidden()
    assert not [e for e in errors if "Content Security Policy" in e], errors
