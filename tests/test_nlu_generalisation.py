"""Phrasings a held-out probe found unread (the dev set is not used here)."""

from __future__ import annotations

import pytest

from nlu import parse


@pytest.mark.parametrize(
    "text",
    ["智能锁录指纹老是刷不上", "指纹按不开门锁了", "家里门锁指纹匹配不了", "指纹通不过，门进不去"],
)
def test_fingerprint_failures_phrased_by_the_action(text: str) -> None:
    assert parse(text).fault == "fingerprint_fail"
