"""One definition of dropped characters and size limits, used by the NLU, the engine and the web API."""

from __future__ import annotations

import pytest

from bot.channels.web import MAX_MESSAGE_ID_CHARS, BadRequest, parse_chat_request
from nlu.normalize import normalize
from nlu.text_guard import MAX_ID_CHARS, MAX_MESSAGE_CHARS, MAX_TEXT_CHARS, clean_text, strip_controls


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("保\u200b险柜", "保险柜"),  # zero-width space hides nothing
        ("\ufeff门锁", "门锁"),  # BOM
        ("丹斯提尼\u202e保险柜", "丹斯提尼保险柜"),  # bidi override
        ("门锁\x00没电", "门锁 没电"),  # controls separate words
        ("a\r\nb\tc\u2028d", "a  b c d"),
        ("普通文字 138", "普通文字 138"),
    ],
)
def test_strip_controls(raw: str, want: str) -> None:
    assert strip_controls(raw) == want


def test_the_nlu_and_the_engine_read_the_same_text() -> None:
    raw = "丹斯提尼\x07保险柜\u200b打不开\r\n" + "很急" * 400
    cleaned = clean_text(raw)
    assert cleaned.truncated and len(cleaned.text) == MAX_MESSAGE_CHARS
    assert normalize(raw) == normalize(cleaned.text)  # same characters dropped, same length read


def test_web_limits_are_the_shared_ones() -> None:
    assert MAX_MESSAGE_ID_CHARS == MAX_ID_CHARS
    body = ('{"user": "u", "text": "' + "保" * (MAX_TEXT_CHARS + 1) + '"}').encode()
    with pytest.raises(BadRequest) as exc:
        parse_chat_request(body, max_text_chars=MAX_TEXT_CHARS)
    assert exc.value.status == 413
    ok = ('{"user": "u", "text": "' + "保" * MAX_TEXT_CHARS + '"}').encode()
    assert parse_chat_request(ok, max_text_chars=MAX_TEXT_CHARS)[0] == "保" * MAX_TEXT_CHARS
