"""Seed-page parsing, entry resolution and the committed per-brand service areas."""

from __future__ import annotations

from regions.coverage import service_areas
from regions.service_areas import (
    NORMALISED,
    RESOLVED,
    UNRESOLVED,
    SeedEntry,
    audit_counts,
    build_brand_areas,
    detect_brand,
    parse_seed_lists,
    resolve_entry,
)

PAGE = """丹斯提尼保险柜售后服务维修网点电话全国统一
贴心服务承诺:以客户为中心,提供贴心、周到的服务。

丹斯提尼保险柜维修服务电话全国服务区域:


焦作市温县、中山市神湾镇、东莞市茶山镇、五指山市水满


海南贵德县、杭州市下城区、吉安市庐陵新区、焦作市温县、焦作温县

丹斯提尼保险柜客服热线
近期,部分买家利用AI制作假图、杯子、玩具等图片,用AI处理成样子。
"""


def test_parse_seed_lists_keeps_every_entry_in_order_and_counts_repeats() -> None:
    entries = parse_seed_lists(PAGE)
    assert [e.raw for e in entries] == [
        "焦作市温县", "中山市神湾镇", "东莞市茶山镇", "五指山市水满", "海南贵德县", "杭州市下城区", "吉安市庐陵新区", "焦作温县",
    ]  # fmt: skip
    assert entries[0].occurrences == 2
    # prose after the list (which also uses 、) is not an entry; neither is the header's neighbour
    assert not any("服务" in e.raw or "杯子" in e.raw for e in entries)


def test_detect_brand_from_catalogue() -> None:
    brands = {"丹斯提尼": ["丹斯提妮"], "旗电佳": ["旗电家"]}
    assert detect_brand(PAGE, brands) == "丹斯提尼"
    assert detect_brand("nothing here", brands) is None


def test_resolution_statuses_and_notes() -> None:
    by_raw = {e.raw: e for e in build_brand_areas(PAGE)}
    assert by_raw["焦作市温县"].status == RESOLVED and by_raw["焦作市温县"].adcode == "410825"
    assert "listed 2 times" in by_raw["焦作市温县"].note
    assert "same place as entry 焦作市温县" in by_raw["焦作温县"].note
    town = by_raw["东莞市茶山镇"]
    assert (town.status, town.adcode, town.county, town.town) == (RESOLVED, "441900", None, "茶山镇")
    truncated = by_raw["五指山市水满"]
    assert (truncated.status, truncated.adcode, truncated.town) == (NORMALISED, "469001", "水满乡")
    assert "truncated" in truncated.note
    qinghai = by_raw["海南贵德县"]
    assert (qinghai.status, qinghai.adcode, qinghai.province) == (NORMALISED, "632523", "青海省")
    assert "Qinghai" in qinghai.note
    renamed = by_raw["杭州市下城区"]
    assert (renamed.status, renamed.adcode, renamed.county) == (NORMALISED, "330105", "拱墅区")
    luling = by_raw["吉安市庐陵新区"]
    assert (luling.status, luling.adcode, luling.town) == (NORMALISED, "360802", "庐陵新区")
    assert "GB/T" in luling.note


def test_unresolved_entries_are_kept_with_a_reason() -> None:
    e = resolve_entry(SeedEntry("火星市奥林匹斯区", 1, 1))
    assert e.status == UNRESOLVED and e.adcode is None and e.note
    amb = resolve_entry(SeedEntry("鼓楼区", 1, 1))
    assert amb.status == UNRESOLVED and amb.note.startswith("ambiguous")


def test_audit_counts_of_the_committed_service_areas() -> None:
    areas = service_areas()
    assert set(areas) == {"丹斯提尼", "旗电佳"}
    assert audit_counts(areas["丹斯提尼"].entries) == {
        "entries": 364, "occurrences": 398, "resolved": 332, "normalised": 32, "unresolved": 0, "duplicates": 33,
    }  # fmt: skip
    assert audit_counts(areas["旗电佳"].entries) == {
        "entries": 365, "occurrences": 403, "resolved": 327, "normalised": 38, "unresolved": 0, "duplicates": 36,
    }  # fmt: skip


def test_committed_entries_name_what_they_resolve_to() -> None:
    for area in service_areas().values():
        for e in area.entries:
            assert e.status in (RESOLVED, NORMALISED, UNRESOLVED)
            if e.status == RESOLVED:
                # a plain resolution spells the unit (or town) it resolves to
                assert e.raw.endswith(e.town or e.county or e.city), e
            if e.status == NORMALISED:
                assert e.note, e


def test_known_seed_traps_in_committed_data() -> None:
    entries = {e.raw: e for area in service_areas().values() for e in area.entries}
    assert entries["甘南舟曲县"].adcode == "623023"  # not 黑龙江 甘南县
    assert entries["黔西南安龙县"].adcode == "522328"  # not 黔西市 / 南安市
    assert entries["红河蒙自市"].adcode == "532503"
    assert entries["大兴安岭地区呼中区"].adcode == "232764"
    assert entries["平凉市华亭县"].adcode == "620881"
    assert entries["重庆市江北区"].adcode == "500105"
    for raw in ("海南贵德县", "海南同德县", "海南兴海县"):
        assert entries[raw].province == "青海省"


def test_a_whole_prefecture_entry_covers_its_counties() -> None:
    from regions import find_place
    from regions.coverage import BrandArea

    entries = [resolve_entry(SeedEntry(raw, 1, 1)) for raw in ("苏州市", "东莞市茶山镇", "海南", "北京市")]
    assert [(e.status, e.adcode) for e in entries] == [
        (NORMALISED, "320500"), (RESOLVED, "441900"), (UNRESOLVED, None), (NORMALISED, "110100"),
    ]  # fmt: skip
    area = BrandArea.from_entries("测试", entries)
    assert area.covers(find_place("苏州吴中区").place).covered is True
    assert area.covers(find_place("北京朝阳区").place).covered is True
    assert area.covers(find_place("无锡江阴").place).covered is False
    assert area.covers(find_place("东莞").place).need_town is True
