"""A booking written in English mixed with Chinese and pinyin, through the real engine, NLU and database."""

from __future__ import annotations

from engine_helpers import ChatUser, make_engine


def _book(chat: ChatUser) -> None:
    """Press the first visit window; answer an address question first if the bot asks one."""
    if not any(b["value"].startswith("预约") for b in chat.buttons()):
        chat.say("中州中路218号2单元301")
    assert any(b["value"].startswith("预约") for b in chat.buttons()), chat.text()
    chat.press(0)


def test_a_booking_in_english_mixed_wording(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("Hi, my Danstini safe won't open, I forgot the code")
    assert chat.ticket["brand"] == "丹斯提尼" and chat.ticket["product"] == "safe"
    assert chat.ticket["fault"] == "forgot_password"
    chat.say("I'm in Wenxian, 焦作")  # the county typed in pinyin, the city in characters
    assert chat.ticket["adcode"] == "410825", chat.text()
    chat.say("my phone is 138 1234 5678")
    assert chat.ticket["phone_masked"] == "138****5678"
    _book(chat)
    assert chat.ticket["status"] == "booked" and chat.ticket["slot"] is not None


def test_english_all_in_one_first_message(store) -> None:
    chat = ChatUser(make_engine(store))
    chat.say("qidianjia smart lock battery dead, Xiamen Haicang, call 13912345678")
    ticket = chat.ticket
    assert (ticket["brand"], ticket["product"], ticket["fault"]) == ("旗电佳", "lock", "no_power")
    assert ticket["adcode"] == "350205" and ticket["phone_masked"] == "139****5678"
    _book(chat)
    assert chat.ticket["status"] == "booked"
