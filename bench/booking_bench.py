"""Slot search and booking latency on SQLite and PostgreSQL with the full roster (config.yml technicians
plus the generated demo roster; ``roster_size`` is the number of active technicians).

``roster_sync_ms``: the start-up sync of that roster: ``first`` into an empty database, ``again`` with
nothing to change (reading and checking the demo CSV included, as in a fresh process).
``find_slots``: one read-only transaction per search (open, search, close) for served places drawn
from the brands' service areas (town included where the entry has one). ``urgent_offers``: the same
for same-day urgent offers at a fixed weekday 14:00. ``book``: one transaction per booking (ticket,
search, book, commit), which is what a customer's button press costs. ``contended_book``: 20
conversations press the same one-seat window at once (latency per press including the wait for the
lock; ``winners`` must be 1). ``reach`` (SQLite only, the same on both): travel minutes from each
served place to its nearest eligible technician. PostgreSQL is skipped with a note when unreachable.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bench.stats import latency_summary
from bot.booking import book, eligible_technicians, find_slots, urgent_offers
from bot.booking.settings import parse_settings
from bot.booking.travel import home_of, km_from
from bot.config import load_config
from bot.store.db import Database
from bot.store.models import Technician, Ticket
from bot.store.scratch import PG_HOST, PG_PORT, postgres_reachable, scratch_postgres_database
from bot.technicians import sync_roster

SEARCHES = 300
BOOKINGS = 200


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _served_places(config: dict) -> list[tuple[str, str, str, str | None]]:
    """(brand, product, adcode, town) of every resolved service-area entry of the supported brands."""
    from regions.coverage import service_areas

    places = []
    for brand, area in sorted(service_areas().items()):
        spec = (config.get("brands") or {}).get(brand) or {}
        if not spec.get("supported"):
            continue
        for entry in area.entries:
            if entry.adcode and entry.status != "unresolved":
                places += [(brand, product, entry.adcode, entry.town) for product in spec.get("products") or ()]
    return places


def _sample(places: list, k: int, seed: int) -> list:
    rng = random.Random(seed)
    return [rng.choice(places) for _ in range(k)]


def _sync_times(db: Database, config: dict) -> dict[str, float]:
    """Start-up sync into the empty database, then again with nothing to change (CSV re-read each time)."""
    from bot.roster import demo

    times = {}
    for label in ("first", "again"):
        demo._load.cache_clear()  # a fresh process reads and checks the file
        start = time.perf_counter()
        with db.session() as s:
            sync_roster(s, config)
        times[label] = round((time.perf_counter() - start) * 1000, 1)
    return times


def _reach(db: Database, config: dict, places: list) -> dict[str, object]:
    """Travel minutes from each served place to its nearest eligible technician (the booking's model)."""
    cfg = parse_settings(config)
    etas = []
    with db.session(readonly=True) as s:
        for brand, product, adcode, town in places:
            techs = eligible_technicians(s, brand=brand, product=product, adcode=adcode, town=town)
            etas.append(min((cfg.eta_minutes(km_from(home_of(t), adcode)) or 10**6 for t in techs), default=None))
    known = sorted(e for e in etas if e is not None)

    def pick(q: float) -> int:
        return known[min(len(known) - 1, round(q * (len(known) - 1)))]

    return {
        "places": len(places), "unserved": len(etas) - len(known),
        "eta_minutes": {"p10": pick(0.1), "p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": known[-1]},
        "under_60_min": round(sum(e < 60 for e in known) / len(known), 3),
    }  # fmt: skip


def _measure(url: str, *, reach: bool = False) -> dict[str, object]:
    config = load_config()
    db = Database(url)
    try:
        db.upgrade()
        sync_ms = _sync_times(db, config)
        with db.session(readonly=True) as s:
            roster_size = s.scalar(select(func.count()).select_from(Technician).where(Technician.active.is_(True)))
        now = datetime.now(UTC)
        places = _served_places(config)
        it = iter(_sample(places, SEARCHES, seed=7))

        def search_once() -> None:
            brand, product, adcode, town = next(it)
            with db.session(readonly=True) as s:
                find_slots(s, brand=brand, product=product, adcode=adcode, town=town, after=now)

        with db.session(readonly=True) as s:  # warm caches (distances, mappers) outside the timing
            find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=now)
        search = _timed(search_once, SEARCHES)

        afternoon = datetime(2026, 11, 24, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a weekday 14:00
        it = iter(_sample(places, SEARCHES, seed=9))

        def urgent_once() -> None:
            brand, product, adcode, town = next(it)
            with db.session(readonly=True) as s:
                urgent_offers(s, brand=brand, product=product, adcode=adcode, town=town, now=afternoon, count=3)

        urgent = _timed(urgent_once, SEARCHES)

        booked = 0
        it = iter(_sample(places, BOOKINGS, seed=11))

        def book_once() -> None:
            nonlocal booked
            brand, product, adcode, town = next(it)
            with db.session() as s:
                ticket = Ticket(status="collecting", brand=brand, product=product, adcode=adcode, town=town)
                s.add(ticket)
                offers = find_slots(s, brand=brand, product=product, adcode=adcode, town=town, after=now, count=1)
                if offers and book(s, ticket, offers[0]) is not None:
                    booked += 1

        booking = _timed(book_once, BOOKINGS)
        result: dict[str, object] = {
            "roster_size": roster_size,
            "roster_sync_ms": sync_ms,
            "find_slots": latency_summary(search),
            "urgent_offers": latency_summary(urgent),
            "book": latency_summary(booking),
            "booked": booked,
            "contended_book": _contended(url, now),
        }
        if reach:
            result["reach"] = _reach(db, config, places)
        return result
    finally:
        db.dispose()


def _contended(url: str, now: datetime, presses: int = 20) -> dict[str, object]:
    """``presses`` conversations book the same one-seat window at once: latency per press, winners.

    The pool holds a warm connection per thread, so the figure is the wait for the lock, not connects.
    """
    db = Database(url, pool_size=presses, max_overflow=0)
    warm = [db.engine.connect() for _ in range(presses)]
    for conn in warm:
        conn.close()
    try:
        return _press_together(db, now, presses)
    finally:
        db.dispose()


def _press_together(db: Database, now: datetime, presses: int) -> dict[str, object]:
    with db.session() as s:
        offer = find_slots(s, brand="旗电佳", product="lock", adcode="441900", town="虎门镇", after=now, count=1)[0]
        tickets = [Ticket(status="collecting", brand="旗电佳", product="lock", adcode="441900") for _ in range(presses)]
        s.add_all(tickets)
        s.flush()
        ids = [t.id for t in tickets]
    barrier = threading.Barrier(presses)
    samples: list[float] = []
    winners: list[int] = []

    def press(ticket_id: int) -> None:
        barrier.wait()
        start = time.perf_counter()
        with db.session() as s:
            won = book(s, s.get(Ticket, ticket_id), offer) is not None
        samples.append((time.perf_counter() - start) * 1000)
        if won:
            winners.append(ticket_id)

    threads = [threading.Thread(target=press, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {**latency_summary(samples), "winners": len(winners)}


@contextmanager
def private_data_dir() -> Iterator[None]:
    """Generated keys and the SQLite file go to a temporary directory, not ./data."""
    previous = os.environ.get("REPAIRBOT_DATA")
    with tempfile.TemporaryDirectory(prefix="repairbot-bench-") as tmp:
        os.environ["REPAIRBOT_DATA"] = tmp
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("REPAIRBOT_DATA", None)
            else:
                os.environ["REPAIRBOT_DATA"] = previous


@contextmanager
def pg_database() -> Iterator[str | None]:
    """A scratch PostgreSQL database URL, or None when the server is unreachable."""
    if not postgres_reachable():
        yield None
        return
    with scratch_postgres_database("repairbot_bench") as url:
        yield url


def run() -> dict[str, object]:
    """Latency percentiles per backend (see module docstring)."""
    results: dict[str, object] = {}
    with private_data_dir():
        sqlite_path = Path(os.environ["REPAIRBOT_DATA"]) / "bench.sqlite3"
        results["sqlite"] = _measure(f"sqlite:///{sqlite_path}", reach=True)
        with pg_database() as pg_url:
            if pg_url is None:
                results["postgresql"] = {"skipped": f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable"}
            else:
                results["postgresql"] = _measure(pg_url)
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2))
