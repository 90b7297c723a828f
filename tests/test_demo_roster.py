"""The generated demo roster: up to date, covers every served area, near enough, loaded at start-up."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

import regions
from bot.booking import eligible_technicians
from bot.booking.settings import parse_settings
from bot.booking.travel import home_of, km_from
from bot.config import load_config
from bot.roster.demo import DEFAULT_FILE, DemoRosterError, RosterSettings, demo_specs
from bot.roster.generate import demo_technicians, render_csv
from bot.store.models import Technician
from bot.technicians import sync_from_config, sync_roster

SERVICE_AREAS = Path(regions.__file__).parent / "data" / "service_areas"


def _entries() -> list[tuple[str, dict]]:
    """(brand, entry) for every resolved service-area entry of every brand."""
    out = []
    for path in sorted(SERVICE_AREAS.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out += [(data["brand"], e) for e in data["entries"] if e.get("adcode") and e["status"] != "unresolved"]
    return out


def test_the_committed_file_is_what_make_roster_builds():
    assert DEFAULT_FILE.read_text(encoding="utf-8") == render_csv(demo_technicians(load_config())), (
        "bot/data/demo_technicians.csv is out of date: run `make roster`")


def test_one_seat_technician_per_served_prefecture_and_brand_and_demo_markings():
    from regions.gazetteer import gazetteer

    gz = gazetteer()
    config = load_config()
    specs = demo_specs(config)
    assert 400 <= len(specs) <= 1500
    served = set()
    for brand, entry in _entries():
        unit = gz.lookup(entry["adcode"])
        served.add((brand, unit.prefecture_code or unit.adcode if unit else entry["adcode"]))
    seats = {}
    for spec in specs:
        assert spec.code.startswith("DEMO-") and spec.source == "demo"
        assert spec.phone.startswith("1380001") and 2 <= len(spec.name) <= 3
        if spec.code.endswith("-1"):
            brand = spec.brands[0]
            key = spec.code.split("-")[2]
            seats[(brand, key)] = spec
    assert set(seats) == served
    for (_brand, key), spec in seats.items():
        prefecture = gz.prefectures.get(key)
        if prefecture is not None:  # lives at the seat: the prefecture's own point
            assert spec.home == (pytest.approx(prefecture.lat), pytest.approx(prefecture.lon))
            assert gz.lookup(spec.base_adcode).prefecture_code == key
    assert len({s.phone for s in specs}) == len(specs)


def test_the_demo_roster_covers_every_resolved_service_area_entry(store):
    """Each county or town a brand serves has an active demo technician for each of the brand's products."""
    config = load_config()
    with store.session() as s:
        sync_roster(s, config)
    entries = _entries()
    assert len(entries) > 600
    unserved = []
    with store.session(readonly=True) as s:
        for brand, entry in entries:
            for product in config["brands"][brand]["products"]:
                techs = eligible_technicians(s, brand=brand, product=product, adcode=entry["adcode"],
                                             town=entry.get("town"))
                if not any(t.source == "demo" for t in techs):
                    unserved.append((brand, product, entry["raw"]))
    assert unserved == []


def test_a_served_county_s_nearest_technician_is_usually_under_an_hour_away(store):
    """Travel time from the nearest eligible technician (the booking's own distance and ETA model)."""
    config = load_config()
    cfg = parse_settings(config)
    with store.session() as s:
        sync_roster(s, config)
    etas = []
    with store.session(readonly=True) as s:
        for brand, entry in _entries():
            product = config["brands"][brand]["products"][0]
            techs = eligible_technicians(s, brand=brand, product=product, adcode=entry["adcode"],
                                         town=entry.get("town"))
            etas.append(min(cfg.eta_minutes(km_from(home_of(t), entry["adcode"])) for t in techs))
    etas.sort()
    assert etas[len(etas) // 2] <= 45  # the median customer
    assert sum(e < 60 for e in etas) / len(etas) >= 0.95
    assert etas[-1] <= 60


def test_start_up_sync_is_idempotent_and_each_source_keeps_its_own(store):
    config = load_config()
    with store.session() as s:
        first = sync_roster(s, config)
    assert len(first.config.added) == len(config["technicians"]) and len(first.demo.added) == len(demo_specs(config))
    with store.session() as s:
        again = sync_roster(s, config)
    assert not again.config.changed and not again.demo.changed
    with store.session() as s:
        assert not sync_from_config(s, config).changed  # the config sync leaves demo technicians alone
    off = copy.deepcopy(config)
    off["roster"] = {"demo": False}
    with store.session() as s:
        report = sync_roster(s, off)
        assert len(report.demo.deactivated) == len(first.demo.added) and not report.config.changed
    with store.session(readonly=True) as s:
        active = s.scalar(select(func.count()).select_from(Technician).where(Technician.active.is_(True)))
        assert active == len(config["technicians"])
    with store.session() as s:
        assert len(sync_roster(s, config).demo.updated) == len(first.demo.added)  # switched on again
    # A code in both config.yml and the demo file stays config's, start-up after start-up.
    taken = copy.deepcopy(config)
    taken["technicians"][0]["code"] = demo_specs(config)[0].code
    for _ in range(2):
        with store.session() as s:
            report = sync_roster(s, taken)
    assert not report.config.changed and not report.demo.changed


def test_roster_settings_name_the_bad_key(tmp_path):
    with pytest.raises(DemoRosterError, match="roster.demo: expected true or false"):
        RosterSettings.from_config({"roster": {"demo": "yes"}})
    with pytest.raises(DemoRosterError, match="roster.demo_file"):
        RosterSettings.from_config({"roster": {"demo_file": 3}})
    missing = {**load_config(), "roster": {"demo_file": str(tmp_path / "missing.csv")}}
    with pytest.raises(DemoRosterError, match="make roster"):
        demo_specs(missing)
    broken = tmp_path / "broken.csv"
    broken.write_text("code,name,products,home,covers\nDEMO-X-1,王伟,car,410105,410000\n", encoding="utf-8")
    with pytest.raises(DemoRosterError, match=r"row 2 \(DEMO-X-1\), products"):
        demo_specs({**load_config(), "roster": {"demo_file": str(broken)}})


def test_processes_starting_together_load_the_roster_once(store):
    """Four `repairbot serve` starting at once on an empty database: every technician once, no crash."""
    import threading

    from bot.store.db import Database

    config = load_config()
    barrier = threading.Barrier(4)
    added: list[int] = []
    errors: list[BaseException] = []

    def start_up() -> None:
        db = Database(store.url)  # a process of its own: its own engine and pool
        try:
            barrier.wait()
            with db.session() as s:
                report = sync_roster(s, config)
            added.append(len(report.config.added) + len(report.demo.added))
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=start_up) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    expected = len(config["technicians"]) + len(demo_specs(config))
    assert sorted(added) == [0, 0, 0, expected]
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Technician)) == expected
