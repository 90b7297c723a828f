"""``Parse.address``: the text below the county, read from the first message or as an answer."""

from __future__ import annotations

import pytest

from nlu import parse


@pytest.mark.parametrize(
    ("text", "county", "address"),
    [
        ("洛阳市西工区中州中路218号2单元301", "西工区", "中州中路218号2单元301"),  # the contract's example
        ("旗电佳指纹锁没电了，地址厦门市海沧区新阳街道海新路6号", "海沧区", "新阳街道海新路6号"),
        ("我住郑州二七区大学路76号院5号楼，门锁打不开", "二七区", "大学路76号院5号楼"),
        ("保险柜密码忘了，在武汉江汉区解放大道688号武商广场", "江汉区", "解放大道688号武商广场"),
        ("杭州余杭区五常街道文一西路969号 指纹锁没电", "余杭区", "五常街道文一西路969号"),
        ("南宁青秀区民族大道100号3栋2单元1801保险箱打不开", "青秀区", "民族大道100号3栋2单元1801"),
        # The phone between the county and the street: the street clause is still the address.
        ("门锁坏了，成都金牛区，13511112222，蜀汉路45号", "金牛区", "蜀汉路45号"),
        ("保险柜打不开 温州鹿城区 电话13600001111，学院中路8弄2号", "鹿城区", "学院中路8弄2号"),
    ],
)
def test_the_street_after_the_place_is_the_address_even_past_a_phone(text: str, county: str, address: str) -> None:
    p = parse(text)
    assert p.place is not None and p.place.county == county
    assert p.address == address


@pytest.mark.parametrize(
    ("text", "county", "address"),
    [
        ("沁阳市柏香镇东街村，保险柜坏了", "沁阳市", "柏香镇东街村"),
        ("新都区大丰街道华美路12号", "新都区", "大丰街道华美路12号"),
        ("焦作温县祥云镇东大街5号", "温县", "祥云镇东大街5号"),  # 祥云 is also a county, in 大理
    ],
)
def test_a_town_or_street_in_the_address_keeps_the_county(text: str, county: str, address: str) -> None:
    p = parse(text)
    assert p.place is not None and p.place.county == county
    assert p.address == address


def test_a_modelled_town_goes_to_place_town_and_the_rest_to_address() -> None:
    p = parse("东莞长安镇锦厦社区河东路8号，门锁没电")
    assert p.place is not None and (p.place.city, p.place.town) == ("东莞市", "长安镇")
    assert p.address == "锦厦社区河东路8号"


def test_address_given_after_a_cue_in_another_clause() -> None:
    p = parse("我在济南市中区，详细地址是经四路35号，保险柜打不开")
    assert p.place is not None and p.place.county == "市中区"
    assert p.address == "经四路35号"


def test_address_answer_without_a_place() -> None:
    assert parse("幸福路12号3单元502", expecting="address").address == "幸福路12号3单元502"
    assert parse("就在家里", expecting="address").address is None


@pytest.mark.parametrize(
    "text",
    ["焦作温县，保险柜打不开了", "我在杭州西湖区", "保险柜密码忘了", "鼓楼区 保险柜", "温县的门锁没电了", "3号楼2单元"],
)
def test_no_address_without_one(text: str) -> None:
    assert parse(text).address is None


def test_a_space_ends_the_address_before_other_words() -> None:
    p = parse("成都锦江区春熙路9号 门锁报警")
    assert p.address == "春熙路9号" and p.fault == "alarm"


def test_the_address_does_not_feed_other_fields() -> None:
    p = parse("长沙岳麓区麓山南路932号，保险柜打不开，电话13912345678")
    assert (p.fault, p.phone, p.when) == ("cannot_open", "13912345678", None)
    assert p.address == "麓山南路932号"


def test_an_english_address_is_left_to_the_text_as_typed() -> None:
    # The NLU reads a lower-cased, glossed text: it does not hand back "12 jianshe road".
    p = parse("12 Jianshe Road, Wenxian, Jiaozuo", expecting="address")
    assert p.address is None and p.place is not None and p.place.county == "温县"


@pytest.mark.parametrize("text", ["保险柜输错3次锁了，郑州金水区", "门锁按了5下没反应，电话13800001111"])
def test_a_clause_with_numbers_but_no_street_is_no_address(text: str) -> None:
    assert parse(text).address is None


def test_a_phone_between_the_county_and_the_street_is_left_out() -> None:
    assert parse("南京浦口 13770881234 江浦街道文德路8号 门锁坏了").address == "江浦街道文德路8号"


def test_a_street_address_alone_is_read_at_any_stage() -> None:
    """"自由路20号" typed over the offers corrects the address; no place or cue is needed."""
    assert parse("自由路20号").address == "自由路20号"
    assert parse("我住在建设路12号，保险柜坏了").address == "建设路12号"


def test_a_phone_with_spaces_given_for_the_address_is_no_address() -> None:
    assert parse("电话号码是 188 3781 2345", expecting="address").address is None


def test_the_address_keeps_the_letters_as_typed() -> None:
    assert parse("南宁青秀区民族大道100号B座1801，保险箱打不开").address == "民族大道100号B座1801"


def test_talk_before_a_colon_is_no_part_of_the_address() -> None:
    assert parse("地址和电话一起给你：泉城路188号，15963081234").address == "泉城路188号"
