"""Slot search and booking: hours, holidays, ordering, filters, capacity under concurrency."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

import bot.booking.travel as travel
import regions
from bot.booking import book, cancel, eligible_technicians, find_slots, offer_from_ref, reschedule
from bot.booking.calendar import day_windows, is_working_day
from bot.booking.settings import parse_settings
from bot.config import load_config
from bot.outbox import enqueue
from bot.store.models import AuditLog, Booking, OutboxMessage, Slot, Technician, Ticket
from bot.technicians import TechnicianConfigError, parse_technicians, sync_from_config
from dialogs.replies import Reply
from nlu.types import When

TZ = ZoneInfo("Asia/Shanghai")

# 温县 410825, 博爱县 410822 (both 焦作); 东莞 441900 with towns; 郑州金水 410105.
CONFIG = {
    "timezone": "Asia/Shanghai",
    "products": {"safe": {"label": "保险柜"}, "lock": {"label": "智能锁"}},
    "brands": {"丹斯提尼": {"supported": True, "products": ["safe"]}, "旗电佳": {"supported": True, "products": ["lock"]}},
    "hours": {"days": "workdays", "open": "08:00", "close": "18:00", "lunch": "12:00-13:00", "slot_minutes": 120},
    "holidays": {"calendar": "chinese", "closed": []},
    "booking": {"offers": 3, "horizon_days": 14, "min_lead_minutes": 60, "slot_capacity": 1,
                "road_speed_kmh": 45, "road_factor": 1.3, "eta_buffer_minutes": 20},
    "technicians": [
        {"code": "NEAR", "name": "近师傅", "phone": "13800000001", "base": "410822",
         "products": ["safe"], "brands": ["丹斯提尼"], "covers": ["410800"]},
        {"code": "FAR", "name": "远师傅", "phone": "13800000002", "base": "410105",
         "products": ["safe", "lock"], "brands": ["丹斯提尼", "旗电佳"], "covers": ["410000"]},
        {"code": "DG", "name": "莞师傅", "phone": "13800000003", "base": "441900",
         "products": ["lock"], "brands": ["旗电佳"], "covers": ["441900/茶山镇", "441900/虎门镇"],
         "hours": {"days": "every_day"}},
    ],
}
DISTANCES = {("410822", "410825"): 25.0, ("410105", "410825"): 80.0, ("441900", "441900"): 0.0}


@pytest.fixture
def fake_distances(monkeypatch):
    """Known distances so ordering is tested independently of the gazetteer's coordinates."""
    monkeypatch.setattr(travel, "distance_km", lambda a, b: DISTANCES.get((a, b)))


@pytest.fixture
def techs(store, fake_distances) -> dict[str, int]:
    with store.session() as s:
        sync_from_config(s, CONFIG)
        return {t.code: t.id for t in s.scalars(select(Technician))}


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def _ticket(session, **kw) -> Ticket:
    ticket = Ticket(status="collecting", **kw)
    session.add(ticket)
    session.flush()
    return ticket


# -- calendar ------------------------------------------------------------------------------------------

def test_day_windows_skip_lunch_and_stop_at_close():
    cfg = parse_settings(CONFIG)
    assert [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in day_windows(cfg.hours)] == [
        ("08:00", "10:00"), ("10:00", "12:00"), ("13:00", "15:00"), ("15:00", "17:00")]
    odd = cfg.hours_for({"open": "08:30", "lunch": "12:00-13:30"})
    assert [a.strftime("%H:%M") for a, _ in day_windows(odd)] == ["08:30", "13:30", "15:30"]


def test_public_holidays_and_adjusted_working_days():
    cfg = parse_settings(CONFIG)
    assert not is_working_day(date(2026, 10, 1), "workdays", cfg)  # 国庆节
    assert not is_working_day(date(2026, 10, 5), "workdays", cfg)  # a Monday inside the holiday
    assert is_working_day(date(2026, 10, 10), "workdays", cfg)  # Saturday, adjusted working day (调休)
    assert not is_working_day(date(2026, 10, 11), "workdays", cfg)  # ordinary Sunday
    assert not is_working_day(date(2026, 10, 3), "mon_sat", cfg)  # Saturday, but a public holiday
    assert is_working_day(date(2026, 10, 17), "mon_sat", cfg)  # ordinary Saturday
    assert is_working_day(date(2026, 10, 1), "every_day", cfg)


def test_years_outside_the_holiday_table_fall_back_to_weekends(caplog):
    cfg = parse_settings(CONFIG)
    with caplog.at_level(logging.WARNING):
        assert is_working_day(date(2099, 10, 8), "workdays", cfg)  # a Thursday: no holiday data
        assert not is_working_day(date(2099, 10, 10), "workdays", cfg)  # Saturday
        assert not is_working_day(date(2099, 10, 1), "workdays", cfg)  # 国庆节 is on a fixed date
        assert is_working_day(date(2099, 10, 10), "mon_sat", cfg)
        assert not is_working_day(date(2099, 5, 1), "mon_sat", cfg)
    assert "2099" in caplog.text


def test_without_the_holiday_calendar_only_weekends_are_off():
    cfg = parse_settings({**CONFIG, "holidays": {"calendar": "none"}})
    assert is_working_day(date(2026, 10, 1), "workdays", cfg)
    assert not is_working_day(date(2026, 10, 10), "workdays", cfg)


def test_company_closing_days():
    cfg = parse_settings({**CONFIG, "holidays": {"calendar": "chinese", "closed": ["2026-12-31"]}})
    assert not is_working_day(date(2026, 12, 31), "every_day", cfg)
    assert is_working_day(date(2026, 12, 30), "workdays", cfg)


# -- search -------------------------------------------------------------------------------------------

def test_holiday_week_is_skipped(store, techs):
    with store.session(readonly=True) as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=at(2026, 9, 30, 18), config=CONFIG)
    assert [o.start for o in offers] == [at(2026, 10, 8, 8), at(2026, 10, 8, 10), at(2026, 10, 8, 13)]


def test_adjusted_working_saturday_is_offered(store, techs):
    with store.session(readonly=True) as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=at(2026, 10, 9, 17), config=CONFIG)
    assert offers[0].start == at(2026, 10, 10, 8)


def test_earliest_first_then_nearest(store, techs):
    with store.session(readonly=True) as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=at(2026, 11, 24, 6), config=CONFIG)
    assert [o.start for o in offers] == [at(2026, 11, 24, 8), at(2026, 11, 24, 10), at(2026, 11, 24, 13)]
    assert all(o.technician_id == techs["NEAR"] for o in offers)  # both free: the nearer one comes
    first = offers[0]
    assert first.distance_km == 25.0 and first.eta_minutes == round(25 * 1.3 / 45 * 60) + 20
    assert first.start.tzinfo is not None and first.start.utcoffset() == timedelta(hours=8)
    assert first.label == "11月24日(周二) 08:00-10:00"


def test_far_technician_fills_in_when_near_one_is_full(store, techs):
    after = at(2026, 11, 24, 5)  # early enough for the far technician's 2 h 39 min drive
    with store.session() as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=after, config=CONFIG)
        assert book(s, _ticket(s), offers[0], config=CONFIG, now=after) is not None
    with store.session(readonly=True) as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=after, config=CONFIG)
    assert offers[0].start == at(2026, 11, 24, 8) and offers[0].technician_id == techs["FAR"]
    assert offers[1].technician_id == techs["NEAR"]


def test_travel_time_and_lead_time_push_the_first_window(store, techs):
    with store.session(readonly=True) as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=at(2026, 11, 24, 7, 30),
                            config=CONFIG)
    # 07:30 + max(60 min lead, ETA) is past 08:00, so the first window is 10:00.
    assert offers[0].start == at(2026, 11, 24, 10)


def test_product_and_brand_filters(store, techs):
    with store.session(readonly=True) as s:
        locks = find_slots(s, brand="旗电佳", product="lock", adcode="410825", after=at(2026, 11, 24, 6), config=CONFIG)
        assert {o.technician_id for o in locks} == {techs["FAR"]}  # NEAR does safes only
        assert find_slots(s, brand="得力", product="safe", adcode="410825", after=at(2026, 11, 24, 6), config=CONFIG) == []
        # Outside every coverage area:
        assert find_slots(s, brand="丹斯提尼", product="safe", adcode="320506", after=at(2026, 11, 24, 6),
                          config=CONFIG) == []


def test_town_coverage(store, techs):
    after = at(2026, 11, 24, 6)
    with store.session(readonly=True) as s:
        covered = find_slots(s, brand="旗电佳", product="lock", adcode="441900", town="茶山镇", after=after, config=CONFIG)
        assert covered and covered[0].technician_id == techs["DG"]
        assert find_slots(s, brand="旗电佳", product="lock", adcode="441900", town="凤岗镇", after=after,
                          config=CONFIG) == []
        # Without a town, a town-level coverage cannot be assumed.
        assert find_slots(s, brand="旗电佳", product="lock", adcode="441900", after=after, config=CONFIG) == []


def test_every_day_technician_works_on_holidays(store, techs):
    with store.session(readonly=True) as s:
        offers = find_slots(s, brand="旗电佳", product="lock", adcode="441900", town="虎门镇",
                            after=at(2026, 9, 30, 18), config=CONFIG)
    assert offers[0].start == at(2026, 10, 1, 8)


def test_preferred_window(store, techs):
    tomorrow_afternoon = When(start=at(2026, 11, 25, 12), end=at(2026, 11, 25, 18))
    with store.session(readonly=True) as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=at(2026, 11, 24, 9),
                            prefer=tomorrow_afternoon, config=CONFIG)
        assert [o.start for o in offers] == [at(2026, 11, 25, 13), at(2026, 11, 25, 15)]
        evening = When(start=at(2026, 11, 25, 19), end=at(2026, 11, 25, 22))
        assert find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=at(2026, 11, 24, 9),
                          prefer=evening, config=CONFIG) == []
        asap = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=at(2026, 11, 24, 9),
                          prefer=When(asap=True), config=CONFIG)
        assert asap[0].start == at(2026, 11, 24, 13)


def test_naive_after_is_refused(store, techs):
    with store.session(readonly=True) as s, pytest.raises(ValueError):
        find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=datetime(2026, 11, 24), config=CONFIG)


# -- booking ------------------------------------------------------------------------------------------

def test_book_cancel_and_reschedule(store, techs):
    after = at(2026, 11, 24, 6)
    with store.session() as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=after, config=CONFIG)
        ticket = _ticket(s, brand="丹斯提尼", product="safe", adcode="410825")
        booking = book(s, ticket, offers[0], config=CONFIG, now=after)
        assert booking is not None and ticket.status == "booked"
        assert book(s, ticket, offers[0], config=CONFIG, now=after) is booking  # repeated press
        with pytest.raises(ValueError):
            book(s, ticket, offers[1], config=CONFIG, now=after)
        moved = reschedule(s, booking, offers[1], config=CONFIG, now=after)
        assert moved is not None and moved.id != booking.id
        assert booking.status == "rescheduled" and ticket.status == "booked"
        enqueue(s, key="r1", channel="web", chat_id="c1", kind="reminder_hour", reply=Reply("师傅一小时后到"),
                due_at=offers[1].start - timedelta(hours=1), ticket_id=ticket.id)
        assert cancel(s, moved, reason="不修了") is True
        assert cancel(s, moved) is False
        assert ticket.status == "cancelled" and moved.status == "cancelled"
        assert s.scalars(select(OutboxMessage.status)).one() == "cancelled"
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like("booking.%"))) == 2
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.sum(Slot.booked))) == 0  # every seat given back
        again = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=after, config=CONFIG)
        assert again[0].start == offers[0].start


def test_failed_reschedule_keeps_the_booking(store, techs):
    after = at(2026, 11, 24, 6)
    with store.session() as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=after, config=CONFIG)
        first, second = _ticket(s), _ticket(s)
        mine = book(s, first, offers[0], config=CONFIG, now=after)
        assert book(s, second, offers[1], config=CONFIG, now=after) is not None
        assert reschedule(s, mine, offers[1], config=CONFIG, now=after) is None  # taken
        assert mine.status == "confirmed" and first.active_booking is mine


def test_stale_or_forged_offers_are_refused(store, techs):
    after = at(2026, 11, 24, 6)
    with store.session() as s:
        offer = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=after, config=CONFIG)[0]
        ticket = _ticket(s)
        assert book(s, ticket, offer, config=CONFIG, now=offer.start + timedelta(minutes=1)) is None  # started
        forged = type(offer)(offer.technician_id, offer.technician_name, offer.start + timedelta(minutes=30),
                             offer.end + timedelta(minutes=30))
        assert book(s, ticket, forged, config=CONFIG, now=after) is None  # not a real window
        assert offer_from_ref(s, offer.ref, adcode="410825", config=CONFIG) == offer
        assert offer_from_ref(s, forged.ref, config=CONFIG) is None
        assert offer_from_ref(s, "garbage", config=CONFIG) is None
        assert ticket.status == "collecting"


def test_one_seat_twenty_concurrent_conversations(store, techs):
    """Twenty conversations press the same window at once: exactly one gets it, never two."""
    now = datetime.now(UTC)
    with store.session() as s:
        offer = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=now, count=1, config=CONFIG)[0]
        ticket_ids = [_ticket(s, brand="丹斯提尼", product="safe", adcode="410825").id for _ in range(20)]
    barrier = threading.Barrier(20)
    results: list[bool | None] = [None] * 20
    errors: list[BaseException] = []

    def press(i: int) -> None:
        try:
            barrier.wait()
            with store.session() as s:
                results[i] = book(s, s.get(Ticket, ticket_ids[i]), offer, config=CONFIG) is not None
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=press, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert results.count(True) == 1 and results.count(False) == 19
    with store.session(readonly=True) as s:
        slot = s.scalars(select(Slot)).one()
        assert (slot.booked, slot.capacity) == (1, 1)
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.status == "confirmed")) == 1
        assert s.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == "booked")) == 1


def test_capacity_two_takes_exactly_two(store, fake_distances):
    config = {**CONFIG, "technicians": [{**CONFIG["technicians"][0], "slot_capacity": 2}]}
    now = datetime.now(UTC)
    with store.session() as s:
        sync_from_config(s, config)
        offer = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=now, count=1, config=config)[0]
        outcomes = [book(s, _ticket(s), offer, config=config) is not None for _ in range(4)]
    assert outcomes == [True, True, False, False]


# -- technicians from config ----------------------------------------------------------------------------

def test_capacity_change_applies_to_future_windows_not_below_booked(store, fake_distances):
    near = CONFIG["technicians"][0]
    now = datetime.now(UTC)
    with store.session() as s:
        sync_from_config(s, {**CONFIG, "technicians": [{**near, "slot_capacity": 3}]})
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=now, count=2, config=CONFIG)
        for _ in range(2):
            assert book(s, _ticket(s), offers[0], config=CONFIG) is not None
        assert book(s, _ticket(s), offers[1], config=CONFIG) is not None
    with store.session() as s:
        sync_from_config(s, {**CONFIG, "technicians": [{**near, "slot_capacity": 1}]})
    with store.session(readonly=True) as s:
        capacities = sorted((slot.booked, slot.capacity) for slot in s.scalars(select(Slot)))
    assert capacities == [(1, 1), (2, 2)]


def test_base_may_be_place_text():
    config = {**CONFIG, "technicians": [{**CONFIG["technicians"][0], "base": "焦作市博爱县"}]}
    assert parse_technicians(config)[0].base_adcode == "410822"


def test_sync_is_idempotent_and_deactivates_removed(store):
    with store.session() as s:
        first = sync_from_config(s, CONFIG)
        assert sorted(first.added) == ["DG", "FAR", "NEAR"]
    with store.session() as s:
        assert sync_from_config(s, CONFIG).changed is False
    smaller = {**CONFIG, "technicians": [
        {**CONFIG["technicians"][0], "covers": ["410800", "410100"], "name": "近师傅改名"}]}
    with store.session() as s:
        report = sync_from_config(s, smaller)
        assert report.updated == ["NEAR"] and sorted(report.deactivated) == ["DG", "FAR"]
    with store.session(readonly=True) as s:
        near = s.scalars(select(Technician).where(Technician.code == "NEAR")).one()
        assert near.name == "近师傅改名" and near.phone == "13800000001"
        assert sorted(c.adcode for c in near.coverage) == ["410100", "410800"]
        assert s.scalar(select(func.count()).select_from(Technician).where(Technician.active.is_(True))) == 1
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "technicians.sync")) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base": "鼓楼区"}, "ambiguous"),
        ({"base": "火星基地"}, "not found"),
        ({"products": ["car"]}, "products"),
        ({"brands": ["不存在"]}, "unknown brands"),
        ({"covers": []}, "covers nothing"),
        ({"hours": {"days": "sometimes"}}, "hours.days"),
    ],
)
def test_bad_technician_entries_are_named(change, message):
    config = {**CONFIG, "technicians": [{**CONFIG["technicians"][0], **change}]}
    with pytest.raises(TechnicianConfigError, match=message):
        parse_technicians(config)


# -- the demo roster in config.yml, with the gazetteer's real distances ---------------------------------

def test_demo_roster_loads_and_every_base_has_coordinates(store):
    config = load_config()
    with store.session() as s:
        report = sync_from_config(s, config)
        assert 8 <= len(report.added) <= 20
        for tech in s.scalars(select(Technician)):
            assert regions.distance_km(tech.base_adcode, tech.base_adcode) == 0.0, tech.code
            assert tech.products and tech.coverage
            assert tech.phone.startswith("138000")  # demo numbers only


def test_demo_roster_nearest_first_in_dongguan(store):
    config = load_config()
    after = at(2026, 11, 24, 6)
    with store.session() as s:
        sync_from_config(s, config)
        codes = {t.id: t.code for t in s.scalars(select(Technician))}
        locks = find_slots(s, brand="旗电佳", product="lock", adcode="441900", town="茶山镇", after=after, config=config)
        safes = find_slots(s, brand="丹斯提尼", product="safe", adcode="441900", town="茶山镇", after=after, config=config)
    # Both Guangdong technicians are free at 08:00; the one based in 东莞 is nearer and does locks.
    assert locks[0].start == at(2026, 11, 24, 8) and codes[locks[0].technician_id] == "GD02"
    assert locks[0].distance_km == 0.0
    # He does not do safes: the 广州 technician comes, from farther away.
    assert {codes[o.technician_id] for o in safes} == {"GD01"}
    assert 30 < safes[0].distance_km < 80 and safes[0].eta_minutes > locks[0].eta_minutes


def _service_area_entries() -> list[tuple[str, dict]]:
    import yaml

    files = sorted((Path(regions.__file__).parent / "data" / "service_areas").glob("*.yml"))
    assert len(files) >= 2, "the service-area files of both brands must exist"
    entries = []
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries += [(data["brand"], e) for e in data["entries"] if e.get("adcode")]
    return entries


def test_every_seed_service_area_is_bookable_with_the_demo_roster(store):
    """Each county or town a brand serves has an active technician for each of the brand's products."""
    config = load_config()
    with store.session() as s:
        sync_from_config(s, config)
    entries = _service_area_entries()
    assert len(entries) > 600
    unserved = []
    with store.session(readonly=True) as s:
        for brand, entry in entries:
            for product in config["brands"][brand]["products"]:
                if not eligible_technicians(s, brand=brand, product=product, adcode=entry["adcode"],
                                            town=entry.get("town")):
                    unserved.append((brand, product, entry["raw"]))
    assert unserved == []
