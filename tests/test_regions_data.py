"""The packaged gazetteer against facts from a second source, and its completeness."""

from __future__ import annotations

import pytest

import regions
from regions.gazetteer import COUNTYLESS, GBT, SPECIAL, gazetteer

# Independent facts (GB/T 2260 as published by the Ministry of Civil Affairs, 2023 edition and the
# 2021–2023 change announcements) — deliberately not read from any of the build's packages.
KNOWN_UNITS = [
    ("110105", "朝阳区", "北京市", "北京市"),
    ("320506", "吴中区", "江苏省", "苏州市"),
    ("320582", "张家港市", "江苏省", "苏州市"),
    ("410825", "温县", "河南省", "焦作市"),
    ("321322", "沭阳县", "江苏省", "宿迁市"),
    ("430121", "长沙县", "湖南省", "长沙市"),
    ("430623", "华容县", "湖南省", "岳阳市"),
    ("420703", "华容区", "湖北省", "鄂州市"),
    ("150422", "巴林左旗", "内蒙古自治区", "赤峰市"),
    ("632523", "贵德县", "青海省", "海南藏族自治州"),
    ("522729", "长顺县", "贵州省", "黔南布依族苗族自治州"),
    # renamed units, with today's codes (jionlp still carries several of the old ones)
    ("330105", "拱墅区", "浙江省", "杭州市"),
    ("410307", "偃师区", "河南省", "洛阳市"),
    ("410308", "孟津区", "河南省", "洛阳市"),
    ("510118", "新津区", "四川省", "成都市"),
    ("520581", "黔西市", "贵州省", "毕节市"),
    ("630106", "湟中区", "青海省", "西宁市"),
    ("410783", "长垣市", "河南省", "新乡市"),
    ("320614", "海门区", "江苏省", "南通市"),
    ("620881", "华亭市", "甘肃省", "平凉市"),
    ("330113", "临平区", "浙江省", "杭州市"),
    ("330114", "钱塘区", "浙江省", "杭州市"),
    ("540581", "错那市", "西藏自治区", "山南市"),
]

# Old codes that must resolve to today's unit.
OLD_CODES = {
    "410381": "410307",
    "510132": "510118",
    "520522": "520581",
    "630122": "630106",
    "320684": "320614",
}


@pytest.mark.parametrize(("adcode", "name", "province", "prefecture"), KNOWN_UNITS)
def test_known_units_match_second_source(adcode: str, name: str, province: str, prefecture: str) -> None:
    d = regions.lookup(adcode)
    assert d is not None, adcode
    assert (d.name, d.province, d.prefecture) == (name, province, prefecture)


@pytest.mark.parametrize(("old", "new"), sorted(OLD_CODES.items()))
def test_old_codes_resolve_to_todays_unit(old: str, new: str) -> None:
    d = regions.lookup(old)
    assert d is not None and d.adcode == new


def test_abolished_units_are_not_current() -> None:
    gz = gazetteer()
    names = {(d.prefecture, d.name) for d in gz.counties.values()}
    for gone in [
        ("杭州市", "下城区"),
        ("杭州市", "江干区"),
        ("洛阳市", "偃师市"),
        ("西宁市", "湟中县"),
        ("南昌市", "湾里区"),
    ]:
        assert gone not in names


def test_every_county_level_unit_has_coordinates_inside_china() -> None:
    gz = gazetteer()
    gbt = [d for d in gz.counties.values() if d.kind == GBT]
    assert 2840 <= len(gbt) <= 2860  # mainland China has ~2,844 county-level units (plus 江北/渝北 kept)
    for d in gz.counties.values():
        # 南沙 reaches ~4°N
        assert 3.0 < d.lat < 54.0 and 73.0 < d.lon < 136.0, (d.adcode, d.name, d.lat, d.lon)


def test_every_gbt_unit_has_its_own_point_not_its_parents() -> None:
    gz = gazetteer()
    borrowed = [d.name for d in gz.counties.values() if d.kind == GBT and d.coord_source.startswith("parent")]
    assert borrowed == []


def test_every_unit_has_province_and_prefecture_except_province_direct() -> None:
    gz = gazetteer()
    for d in gz.counties.values():
        assert d.province_code in gz.provinces
        if d.prefecture_code:
            assert d.prefecture_code in gz.prefectures or d.kind == COUNTYLESS
        else:
            assert d.adcode[2:4] == "90", d  # 省直辖: 天门市 429006, 琼海市 469002, 石河子 659001 …


def test_short_names() -> None:
    gz = gazetteer()
    assert gz.lookup("410825").short == "温"
    assert gz.lookup("320582").short == "张家港"
    assert gz.lookup("150422").short == "巴林左旗"
    assert gz.lookup("530925").short == "双江"  # 双江拉祜族佤族布朗族傣族自治县


def test_towns_of_countyless_cities_and_hainan_direct_units() -> None:
    assert "茶山镇" in regions.towns_of("441900")
    assert "神湾镇" in regions.towns_of("442000")
    assert "那大镇" in regions.towns_of("460400")
    assert "新城镇" in regions.towns_of("620200")
    for adcode, town in [
        ("469002", "潭门镇"),
        ("469006", "三更罗镇"),
        ("469001", "水满乡"),
        ("469025", "邦溪镇"),
    ]:
        assert town in regions.towns_of(adcode)
    for hainan in ["469001", "469002", "469005", "469006", "469007", "469021", "469022", "469023", "469024",
                   "469025", "469026", "469027", "469028", "469029", "469030"]:  # fmt: skip
        assert len(regions.towns_of(hainan)) >= 5, hainan
    assert regions.towns_of("410825") == []  # ordinary counties carry no towns
    assert regions.towns_of("999999") == []


def test_special_areas_are_flagged() -> None:
    gz = gazetteer()
    assert gz.lookup("320571").kind == SPECIAL and gz.lookup("320571").prefecture == "苏州市"
    assert gz.lookup("232764").name == "呼中区" and gz.lookup("232764").kind == SPECIAL
    assert any(s.name == "庐陵新区" and s.adcode == "360802" for s in gz.subareas)
    # 重庆市江北区 stays resolvable although one source folded it into 两江新区
    assert gz.lookup("500105").name == "江北区"


def test_qinghai_hainan_prefecture_alias() -> None:
    gz = gazetteer()
    aliases = {(a, c) for a, c, _ in gz.prefecture_aliases}
    assert ("海南", "632500") in aliases and ("海南", "460000") in aliases
    assert gz.prefectures["632500"].name == "海南藏族自治州"


def test_distance_km() -> None:
    d = regions.distance_km("410825", "320582")  # 温县 → 张家港
    assert d is not None and 700 < d < 850
    assert regions.distance_km("441900", "442000") < 100  # 东莞 → 中山
    assert regions.distance_km("410825", "410825") == 0.0
    assert regions.distance_km("410825", "000000") is None
    # old codes and prefecture codes work too
    assert regions.distance_km("410381", "410307") == pytest.approx(0.0, abs=30)
    assert regions.distance_km("410800", "410825") < 60
