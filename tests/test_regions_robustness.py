"""Property-style robustness: whatever the text, find_place and covers answer with a well-formed value."""

from __future__ import annotations

import random

import pytest

from regions import Place, covers, find_place
from regions.gazetteer import gazetteer

# A pool mixing place characters, product words, punctuation, emoji, control and odd Unicode.
POOL = list(
    "焦作温县苏州吴中区东莞茶山镇海南贵德琼海潭门黔西南安龙长沙县华容市省旗乡街道的在我老家上班保险柜锁"
)
POOL += list("，。！？、 \t\n\r\x00\x01\x1b\x7f\u200b\u202e\ufeff") + [
    "😀",
    "🔒",
    "👍🏽",
    "\U0001f1e8\U0001f1f3",
]
POOL += list("abcXYZ0123456789ｱＡ０") + ["\ud7ff", "\U00020000", "\u3000"]


def _random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(POOL) for _ in range(rng.randint(0, 60))) for _ in range(n)]


def _well_formed(text: str, expecting: bool) -> None:
    m = find_place(text, expecting=expecting)
    assert m.place is None or isinstance(m.place, Place)
    assert not (m.place and m.candidates), "a place and candidates at once"
    assert m.place is not None or len(m.candidates) != 1, "a single candidate must be the place"
    if m.place is not None:
        assert gazetteer().lookup(m.place.adcode) is not None
        cov = covers("丹斯提尼", m.place)
        assert cov.covered in (True, False, None)
    if m.span is not None:
        assert 0 <= m.span[0] <= m.span[1] <= len(text)


@pytest.mark.parametrize("seed", range(4))
def test_random_texts_never_crash(seed: int) -> None:
    for text in _random_texts(300, seed):
        _well_formed(text, expecting=False)
        _well_formed(text, expecting=True)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00",
        "\x00" * 1000,
        "😀" * 500,
        "\u202e焦作温县",
        "焦\u200b作温县",
        "\ud800",
        "🔒焦作温县🔒",
        "\n\n\n",
    ],
)
def test_edge_texts(text: str) -> None:
    _well_formed(text, expecting=False)
    _well_formed(text, expecting=True)


def test_huge_text_does_not_crash_and_still_reads_the_start() -> None:
    text = "焦作温县，保险柜打不开。" + "啊" * 100_000
    m = find_place(text)
    assert m.place is not None and m.place.adcode == "410825"
    _well_formed("温" * 100_000, expecting=True)
    _well_formed("焦作温县" * 25_000, expecting=False)


def test_control_characters_and_fullwidth_do_not_hide_a_place() -> None:
    assert find_place("\x00焦作温县\x7f").place.adcode == "410825"
    assert find_place("焦作温县！！！").place.adcode == "410825"


def test_covers_with_odd_places() -> None:
    assert covers("丹斯提尼", Place("000000", "", None, None)).covered is False
    assert covers("", Place("410825", "河南省", "焦作市", "温县")).covered is False
    assert covers("丹斯提尼", Place("441900", "广东省", "东莞市", None, "不存在镇")).covered is False
