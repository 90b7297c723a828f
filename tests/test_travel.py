"""Travel time and travel buffers: one technician is never booked into two places at once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

import bot.booking.travel as travel
from bot.booking import book, find_slots
from bot.booking.itinerary import Visit, busy, fits
from bot.booking.settings import parse_settings
from bot.store.models import Booking, Technician, Ticket
from bot.technicians import sync_from_config

TZ = ZoneInfo("Asia/Shanghai")
WENXIAN, BOAI, XINYANG = "410825", "410822", "411502"  # 温县 and 博爱 (焦作), 浉河区 (信阳, ~300 km away)
CONFIG = {
    "timezone": "Asia/Shanghai",
    "products": {"safe": {"label": "保险柜"}, "lock": {"label": "智能锁"}},
    "brands": {"丹斯提尼": {"supported": True, "products": ["safe"]}},
    "hours": {"days": "workdays", "open": "08:00", "close": "18:00", "lunch": "12:00-13:00", "slot_minutes": 120},
    "holidays": {"calendar": "chinese", "closed": []},
    "booking": {"offers": 3, "horizon_days": 14, "min_lead_minutes": 60, "slot_capacity": 1, "road_speed_kmh": 45,
                "road_factor": 1.3, "travel_floor_minutes": 10, "eta_buffer_minutes": 20, "visit_minutes": 60},
    "technicians": [{"code": "ONE", "name": "独师傅", "base": "410105", "products": ["safe"], "brands": ["丹斯提尼"],
                     "covers": ["410000"]}],
}
KM = {frozenset({"410105", WENXIAN}): 80.0, frozenset({"410105", XINYANG}): 250.0,
      frozenset({WENXIAN, XINYANG}): 300.0, frozenset({WENXIAN, BOAI}): 25.0, frozenset({"410105", BOAI}): 70.0}
TUESDAY = datetime(2026, 11, 24, tzinfo=TZ)
MONDAY_EVENING = datetime(2026, 11, 23, 18, 0, tzinfo=TZ)


def at(hour: int, day: datetime = TUESDAY) -> datetime:
    return day.replace(hour=hour)


@pytest.fixture
def known_distances(monkeypatch):
    monkeypatch.setattr(travel, "distance_km", lambda a, b: 0.0 if a == b else KM.get(frozenset({a, b})))


@pytest.fixture
def one_technician(store, known_distances) -> int:
    with store.session() as s:
        sync_from_config(s, CONFIG)
        return s.scalars(select(Technician.id)).one()


def _ticket(s, adcode: str) -> Ticket:
    ticket = Ticket(status="collecting", brand="丹斯提尼", product="safe", adcode=adcode)
    s.add(ticket)
    s.flush()
    return ticket


# -- the travel-time model ----------------------------------------------------------------------------

def test_travel_time_is_road_distance_at_road_speed_with_a_floor_and_a_buffer():
    cfg = parse_settings(CONFIG)
    assert cfg.eta_minutes(45.0) == round(45 * 1.3 / 45 * 60) + 20  # 78
    assert cfg.eta_minutes(0.0) == 10 + 20  # next door: the floor
    assert cfg.eta_minutes(None) is None
    faster = parse_settings({**CONFIG, "booking": {**CONFIG["booking"], "road_speed_kmh": 90, "road_factor": 1.0}})
    assert faster.eta_minutes(45.0) == 30 + 20


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [("road_speed_kmh", 0, "road_speed_kmh: expected a number > 0"),
     ("road_factor", "fast", "road_factor: expected a number"),
     ("travel_floor_minutes", -5, "travel_floor_minutes: expected an integer >= 0"),
     ("visit_minutes", 1.5, "visit_minutes: expected an integer"),
     ("slot_capacity", True, "slot_capacity: expected an integer")],
)
def test_bad_booking_settings_name_the_key(key, value, words):
    with pytest.raises(ValueError, match=words):
        parse_settings({**CONFIG, "booking": {**CONFIG["booking"], key: value}})


def test_a_technician_with_home_coordinates_travels_from_there(store):
    config = {**CONFIG, "technicians": []}
    with store.session() as s:
        sync_from_config(s, config)
        tech = Technician(code="GPS", name="定位师傅", base_adcode="410105", products=["safe"], brands=[],
                          home_lat=34.94, home_lon=113.08, source="import")  # in 温县, not in 郑州
        s.add(tech)
        s.flush()
        assert travel.home_of(tech) == (34.94, 113.08)
        assert travel.km_from(travel.home_of(tech), WENXIAN) < 10 < travel.km_from("410105", WENXIAN)


# -- a day as a route ---------------------------------------------------------------------------------

def _gap(a, b):
    return parse_settings(CONFIG).eta_minutes(0.0 if a == b else KM[frozenset({a, b})])


def test_a_route_fits_when_every_arrival_is_inside_its_window():
    morning, late_morning = Visit(at(8), at(10), WENXIAN), Visit(at(10), at(12), BOAI)
    assert fits([morning, late_morning], _gap, 60)  # 09:00 done, 25 km: there by 10:00
    assert not fits([morning, Visit(at(10), at(12), XINYANG)], _gap, 60)  # 300 km: 18:00 at the earliest
    assert fits([Visit(at(8), at(10), WENXIAN), Visit(at(8), at(10), WENXIAN)], _gap, 60)  # capacity 2, one place
    assert not fits([Visit(at(8), at(10), WENXIAN), Visit(at(8), at(10), BOAI)], _gap, 60)  # 60 + 63 > 120
    urgent = Visit(at(13), at(13).replace(minute=40), WENXIAN, urgent=True)
    assert not fits([urgent, Visit(at(13), at(15), XINYANG)], _gap, 60)
    assert busy([morning], at(10).replace(minute=30), at(12), 60)  # may still be there until 11:00
    assert not busy([morning], at(11), at(12), 60)


# -- search and booking -------------------------------------------------------------------------------

def test_a_far_visit_in_an_adjacent_window_is_not_offered(store, one_technician):
    with store.session() as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode=WENXIAN, after=MONDAY_EVENING, config=CONFIG)
        ten = next(o for o in offers if o.start == at(10))
        assert book(s, _ticket(s, WENXIAN), ten, config=CONFIG, now=MONDAY_EVENING) is not None
    with store.session(readonly=True) as s:
        far = find_slots(s, brand="丹斯提尼", product="safe", adcode=XINYANG, after=MONDAY_EVENING, config=CONFIG)
        near = find_slots(s, brand="丹斯提尼", product="safe", adcode=BOAI, after=MONDAY_EVENING, config=CONFIG)
    # 300 km from the 10:00 visit: nothing on Tuesday; Wednesday morning is free again.
    assert [o.start for o in far] == [at(8, TUESDAY + timedelta(days=1)), at(10, TUESDAY + timedelta(days=1)),
                                      at(13, TUESDAY + timedelta(days=1))]
    # 25 km away the adjacent windows still work.
    assert [o.start for o in near] == [at(8), at(13), at(15)]


def test_booking_a_window_the_route_cannot_reach_is_refused(store, one_technician):
    with store.session() as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode=XINYANG, after=MONDAY_EVENING, config=CONFIG)
        eight, ten = offers[0], offers[1]
        assert (eight.start, ten.start) == (at(8), at(10))
        assert book(s, _ticket(s, XINYANG), eight, config=CONFIG, now=MONDAY_EVENING) is not None
        # The 10:00 window was offered for 信阳 before anything was booked; for 温县 it is out of reach.
        assert book(s, _ticket(s, WENXIAN), ten, config=CONFIG, now=MONDAY_EVENING) is None
        assert book(s, _ticket(s, XINYANG), ten, config=CONFIG, now=MONDAY_EVENING) is not None  # same place: fine


def test_two_far_bookings_in_adjacent_windows_at_once_never_both_succeed(store, one_technician):
    """Two conversations book the technician at 08:00 (温县) and 10:00 (信阳, 300 km) at the same moment."""
    with store.session() as s:
        eight = find_slots(s, brand="丹斯提尼", product="safe", adcode=WENXIAN, after=MONDAY_EVENING, count=1,
                           config=CONFIG)[0]
        ten = find_slots(s, brand="丹斯提尼", product="safe", adcode=XINYANG, after=MONDAY_EVENING, config=CONFIG)[1]
        assert (eight.start, ten.start) == (at(8), at(10))
        pairs = [pair for _ in range(3) for pair in ((eight, _ticket(s, WENXIAN).id), (ten, _ticket(s, XINYANG).id))]
    barrier = threading.Barrier(len(pairs))
    results: list[bool] = []
    errors: list[BaseException] = []

    def press(offer, ticket_id: int) -> None:
        try:
            barrier.wait()
            with store.session() as s:
                results.append(book(s, s.get(Ticket, ticket_id), offer, config=CONFIG, now=MONDAY_EVENING) is not None)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=press, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert results.count(True) == 1
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.status == "confirmed")) == 1


def test_rescheduling_does_not_stand_in_its_own_way(store, one_technician):
    from bot.booking import reschedule

    with store.session() as s:
        offers = find_slots(s, brand="丹斯提尼", product="safe", adcode=XINYANG, after=MONDAY_EVENING, config=CONFIG)
        ticket = _ticket(s, XINYANG)
        booking = book(s, ticket, offers[0], config=CONFIG, now=MONDAY_EVENING)
        moved = reschedule(s, booking, offers[1], config=CONFIG, now=MONDAY_EVENING)
        assert moved is not None and moved.id != booking.id
