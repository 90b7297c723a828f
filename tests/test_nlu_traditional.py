"""Traditional characters and spaced-out typing reach the extractors in the form they read."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu import parse
from nlu.normalize import _simplified_table, normalize

ROOT = Path(__file__).resolve().parents[1]


def test_mapping_never_touches_simplified_text() -> None:
    # A traditional character that is also simplified text (乾县, 于) would corrupt good input.
    simplified = "".join(
        p.read_text(encoding="utf-8")
        for p in [ROOT / "regions/data/divisions.tsv", ROOT / "regions/data/towns.tsv", ROOT / "config.yml",
                  *sorted((ROOT / "nlu/data").glob("*.yml"))]
    )
    table = _simplified_table()
    assert len(table) > 200
    assert not [chr(c) for c in table if chr(c) in simplified]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("保險櫃鑰匙不見了", "保险柜钥匙不见了"),
        ("指紋鎖 沒電", "指纹锁 没电"),
        ("乾县 保险柜", "乾县 保险柜"),  # simplified text passes through unchanged
        ("保 险 箱 坏 了", "保险箱坏了"),
        ("旗 电 佳 的 门 锁", "旗电佳的门锁"),
        ("焦作 温县 保险柜", "焦作 温县 保险柜"),  # spaces between words stay
        ("deli 保险箱", "deli 保险箱"),
    ],
)
def test_normalize(text: str, want: str) -> None:
    assert normalize(text) == want


def test_traditional_message_parses_like_simplified() -> None:
    p = parse("旗電佳智能鎖一直報警，地址：廣東省汕頭市龍湖區")
    assert (p.brand, p.product, p.fault) == ("旗电佳", "lock", "alarm")
    assert p.place is not None and p.place.adcode == "440507"


def test_spaced_out_message_parses() -> None:
    p = parse("丹 斯 提 尼 保 险 箱 没 电 了 焦作 博爱")
    assert (p.brand, p.product, p.fault) == ("丹斯提尼", "safe", "no_power")
    assert p.place is not None and p.place.county == "博爱县"
