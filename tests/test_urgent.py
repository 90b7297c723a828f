"""Urgent same-day offers: who is free now, by when he arrives, booking them through the BookSlot path."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import bot.booking.travel as travel
from bot.booking import book, find_slots, offer_from_ref, urgent_offers
from bot.booking.offers import parse_ref
from bot.config import load_config
from bot.effects import EffectApplier, SlotUnavailable
from bot.services import DbServices, catalog_from_config
from bot.store.db import lock_conversation
from bot.store.models import Booking, Slot, Technician, Ticket
from bot.technicians import sync_from_config, sync_roster
from dialogs import BookSlot
from regions.place import Place

TZ = ZoneInfo("Asia/Shanghai")
WENXIAN, BOAI, JIAOZUO = "410825", "410822", "410811"
CONFIG = {
    "timezone": "Asia/Shanghai",
    "products": {"safe": {"label": "保险柜"}, "lock": {"label": "智能锁"}},
    "brands": {"旗电佳": {"supported": True, "products": ["lock"]}},
    "hours": {"days": "workdays", "open": "08:00", "close": "18:00", "lunch": "12:00-13:00", "slot_minutes": 120},
    "holidays": {"calendar": "chinese", "closed": []},
    "booking": {"offers": 3, "horizon_days": 14, "min_lead_minutes": 60, "slot_capacity": 1, "road_speed_kmh": 45,
                "road_factor": 1.3, "travel_floor_minutes": 10, "eta_buffer_minutes": 20, "visit_minutes": 60,
                "urgent_slack_minutes": 5},
    "technicians": [
        {"code": "NEAR", "name": "近师傅", "base": BOAI, "products": ["lock"], "brands": ["旗电佳"], "covers": ["410800"]},
        {"code": "FAR", "name": "远师傅", "base": "410105", "products": ["lock"], "brands": ["旗电佳"],
         "covers": ["410000"]},
    ],
}
KM = {frozenset({BOAI, WENXIAN}): 25.0, frozenset({"410105", WENXIAN}): 80.0, frozenset({BOAI, JIAOZUO}): 30.0,
      frozenset({"410105", JIAOZUO}): 70.0, frozenset({WENXIAN, JIAOZUO}): 100.0}
TUESDAY_2PM = datetime(2026, 11, 24, 14, 0, tzinfo=TZ)


@pytest.fixture
def techs(store, monkeypatch) -> dict[str, int]:
    monkeypatch.setattr(travel, "distance_km", lambda a, b: 0.0 if a == b else KM.get(frozenset({a, b})))
    with store.session() as s:
        sync_from_config(s, CONFIG)
        return {t.code: t.id for t in s.scalars(select(Technician))}


def _ticket(s, adcode: str = WENXIAN) -> Ticket:
    ticket = Ticket(status="collecting", brand="旗电佳", product="lock", adcode=adcode)
    s.add(ticket)
    s.flush()
    return ticket


def _urgent(s, now=TUESDAY_2PM, adcode=WENXIAN, count=2):
    return urgent_offers(s, brand="旗电佳", product="lock", adcode=adcode, now=now, count=count, config=CONFIG)


# -- who is offered -----------------------------------------------------------------------------------

def test_weekday_afternoon_nearest_free_technician_first_with_an_arrival_time(store, techs):
    with store.session(readonly=True) as s:
        near, far = _urgent(s)
    # 25 km: 43 min drive + 20 = 63 min; promised 14:00 + 63 + 5 slack → 15:08 → "15:10 前到达".
    assert (near.technician_id, near.eta_minutes, near.start, near.arrive_by) == (
        techs["NEAR"], 63, TUESDAY_2PM, TUESDAY_2PM.replace(hour=15, minute=10))
    assert far.technician_id == techs["FAR"] and far.arrive_by > near.arrive_by
    assert near.urgent and near.label == "11月24日 15:10 前到达，约 63 分钟"


@pytest.mark.parametrize(
    "now",
    [datetime(2026, 11, 24, 23, 0, tzinfo=TZ),  # night
     datetime(2026, 11, 24, 7, 30, tzinfo=TZ),  # before opening
     datetime(2026, 11, 24, 17, 30, tzinfo=TZ),  # would arrive after closing
     datetime(2026, 11, 28, 14, 0, tzinfo=TZ),  # Saturday
     datetime(2026, 10, 1, 14, 0, tzinfo=TZ)],  # 国庆节
)
def test_nothing_outside_working_hours(store, techs, now):
    with store.session(readonly=True) as s:
        assert _urgent(s, now=now) == []


def test_a_technician_with_a_visit_in_progress_is_not_free(store, techs):
    with store.session() as s:
        windows = find_slots(s, brand="旗电佳", product="lock", adcode=WENXIAN, after=TUESDAY_2PM - timedelta(hours=8),
                             config=CONFIG)
        one_pm = next(o for o in windows if o.start.hour == 13 and o.technician_id == techs["NEAR"])
        assert book(s, _ticket(s), one_pm, config=CONFIG, now=TUESDAY_2PM - timedelta(hours=8)) is not None
    with store.session(readonly=True) as s:
        offers = _urgent(s)
        assert [o.technician_id for o in offers] == [techs["FAR"]]  # NEAR may be on site until 16:00
        # At 16:10 his 13:00-15:00 visit is certainly over: he leaves from 温县 itself (0 km, 30 min).
        later = _urgent(s, now=TUESDAY_2PM.replace(hour=16, minute=10))
        assert later[0].technician_id == techs["NEAR"] and later[0].distance_km == 0.0
        assert later[0].eta_minutes == 30
        # Pressed, the offer comes back with the same distance and ETA (what the booking row records).
        assert offer_from_ref(s, later[0].ref, adcode=WENXIAN, config=CONFIG) == later[0]


def test_nobody_free_today_gives_nothing(store, techs):
    with store.session() as s:
        for code in ("NEAR", "FAR"):
            tech_id = techs[code]
            offer = next(o for o in _urgent(s) if o.technician_id == tech_id)
            assert book(s, _ticket(s), offer, config=CONFIG, now=TUESDAY_2PM) is not None
    with store.session(readonly=True) as s:
        assert _urgent(s) == []


# -- booking through the BookSlot path ------------------------------------------------------------------

def test_an_urgent_offer_books_through_the_effects_like_a_window(store, techs):
    with store.session() as s:
        services = DbServices(s, CONFIG, catalog_from_config(CONFIG))
        offer = services.urgent_offers(brand="旗电佳", product="lock", now=TUESDAY_2PM,
                                       place=Place(WENXIAN, "河南省", "焦作市", "温县"))[0]
        assert offer.arrive_by == offer.end and offer.ref.startswith(f"U{techs['NEAR']}@")
        conv = lock_conversation(s, "web", "urgent-1")
        ticket = _ticket(s)
        ticket.conversation_id = conv.id
        applier = EffectApplier(s, conv, ticket, CONFIG, TUESDAY_2PM + timedelta(minutes=1))
        applier.apply([BookSlot(offer)])
        assert ticket.status == "booked"
        slot = s.scalars(select(Slot)).one()
        assert (slot.kind, slot.start, slot.end) == ("urgent", offer.start, offer.arrive_by)
        assert ticket.active_booking.eta_minutes == 63
        # The booked visit keeps the same technician from a window he could no longer reach (15:00, 100 km).
        windows = find_slots(s, brand="旗电佳", product="lock", adcode=JIAOZUO, after=TUESDAY_2PM - timedelta(hours=8),
                             config=CONFIG)
        afternoon = [o for o in windows if o.start.date() == TUESDAY_2PM.date() and o.start.hour >= 13]
        assert afternoon and all(o.technician_id == techs["FAR"] for o in afternoon)


def test_urgent_refs_round_trip_and_forgeries_are_refused(store, techs):
    with store.session() as s:
        offer = _urgent(s)[0]
        assert parse_ref(offer.ref).arrive_by == offer.arrive_by
        assert offer_from_ref(s, offer.ref, adcode=WENXIAN, config=CONFIG) == offer
        sunday = offer.ref.replace("2026-11-24", "2026-11-29")
        assert offer_from_ref(s, sunday, config=CONFIG) is None
        for garbage in ("U", "U12@", f"U{techs['NEAR']}@2026-11-24T14:00+08:00", "U1@2026-11-24T14:00/15:00",
                        f"U{techs['NEAR']}@2026-11-24T15:00+08:00/2026-11-24T14:00+08:00"):
            assert offer_from_ref(s, garbage, config=CONFIG) is None
        # A promise no one can keep: arriving 10 minutes after leaving, 25 km away.
        quick = offer.ref.replace("T15:10", "T14:10")
        forged = offer_from_ref(s, quick, adcode=WENXIAN, config=CONFIG)
        assert forged is not None and book(s, _ticket(s), forged, config=CONFIG, now=TUESDAY_2PM) is None


def test_a_stale_urgent_offer_is_refused_when_the_promise_cannot_be_kept(store, techs):
    with store.session() as s:
        offer = _urgent(s)[0]  # arrive by 15:10, 63 minutes away
        assert book(s, _ticket(s), offer, config=CONFIG, now=TUESDAY_2PM + timedelta(minutes=20)) is None
        assert book(s, _ticket(s), offer, config=CONFIG, now=TUESDAY_2PM + timedelta(minutes=3)) is not None


def test_a_customer_outside_his_area_cannot_book_him_urgently(store, techs):
    with store.session() as s:
        offer = _urgent(s)[0]  # NEAR covers 焦作 only
        assert book(s, _ticket(s, "410105"), offer, config=CONFIG, now=TUESDAY_2PM) is None
        with pytest.raises(SlotUnavailable):
            conv = lock_conversation(s, "web", "urgent-2")
            EffectApplier(s, conv, _ticket(s, "410105"), CONFIG, TUESDAY_2PM).apply([BookSlot(
                DbServices(s, CONFIG, catalog_from_config(CONFIG)).urgent_offers(
                    brand="旗电佳", product="lock", now=TUESDAY_2PM, place=Place(WENXIAN, "河南省", "焦作市", "温县"))[0])])


def test_ten_customers_press_the_same_urgent_offer_at_once(store, techs):
    with store.session() as s:
        near = _urgent(s)[0]
        ids = [_ticket(s).id for _ in range(8)] + [_ticket(s, JIAOZUO).id for _ in range(2)]
        other = _urgent(s, adcode=JIAOZUO)[0]  # the same technician, elsewhere, at the same moment
        assert other.technician_id == near.technician_id
    offers = [near] * 8 + [other] * 2
    barrier = threading.Barrier(len(ids))
    results: list[bool] = []
    errors: list[BaseException] = []

    def press(ticket_id: int, offer) -> None:
        try:
            barrier.wait()
            with store.session() as s:
                results.append(book(s, s.get(Ticket, ticket_id), offer, config=CONFIG, now=TUESDAY_2PM) is not None)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=press, args=pair) for pair in zip(ids, offers, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert results.count(True) == 1
    with store.session(readonly=True) as s:
        assert len(s.scalars(select(Booking).where(Booking.status == "confirmed")).all()) == 1


def test_an_urgent_departure_never_shares_a_start_with_his_window(store, techs):
    """At 13:00 sharp (a window start) the urgent visit leaves at 13:01: slot rows are keyed by start."""
    one_pm = TUESDAY_2PM.replace(hour=13)
    with store.session() as s:
        offer = next(o for o in _urgent(s, now=one_pm) if o.technician_id == techs["NEAR"])
        assert offer.start == one_pm + timedelta(minutes=1)
        assert book(s, _ticket(s), offer, config=CONFIG, now=one_pm) is not None


# -- the real roster -----------------------------------------------------------------------------------

def test_lockout_in_haicang_at_two_on_a_weekday_gets_a_local_technician_within_the_hour(store):
    """The issue's case: 旗电佳 smart lock, 厦门海沧区, Tuesday 14:00; 23:00 the same day: nothing."""
    config = load_config()
    with store.session() as s:
        sync_roster(s, config)
        services = DbServices(s, config, catalog_from_config(config))
        place = Place("350205", "福建省", "厦门市", "海沧区")
        offers = services.urgent_offers(brand="旗电佳", product="lock", place=place, now=TUESDAY_2PM, count=3)
        assert offers and offers[0].eta_minutes < 60
        assert TUESDAY_2PM < offers[0].arrive_by <= TUESDAY_2PM + timedelta(hours=1)
        assert offers[0].arrive_by.utcoffset() == timedelta(hours=8)
        assert [o.arrive_by for o in offers] == sorted(o.arrive_by for o in offers)
        night = TUESDAY_2PM.replace(hour=23)
        assert services.urgent_offers(brand="旗电佳", product="lock", place=place, now=night) == []
