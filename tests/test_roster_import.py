"""Roster CSV: row checks with (row, column, reason), file-level errors, idempotent import by code, CLI."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.config import load_config
from bot.roster.importer import import_roster
from bot.roster.table import RosterFileError, read_roster
from bot.store.models import Technician
from bot.technicians import sync_from_config, sync_roster

HEADER = "code,name,phone,brands,products,home,lat,lon,covers,days,hours,capacity,active\n"
GOOD = (
    "XM01,陈海峰,139 5000 1234,旗电佳,智能锁,厦门市海沧区,,,350205;350206,every_day,08:00-20:00,2,yes\n"
    "XM02,林晓燕,+86 13950001235,qidianjia、丹斯提尼,safe;lock,,24.4798,118.0894,厦门市;441900/茶山镇,,,,\n"
)
BAD = "BAD1,,12345,不存在,car,火星,99,,,sometimes,25:00-26:00,0,maybe\n"


def _rows(result) -> dict[str, object]:
    return {spec.code: spec for _, spec in result.specs}


def test_good_rows_become_specs():
    result = read_roster(HEADER + GOOD, load_config())
    assert result.rejected == []
    first, second = _rows(result)["XM01"], _rows(result)["XM02"]
    assert first.phone == "13950001234" and first.products == ("lock",) and first.brands == ("旗电佳",)
    assert first.base_adcode == "350205" and first.home is None
    assert first.covers == {("350205", None), ("350206", None)}
    assert first.hours == {"open": "08:00", "close": "20:00", "days": "every_day"} and first.slot_capacity == 2
    # Coordinates only: the home county is the nearest one; aliases and place names are understood.
    assert second.home == (24.4798, 118.0894) and second.base_adcode.startswith("3502")
    assert second.phone == "13950001235" and second.brands == ("旗电佳", "丹斯提尼")
    assert second.covers == {("350200", None), ("441900", "茶山镇")}
    assert second.active is True and second.slot_capacity == 1 and second.source == "import"


def test_a_bad_row_is_reported_column_by_column_and_never_repeats_the_phone():
    result = read_roster(HEADER + GOOD + BAD, load_config())
    assert set(_rows(result)) == {"XM01", "XM02"}  # the good rows still count
    problems = {r.column: r for r in result.rejected}
    assert {r.row for r in result.rejected} == {4}  # the header is line 1
    assert set(problems) == {"name", "phone", "brands", "products", "lat", "home", "covers", "days", "hours",
                             "capacity", "active"}
    assert "不存在" in problems["brands"].reason and "sometimes" not in problems["days"].reason
    assert "12345" not in " ".join(str(r) for r in result.rejected)
    assert str(problems["covers"]).startswith("row 4 (BAD1), covers: ")


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        ("X1,张三,13800000000,,safe,410105,34.7,,410000,,,,", "lon", "both"),
        ("X2,张三,,,safe,,,,410000,,,,", "home", "county"),
        ("X3,张三,,,safe,鼓楼区,,,410000,,,,", "home", "ambiguous"),
        ("X4,张三,,,safe,410105,,,999999,,,,", "covers", "999999"),
        ("X5,张三,,,safe,410105,,,410000,,18:00-08:00,,", "hours", "end after"),
        ("X 6,张三,,,safe,410105,,,410000,,,,", "code", "letters"),
        ("X7,张三,1.38E+10,,safe,410105,,,410000,,,,", "phone", "mobile"),
    ],
)
def test_each_column_is_checked(row, column, words):
    result = read_roster(HEADER + row + "\n", load_config())
    assert [r.column for r in result.rejected] == [column]
    assert words in result.rejected[0].reason


def test_a_repeated_code_is_rejected_with_the_first_row_named():
    result = read_roster(HEADER + GOOD + GOOD.splitlines()[0] + "\n", load_config())
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [(4, "code", "duplicate of row 2")]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (HEADER.encode(), "no technician rows"),
        (b"code,name,phnoe,products,home,covers\nA,b,c,safe,410105,410000\n", "unknown column(s) phnoe"),
        (b"code,name,products,covers\nA,b,safe,410000\n", "home (or lat and lon)"),
        (b"code,name,name,products,home,covers\nA,b,c,safe,410105,410000\n", "appear twice"),
        (b"\xff\xfe\x00\x00garbage\x81", "neither UTF-8 nor GB18030"),
    ],
)
def test_unusable_files_are_one_clear_error(data, words):
    with pytest.raises(RosterFileError, match=words.replace("(", r"\(").replace(")", r"\)")):
        read_roster(data, load_config())


def test_excel_files_in_utf8_with_bom_or_gbk_and_comments():
    text = "# exported from the roster spreadsheet\n" + HEADER + GOOD
    for data in (b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("gbk")):
        result = read_roster(data, load_config())
        assert set(_rows(result)) == {"XM01", "XM02"} and result.rejected == []
        assert result.specs[0][0] == 3  # row numbers are lines of the file, comments included


def test_import_is_idempotent_by_code_and_leaves_other_sources_alone(store):
    config = load_config()
    with store.session() as s:
        sync_from_config(s, config)
        first = import_roster(s, read_roster(HEADER + GOOD, config))
        assert sorted(first.report.added) == ["XM01", "XM02"] and first.rejected == []
    with store.session() as s:
        again = import_roster(s, read_roster(HEADER + GOOD, config))
        assert again.report.changed is False and sorted(again.report.unchanged) == ["XM01", "XM02"]
    changed = GOOD.replace("陈海峰", "陈海锋").replace(",2,yes", ",1,no")
    with store.session() as s:
        third = import_roster(s, read_roster(HEADER + changed, config))
        assert third.report.updated == ["XM01"]
    with store.session() as s:
        sync_from_config(s, config)  # a restart: the config sync must not switch imported technicians off
    with store.session(readonly=True) as s:
        techs = {t.code: t for t in s.scalars(select(Technician))}
        xm01 = techs["XM01"]
        assert (xm01.name, xm01.active, xm01.slot_capacity, xm01.source) == ("陈海锋", False, 1, "import")
        assert techs["XM02"].active and techs["XM02"].home_lat == pytest.approx(24.4798)
        assert xm01.phone == "13950001234"  # stored encrypted, read back whole
        assert techs["HA01"].source == "config" and techs["HA01"].active


def test_codes_of_config_and_demo_technicians_are_refused(store):
    config = load_config()
    with store.session() as s:
        sync_roster(s, config)
    rows = ("HA01,冒名,,,safe,410105,,,410000,,,,\nDEMO-DSTN-410800-1,冒名,,,safe,410105,,,410000,,,,\n"
            "DEMO-NEW-1,冒名,,,safe,410105,,,410000,,,,\n")
    with store.session() as s:
        result = import_roster(s, read_roster(HEADER + rows, config))
    assert [(r.row, r.column) for r in result.rejected] == [(2, "code"), (3, "code"), (4, "code")]
    assert "config.yml" in result.rejected[0].reason and "demo roster" in result.rejected[1].reason
    assert "kept for the demo roster" in result.rejected[2].reason
    assert result.report.changed is False
    with store.session(readonly=True) as s:
        assert s.scalars(select(Technician.name).where(Technician.code == "HA01")).one() == "张建军"


def test_dry_run_reports_and_changes_nothing(store):
    config = load_config()
    with store.session() as s:
        result = import_roster(s, read_roster(HEADER + GOOD, config), dry_run=True)
        assert sorted(result.report.added) == ["XM01", "XM02"]
    with store.session(readonly=True) as s:
        assert s.scalars(select(Technician)).all() == []


def test_cli_import_reports_rejected_rows_and_list_masks_phones(store, db_url, tmp_path, capsys):
    from bot.cli import main

    path = tmp_path / "roster.csv"
    path.write_text(HEADER + GOOD + BAD, encoding="utf-8")
    assert main(["technicians", "import", str(path), "--url", db_url]) == 1  # a row was rejected
    out = capsys.readouterr().out
    assert "3 rows; 2 were added, 0 updated, 0 unchanged, 1 rejected" in out
    assert "row 4 (BAD1), products: unknown car" in out
    assert main(["technicians", "import", str(path), "--url", db_url, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["unchanged"] == ["XM01", "XM02"] and report["rejected_rows"] == 1
    assert {"row": 4, "column": "capacity"} in [{k: r[k] for k in ("row", "column")} for r in report["rejected"]]
    assert main(["technicians", "list", "--source", "import", "--url", db_url, "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [t["code"] for t in listed] == ["XM01", "XM02"] and listed[0]["phone"] == "139****1234"
    assert main(["technicians", "list", "--url", db_url]) == 0
    text = capsys.readouterr().out
    assert "139****1234" in text and "13950001234" not in text and "DEMO-" in text


def test_cli_import_of_an_unusable_file_imports_nothing(store, db_url, tmp_path, capsys):
    from bot.cli import main

    missing = tmp_path / "nope.csv"
    assert main(["technicians", "import", str(missing), "--url", db_url]) == 2
    assert "cannot read" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    assert main(["technicians", "import", str(bad), "--url", db_url, "--json"]) == 2
    assert "unknown column(s) foo, bar" in json.loads(capsys.readouterr().out)["error"]


def test_covers_by_name_for_provinces_prefectures_and_municipalities():
    row = "N1,张三,,,safe,410105,,,北京市;吉林市;河南;温县;441900/茶山镇,,,,\n"
    (spec,) = [spec for _, spec in read_roster(HEADER + row, load_config()).specs]
    assert spec.covers == {("110000", None), ("220200", None), ("410000", None), ("410825", None),
                           ("441900", "茶山镇")}
