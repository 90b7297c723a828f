"""The web chat page in headless Chromium: type, press Enter, see the offers, click one, see the booking."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def server(live) -> str:
    return live.url


def test_booking_through_the_page(server: str, browser, tmp_path) -> None:
    page = browser.new_page(viewport={"width": 420, "height": 860}, timezone_id="America/New_York")
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(server) else None)
    page.goto(server + "/")
    assert "报修" in page.locator(".msg--bot").first.inner_text()
    page.fill("#text", "我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678")
    page.press("#text", "Enter")
    page.get_by_text("详细地址").wait_for(timeout=10000)  # asked without buttons
    page.fill("#text", "建设路12号4栋201")
    page.press("#text", "Enter")
    offers = page.locator(".choices button")
    offers.first.wait_for(timeout=10000)
    assert offers.count() == 4
    assert "138****5678" in page.locator(".msg--bot").last.inner_text()
    window = offers.first.inner_text().split(" ")[1]  # "13:00-15:00"
    offers.first.click()
    page.get_by_text("预约成功").wait_for(timeout=10000)
    ticket = page.locator("#ticket")
    assert ticket.is_visible() and "已预约" in ticket.inner_text() and "138****5678" in ticket.inner_text()
    # The visit time is the service's wall clock, whatever the browser's time zone.
    assert window in ticket.inner_text()
    # The customer's own message and the pressed button's value appear as sent messages.
    mine = page.locator(".msg--me").all_inner_texts()
    assert mine[0].startswith("我在焦作温县") and mine[1] == "建设路12号4栋201" and mine[2].startswith("预约 ")
    page.screenshot(path=os.environ.get("CHAT_SCREENSHOT") or str(tmp_path / "chat.png"), full_page=True)
    assert external == [], f"the page loaded external resources: {external}"


def test_long_input_is_capped_by_the_page_and_answered(server: str, browser) -> None:
    page = browser.new_page()
    page.goto(server + "/")
    page.fill("#text", "好" * 2100)  # the textarea keeps 2000 characters
    page.press("#text", "Enter")
    page.locator(".msg--bot").nth(1).wait_for(timeout=10000)
    assert len(page.locator(".msg--me").first.inner_text()) == 2000
    assert "超过了 500 字" in page.locator(".msg--bot").nth(1).inner_text()


def test_a_message_that_did_not_go_through_returns_to_the_input(server: str, browser) -> None:
    page = browser.new_page()
    page.goto(server + "/")
    page.route("**/api/chat", lambda route: route.abort())  # the network is down
    page.fill("#text", "丹斯提尼保险柜打不开了")
    page.press("#text", "Enter")
    page.locator(".msg--error").first.wait_for(timeout=10000)
    assert page.input_value("#text") == "丹斯提尼保险柜打不开了"
    page.unroute("**/api/chat")
    page.press("#text", "Enter")  # resend as it is
    page.locator(".msg--bot").nth(1).wait_for(timeout=10000)
    assert page.input_value("#text") == ""


def test_the_survey_arrives_live_and_a_reload_shows_the_chat_so_far(live, browser, tmp_path) -> None:
    from bot.config import load_config
    from bot.visit_report import mark_done

    context = browser.new_context(viewport={"width": 420, "height": 860})
    page = context.new_page()
    page.goto(live.url + "/")
    page.fill("#text", "旗电佳指纹锁没电了，厦门海沧区，电话13912345678")
    page.press("#text", "Enter")
    page.locator(".msg--bot").nth(1).wait_for(timeout=10000)
    if not page.locator(".choices button").count():  # asked for the street address
        page.fill("#text", "海新路6号3栋502")
        page.press("#text", "Enter")
    page.locator(".choices button").first.wait_for(timeout=10000)
    page.locator(".choices button").first.click()
    page.get_by_text("预约成功").wait_for(timeout=10000)
    ticket_text = page.locator("#ticket").inner_text()
    ticket_id = int(ticket_text.split("#")[1].split(" ")[0])
    # The technician reports the visit; two hours later the dispatcher sends the survey.
    with live.db.session() as session:
        from bot.store.models import Ticket

        end = session.get(Ticket, ticket_id).active_booking.slot.end
        mark_done(session, ticket_id, now=end, config=load_config())
    # Playwright's sync API owns this thread's event loop: the pass runs in a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(live.app.state.dispatcher.drain_sync, end + timedelta(hours=2)).result().sent == 1
    survey = page.locator(".msg--bot", has_text="打个分")
    survey.wait_for(timeout=15000)  # no reload: the long-poll brought it
    buttons = survey.locator(".choices button")
    assert buttons.count() == 5 and [buttons.nth(i).get_attribute("data-value") for i in range(5)] == list("12345")
    buttons.nth(4).click()
    page.get_by_text("解决了吗").wait_for(timeout=10000)
    page.screenshot(path=os.environ.get("SURVEY_SCREENSHOT") or str(tmp_path / "survey.png"), full_page=True)
    # A reload shows the whole chat and its ticket, not just the greeting.
    page.reload()
    page.get_by_text("解决了吗").wait_for(timeout=10000)
    assert page.locator(".msg--me").first.inner_text().startswith("旗电佳指纹锁没电了")
    assert "已上门" in page.locator("#ticket").inner_text()
    # Another browser has its own (empty) chat: nobody else's history leaks into it.
    stranger = browser.new_context().new_page()
    stranger.goto(live.url + "/")
    stranger.locator(".msg--bot").first.wait_for(timeout=10000)
    assert stranger.locator(".msg").count() == 1 and "打个分" not in stranger.content()
