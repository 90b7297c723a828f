"""Places hidden in everyday words, old names, several places in one message (regions.find_place)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from regions import find_place
from regions.gazetteer import DATA_DIR


def _county(text: str) -> str | None:
    m = find_place(text)
    return m.place.county if m.place else None


@pytest.mark.parametrize(
    "text",
    [
        "师傅帮我重新安装一下门锁",  # 新安 (洛阳) across 重新|安装
        "明天过来安装保险柜",  # 来安 (滁州)
        "我每天等到很晚",  # 天等 (崇左)
        "打开阳台的门锁",  # 开阳 (贵阳)
        "喷了空气清新剂",  # 清新 (清远) inside a longer word
        "这两个锁大同小异",  # 大同 inside an idiom
        "维修水管的时候碰到了保险柜",  # 修水 (九江)
        "门锁的动力不足",  # 动力: an everyday word that is also an old district name
        "涪陵榨菜放在保险柜上面",  # goods named after a county (curated, regions/data/blocked_names.tsv)
        "楼下兰州拉面馆的保险柜",  # a shop named after a place
        "门口的德庆烧烤店",
        "城关镇的门锁",  # a town in many counties, never 城关区 by itself
    ],
)
def test_everyday_words_are_no_place(text: str) -> None:
    assert find_place(text).place is None


@pytest.mark.parametrize(
    ("text", "county"),
    [
        ("洛阳新安县，保险柜重新安装", "新安县"),  # written in full, the county still counts
        ("滁州来安，门锁坏了", "来安县"),
        ("崇左天等县", "天等县"),
        ("新乡长垣", "长垣市"),  # 乡长 is an everyday word, but 长垣 comes right after its city
        ("洛阳西工区，保险柜要重新安装", "西工区"),
        ("我在来安", "来安县"),  # said as a location
    ],
)
def test_places_next_to_everyday_words_still_resolve(text: str, county: str) -> None:
    assert _county(text) == county


@pytest.mark.parametrize(
    ("text", "city", "county"),
    [
        ("思茅景东的保险柜", "普洱市", "景东彝族自治县"),
        ("巢湖含山县门锁没电", "马鞍山市", "含山县"),
        ("巢湖庐江", "合肥市", "庐江县"),
        ("襄樊宜城", "襄阳市", "宜城市"),
        ("伊克昭盟达拉特旗", "鄂尔多斯市", "达拉特旗"),
        ("哲里木盟科尔沁左翼后旗", "通辽市", "科尔沁左翼后旗"),
        ("万县奉节", "重庆市", "奉节县"),
        ("大庸桑植县", "张家界市", "桑植县"),
        ("通什市", None, "五指山市"),
        ("中甸县", "迪庆藏族自治州", "香格里拉市"),
    ],
)
def test_old_names_resolve_to_today(text: str, city: str | None, county: str) -> None:
    m = find_place(text)
    assert m.place is not None and (m.place.city, m.place.county) == (city, county)


@pytest.mark.parametrize(("text", "at_least"), [("我在伊克昭盟", 5), ("巢湖地区", 5), ("老家是渡口的", 3)])
def test_a_bare_old_prefecture_gives_candidates_not_a_guess(text: str, at_least: int) -> None:
    m = find_place(text)
    assert m.place is None and len(m.candidates) >= at_least


def test_a_bare_old_name_that_is_also_a_county_today_is_that_county() -> None:
    assert _county("我在巢湖") == "巢湖市"


@pytest.mark.parametrize(
    ("text", "county"),
    [
        ("我在南京上班，保险柜在老家盐城射阳", "射阳县"),
        ("店在金华义乌，我住杭州滨江区", "义乌市"),
        ("人在成都出差，家里门锁在绵阳江油，没电了", "江油市"),
        ("保险柜放在温州乐清的厂里，我现在在宁波", "乐清市"),
    ],
)
def test_the_device_place_wins(text: str, county: str) -> None:
    assert _county(text) == county


@pytest.mark.parametrize(("text", "county"), [("宁波海曙区中山东路", "海曙区"), ("合肥蜀山区长江西路", "蜀山区")])
def test_a_street_named_after_a_place_is_no_place(text: str, county: str) -> None:
    assert _county(text) == county


def test_the_collision_table_is_built_data_with_its_kinds() -> None:
    with (DATA_DIR / "common_words.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    kinds = {r["kind"] for r in rows}
    assert kinds == {"weak", "contains", "straddles"}
    by_word = {r["word"]: r for r in rows}
    assert by_word["安装"]["kind"] == "straddles" and by_word["清新剂"]["kind"] == "contains"
    assert "长垣" not in by_word and "新安县" not in by_word  # names are never everyday words here
    assert len(rows) > 5000
    assert "jieba" in (Path(DATA_DIR) / "SOURCES.md").read_text(encoding="utf-8")
