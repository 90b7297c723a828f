"""``regions.covers`` with town semantics, and the ``repairbot coverage`` / ``regions`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import regions
from bot.cli import main
from regions import Coverage, Place, covers, find_place

DONGGUAN = Place("441900", "广东省", "东莞市", None)


def test_county_entry_covers_the_whole_county() -> None:
    cov = covers("丹斯提尼", find_place("焦作温县").place)
    assert cov == Coverage(True, cov.reason, False, (), "焦作市温县")


def test_countyless_city_without_town_asks_for_the_town() -> None:
    cov = covers("丹斯提尼", DONGGUAN)
    assert cov.covered is None and cov.need_town
    assert set(cov.towns) >= {"茶山镇", "企石镇"}
    assert "茶山镇" in cov.reason


def test_town_entry_covers_only_that_town() -> None:
    assert covers("丹斯提尼", find_place("东莞茶山镇").place).covered is True
    other = covers("丹斯提尼", find_place("东莞长安镇").place)
    assert other.covered is False and not other.need_town and "茶山镇" in other.towns


def test_hainan_county_towns() -> None:
    assert covers("丹斯提尼", find_place("琼海潭门镇").place).covered is True
    assert covers("丹斯提尼", find_place("琼海市万泉镇").place).covered is False
    asked = covers("丹斯提尼", find_place("琼海").place)
    assert asked.covered is None and asked.need_town and "潭门镇" in asked.towns
    # the truncated seed entry 五指山市水满 covers 水满乡
    assert covers("丹斯提尼", Place("469001", "海南省", None, "五指山市", "水满乡")).covered is True


def test_renamed_and_qinghai_entries_cover_todays_units() -> None:
    assert covers("丹斯提尼", find_place("杭州拱墅区").place).covered is True  # seed: 杭州市下城区
    assert covers("丹斯提尼", find_place("青海贵德").place).covered is True  # seed: 海南贵德县
    # old code of a renamed unit
    assert covers("旗电佳", Place("520522", "贵州省", "毕节市", "黔西市")).covered is True


def test_not_covered_and_unknowns() -> None:
    cov = covers("丹斯提尼", find_place("孟州").place)
    assert cov.covered is False and cov.reason.startswith("不在服务范围")
    unknown_brand = covers("得力", find_place("温县").place)
    assert unknown_brand.covered is False and "得力" in unknown_brand.reason
    assert covers("丹斯提尼", None).covered is None


def test_brands_differ() -> None:
    wenxian = find_place("温县").place
    assert covers("丹斯提尼", wenxian).covered is True
    assert covers("旗电佳", find_place("六安舒城").place).covered is True
    assert covers("丹斯提尼", find_place("六安舒城").place).covered is False


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().out


def test_coverage_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, ["coverage", "丹斯提妮", "东莞"])  # an alias from config.yml
    assert code == 0
    obj = json.loads(out)
    assert list(obj)[:9] == [
        "brand", "brand_supported", "query", "place", "place_candidates", "covered", "need_town", "towns", "reason",
    ]  # fmt: skip
    assert obj["brand"] == "丹斯提尼" and obj["brand_supported"] is True
    assert obj["place"]["adcode"] == "441900" and obj["covered"] is None and obj["need_town"] is True
    assert "茶山镇" in obj["towns"]

    obj = json.loads(_run(capsys, ["coverage", "丹斯提尼", "东莞茶山镇"])[1])
    assert obj["covered"] is True and obj["place"]["town"] == "茶山镇"

    obj = json.loads(_run(capsys, ["coverage", "旗电佳", "鼓楼区"])[1])
    assert obj["place"] is None and len(obj["place_candidates"]) == 4 and obj["covered"] is None

    obj = json.loads(_run(capsys, ["coverage", "德施曼", "温县"])[1])
    assert obj["brand_supported"] is False and obj["covered"] is False

    obj = json.loads(_run(capsys, ["coverage", "丹斯提尼", "随便说点什么"])[1])
    assert obj["place"] is None and obj["covered"] is None


def test_regions_audit_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, ["regions", "audit"])
    assert code == 0
    assert "丹斯提尼: entries=364 resolved=332 normalised=32 unresolved=0" in out
    assert "旗电佳: entries=365 resolved=327 normalised=38 unresolved=0" in out
    assert "吉安市庐陵新区" in out and "五指山市水满" in out and "海南贵德县" in out
    report = json.loads(_run(capsys, ["regions", "audit", "--json"])[1])
    assert report["旗电佳"]["normalised"] == 38
    assert any(c["raw"] == "平凉市华亭县" for c in report["旗电佳"]["cases"])


def test_build_service_areas_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "000_test.txt").write_text(
        "旗电佳指纹锁全国服务区域:\n\n焦作市温县、东莞市石龙镇、火星市\n\n旗电佳指纹锁客服\n",
        encoding="utf-8",
    )
    out_dir = tmp_path / "out"
    code, out = _run(capsys, ["regions", "build-service-areas", "--seeds", str(seeds), "--out", str(out_dir)])
    assert code == 0 and "旗电佳: 3 entries" in out
    doc = yaml.safe_load((out_dir / "旗电佳.yml").read_text(encoding="utf-8"))
    assert doc["brand"] == "旗电佳"
    assert [(e["raw"], e["status"]) for e in doc["entries"]] == [
        ("焦作市温县", "resolved"), ("东莞市石龙镇", "resolved"), ("火星市", "unresolved"),
    ]  # fmt: skip
    assert doc["counts"]["unresolved"] == 1


def test_build_service_areas_without_seeds_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["regions", "build-service-areas", "--seeds", str(tmp_path / "missing")])
    assert code == 1
    assert "no seed pages" in capsys.readouterr().err


def test_public_api_surface() -> None:
    for name in (
        "find_place",
        "covers",
        "distance_km",
        "lookup",
        "towns_of",
        "Place",
        "PlaceMatch",
        "Coverage",
    ):
        assert hasattr(regions, name)
