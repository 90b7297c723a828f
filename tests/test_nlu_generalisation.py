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


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("柜子里的现金取不出来了，保险箱", "cannot_open"),
        ("保险箱钥匙插进去拔不出来", "mechanical"),
        ("门锁滴滴滴响个不停", "alarm"),
        ("保险柜报警停不下来怎么办", "alarm"),
    ],
)
def test_everyday_fault_phrasings(text: str, fault: str) -> None:
    assert parse(text).fault == fault


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("新到的保险箱想找人固定到地上", "install"),
        ("保险柜要固定，能上门打孔吗", "install"),
        ("保险柜一直固定在墙上的，现在打不开了", "cannot_open"),  # a state, not a request
    ],
)
def test_anchoring_a_safe_is_install(text: str, fault: str) -> None:
    assert parse(text).fault == fault


@pytest.mark.parametrize(
    ("text", "brand"),
    [("Dan Si Ti Ni de 保险柜 没电", "丹斯提尼"), ("qi dian jia zhi wen suo 打不开", "旗电佳"), ("KAA-DAS 门锁坏了", "凯迪仕")],
)
def test_romanised_brand_typed_syllable_by_syllable(text: str, brand: str) -> None:
    assert parse(text).brand == brand


def test_latin_words_that_only_share_letters_are_no_brand() -> None:
    assert parse("my delivery box 保险箱打不开").brand is None


def test_a_secrecy_cabinet_is_a_safe() -> None:
    from nlu import parse

    assert parse("单位的保密柜密码忘了").product == "safe"
