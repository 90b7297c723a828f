"""Place phrasings found by a held-out probe (not the dev set): short forms, traditional script, spacing."""

from __future__ import annotations

import pytest

from regions import find_place

# Inner Mongolian banners are written without 旗 ("鄂尔多斯达拉特"), like counties without 县.
BANNERS = {
    "鄂尔多斯达拉特 保险柜打不开": "150621",
    "通辽扎鲁特的门锁坏了": "150526",
    "我在锡林郭勒镶黄 智能锁没电": "152528",
    "阿拉善额济纳 保险箱报警": "152923",
    "奈曼旗 保险柜": "150525",
}


@pytest.mark.parametrize("text", sorted(BANNERS))
def test_banner_short_forms(text: str) -> None:
    m = find_place(text)
    assert m.place is not None, (text, m)
    assert m.place.adcode == BANNERS[text]


def test_banner_ending_in_a_direction_is_not_shortened() -> None:
    # 巴林左旗 without 旗 is not how anyone writes it; the whole name still resolves.
    m = find_place("赤峰巴林左旗 保险柜")
    assert m.place is not None and m.place.adcode == "150422"


@pytest.mark.parametrize(
    ("text", "adcode"),
    [
        ("家在洛阳高新区，保险柜打不开", "410371"),
        ("长春经开区 指纹锁没电", "220171"),
        ("郑州经开区的门锁坏了", "410171"),
    ],
)
def test_development_zones_by_their_everyday_abbreviation(text: str, adcode: str) -> None:
    m = find_place(text)
    assert m.place is not None and m.place.adcode == adcode, (text, m)


def test_bare_zone_word_is_still_no_place() -> None:
    assert find_place("高新区 保险柜打不开").place is None


@pytest.mark.parametrize(
    ("text", "adcode"),
    [
        ("云南大理市宾川县 保险柜打不开", "532924"),  # 大理市 written for 大理州
        ("湖北恩施市巴东县的门锁没电", "422823"),
        ("甘肃临夏市和政县 保险箱", "622925"),
        ("临夏市东乡县的锁打不开", "622926"),  # 东乡 is also a district of 抚州
        ("大理市 指纹锁打不开", "532901"),  # alone it is the city itself
    ],
)
def test_seat_city_written_for_its_prefecture(text: str, adcode: str) -> None:
    m = find_place(text)
    assert m.place is not None and m.place.adcode == adcode, (text, m)


@pytest.mark.parametrize(
    "text",
    ["想把密码改成新密码", "新密码设置了还是打不开", "在红星美凯龙买的保险柜", "朋友送的西湖龙井放保险柜里"],
)
def test_everyday_words_holding_a_county_name_are_not_places(text: str) -> None:
    m = find_place(text)
    assert m.place is None and m.candidates == (), (text, m)


def test_those_names_still_resolve_when_meant() -> None:
    assert find_place("郑州新密 保险柜新密码忘了").place.adcode == "410183"
    assert find_place("伊春红星 保险柜").place.adcode == "230724"
