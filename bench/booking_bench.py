"""Slot search and booking latency on SQLite and PostgreSQL with the demo technician roster.

``find_slots``: one read-only transaction per search (open, search, close) for counties spread over
the technicians' areas. ``book``: one transaction per booking (ticket, search, book, commit), which is
what a customer's button press costs. ``contended_book``: 20 conversations press the same one-seat
window at once (latency per press including the wait for the lock; ``winners`` must be 1). PostgreSQL is skipped with a note when unreachable.
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

from bench.stats import latency_summary
from bot.booking import book, find_slots
from bot.config import load_config
from bot.store.db import Database
from bot.store.models import Ticket
from bot.store.scratch import PG_HOST, PG_PORT, postgres_reachable, scratch_postgres_database
from bot.technicians import sync_from_config

SEARCHES = 300
BOOKINGS = 200


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _sample_counties(config: dict, k: int, seed: int = 7) -> list[tuple[str, str]]:
    """(adcode, product) pairs inside the roster's provinces, from the gazetteer."""
    import regions

    provinces = {c[:2] for t in config.get("technicians", []) for c in map(str, t.get("covers", []))}
    counties = sorted(code for code in regions.gazetteer().counties if code[:2] in provinces)
    rng = random.Random(seed)
    return [(rng.choice(counties), rng.choice(["safe", "lock"])) for _ in range(k)]


BRAND_OF = {"safe": "丹斯提尼", "lock": "旗电佳"}


def _measure(url: str) -> dict[str, object]:
    config = load_config()
    db = Database(url)
    try:
        db.upgrade()
        with db.session() as s:
            sync_from_config(s, config)
        now = datetime.now(UTC)
        places = _sample_counties(config, SEARCHES)
        it = iter(places)

        def search_once() -> None:
            adcode, product = next(it)
            with db.session(readonly=True) as s:
                find_slots(s, brand=BRAND_OF[product], product=product, adcode=adcode, after=now)

        with db.session(readonly=True) as s:  # warm caches (distances, mappers) outside the timing
            find_slots(s, brand="丹斯提尼", product="safe", adcode="410825", after=now)
        search = _timed(search_once, SEARCHES)

        booked = 0
        it = iter(_sample_counties(config, BOOKINGS, seed=11))

        def book_once() -> None:
            nonlocal booked
            adcode, product = next(it)
            brand = BRAND_OF[product]
            with db.session() as s:
                ticket = Ticket(status="collecting", brand=brand, product=product, adcode=adcode)
                s.add(ticket)
                offers = find_slots(s, brand=brand, product=product, adcode=adcode, after=now, count=1)
                if offers and book(s, ticket, offers[0]) is not None:
                    booked += 1

        booking = _timed(book_once, BOOKINGS)
        return {
            "find_slots": latency_summary(search),
            "book": latency_summary(booking),
            "booked": booked,
            "contended_book": _contended(url, now),
        }
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
        results["sqlite"] = _measure(f"sqlite:///{sqlite_path}")
        with pg_database() as pg_url:
            if pg_url is None:
                results["postgresql"] = {"skipped": f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable"}
            else:
                results["postgresql"] = _measure(pg_url)
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2))
