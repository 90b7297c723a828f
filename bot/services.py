"""The dialogs' read-only :class:`dialogs.Services`, answered from config, the gazetteer and the database."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dialogs import Catalog, CoverageView, Offer, PriceQuote, Progress
from nlu.types import When
from regions.place import Place

if TYPE_CHECKING:
    from bot.booking import SlotOffer


def catalog_from_config(config: dict[str, Any]) -> Catalog:
    """Products, faults, served brands and fault buttons as the dialogs see them."""
    products = {code: str(p.get("label", code)) for code, p in (config.get("products") or {}).items()}
    brands = {
        name: tuple(b.get("products") or ())
        for name, b in (config.get("brands") or {}).items()
        if b.get("supported")
    }
    choices = (config.get("dialog") or {}).get("fault_choices") or {}
    return Catalog(
        products=products,
        faults={code: str(label) for code, label in (config.get("faults") or {}).items()},
        brands=brands,
        fault_choices={product: tuple(codes) for product, codes in choices.items()},
    )


def price_quote(config: dict[str, Any], product: str | None, fault: str | None) -> PriceQuote:
    """The configured price range for a product and fault (range absent when either is unknown)."""
    prices = config.get("prices") or {}
    fee = int(prices.get("call_out_fee", 0))
    currency = str(prices.get("currency", "元"))
    note = prices.get("note")
    span = (prices.get(product or "") or {}).get(fault or "") if product and fault else None
    if span:
        return PriceQuote(call_out_fee=fee, low=int(span[0]), high=int(span[1]), currency=currency, note=note)
    return PriceQuote(call_out_fee=fee, currency=currency, note=note)


class DbServices:
    """Answers the dialogs' questions inside the engine's transaction. Reads only."""

    def __init__(self, session: Session, config: dict[str, Any], catalog: Catalog) -> None:
        self.session = session
        self.config = config
        self.catalog = catalog
        self.tz = ZoneInfo(str(config.get("timezone") or "Asia/Shanghai"))
        # Confirmed visits read in this step, by ticket id: asked twice in one step (a finished visit,
        # then progress) they cost one query, and the engine's TICKET view reuses them.
        self.visits: dict[int, Any] = {}

    def coverage(self, brand: str, product: str | None, place: Place) -> CoverageView:
        import regions

        cov = regions.covers(brand, place)
        towns = tuple(cov.towns or ())
        if cov.need_town and not towns:
            towns = tuple(regions.towns_of(place.adcode))
        return CoverageView(covered=cov.covered, reason=cov.reason, need_town=bool(cov.need_town), towns=towns)

    def towns_of(self, adcode: str) -> tuple[str, ...]:
        import regions

        return tuple(regions.towns_of(adcode))

    def offers(
        self, *, brand: str, product: str | None, place: Place, after: datetime, prefer: When | None, count: int = 3
    ) -> list[Offer]:
        from bot.booking import find_slots

        found = find_slots(
            self.session, brand=brand, product=product, adcode=place.adcode, town=place.town, after=after,
            count=count, prefer=prefer, config=self.config,
        )
        return [self._offer(o) for o in found]

    def urgent_offers(
        self, *, brand: str, product: str | None, place: Place, now: datetime, count: int = 1
    ) -> list[Offer]:
        """Technicians free now who would arrive today, soonest first (``arrive_by`` set); [] when none."""
        from bot.booking import urgent_offers

        found = urgent_offers(
            self.session, brand=brand, product=product, adcode=place.adcode, town=place.town, now=now,
            count=count, config=self.config,
        )
        return [self._offer(o) for o in found]

    def _offer(self, o: SlotOffer) -> Offer:
        """A booking :class:`bot.booking.SlotOffer` as the dialogs see it (times in local time)."""
        arrive_by = o.arrive_by.astimezone(self.tz) if o.arrive_by is not None else None
        return Offer(ref=o.ref, technician=o.technician_name, start=o.start.astimezone(self.tz),
                     end=o.end.astimezone(self.tz), distance_km=o.distance_km, eta_minutes=o.eta_minutes,
                     arrive_by=arrive_by)

    def progress(self, ticket_id: int | None) -> Progress | None:
        from bot.booking.visits import confirmed_visit
        from bot.store.models import Ticket

        ticket = self.session.get(Ticket, ticket_id) if ticket_id is not None else None
        if ticket is None:
            return None
        if ticket.id not in self.visits:
            self.visits[ticket.id] = confirmed_visit(self.session, ticket.id)
        visit = self.visits[ticket.id]
        if visit is None:
            return Progress(status=ticket.status)
        return Progress(status=ticket.status, technician=visit.name, start=visit.start.astimezone(self.tz),
                        end=visit.end.astimezone(self.tz), eta_minutes=visit.eta_minutes)

    def price(self, product: str | None, fault: str | None) -> PriceQuote:
        return price_quote(self.config, product, fault)
