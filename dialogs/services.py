"""What the dialogs may ask the outside world, as a read-only protocol, and the values it answers with.

The engine implements :class:`Services` over the database, the gazetteer and the booking module; tests
implement it with plain fakes. Nothing here writes: changes travel back as effects (see ``effects.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from nlu.types import When
from regions.place import Place


@dataclass(frozen=True, slots=True)
class CoverageView:
    """Whether a brand's service area includes a place.

    ``covered`` is ``None`` when the answer needs a town first (``need_town``; ``towns`` lists the
    choices) or when no service-area list exists for the brand.
    """

    covered: bool | None
    reason: str | None = None
    need_town: bool = False
    towns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Offer:
    """One bookable visit window with the technician who would come.

    ``ref`` is opaque to the dialogs: the engine uses it to find the slot again when booking.
    """

    ref: str
    technician: str
    start: datetime
    end: datetime
    distance_km: float | None = None
    eta_minutes: int | None = None
    # Urgent same-day visits: the technician leaves now and arrives by this moment (None for windows).
    arrive_by: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "technician": self.technician,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "distance_km": self.distance_km,
            "eta_minutes": self.eta_minutes,
            "arrive_by": self.arrive_by.isoformat() if self.arrive_by else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Offer:
        return cls(
            ref=str(data["ref"]),
            technician=str(data["technician"]),
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            distance_km=data.get("distance_km"),
            eta_minutes=data.get("eta_minutes"),
            arrive_by=datetime.fromisoformat(data["arrive_by"]) if data.get("arrive_by") else None,
        )


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a booked visit stands, as far as the system knows (no live tracking)."""

    status: str
    technician: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    eta_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class PriceQuote:
    """A price range for one product and fault, plus the call-out fee charged for any visit."""

    call_out_fee: int
    low: int | None = None
    high: int | None = None
    currency: str = "元"
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Catalog:
    """Labels and choices the dialogs show: products, faults and the brands we service."""

    products: dict[str, str] = field(default_factory=dict)  # code -> label, e.g. safe -> 保险柜
    faults: dict[str, str] = field(default_factory=dict)  # code -> label
    brands: dict[str, tuple[str, ...]] = field(default_factory=dict)  # supported brand -> product codes
    # Faults worth offering as buttons per product, in display order (others are still understood).
    fault_choices: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def product_label(self, code: str | None) -> str:
        return self.products.get(code or "", "设备")

    def fault_label(self, code: str | None) -> str:
        return self.faults.get(code or "", "故障")

    def products_of(self, brand: str | None) -> tuple[str, ...]:
        return self.brands.get(brand or "", ())


class Services(Protocol):
    """Read-only questions the dialogs ask; implemented by the engine, faked in tests."""

    catalog: Catalog

    def coverage(self, brand: str, product: str | None, place: Place) -> CoverageView:
        """Is ``place`` (with its town, if any) inside the brand's service area?"""
        ...

    def towns_of(self, adcode: str) -> tuple[str, ...]:
        """Every town of a city without counties (东莞, 中山 …), served or not; empty elsewhere."""
        ...

    def offers(
        self, *, brand: str, product: str | None, place: Place, after: datetime, prefer: When | None, count: int = 3
    ) -> list[Offer]:
        """The earliest free visit windows (nearest technician first within a window), at most ``count``."""
        ...

    def urgent_offers(self, *, brand: str, product: str | None, place: Place, now: datetime,
                      count: int = 1) -> list[Offer]:
        """Same-day arrivals for an urgent request: the nearest free technicians who can leave now,
        each offer carrying ``arrive_by``; empty outside working hours or when nobody is free today."""
        ...

    def progress(self, ticket_id: int | None) -> Progress | None:
        """The current state of the ticket's booked visit, or ``None`` when there is no ticket."""
        ...

    def price(self, product: str | None, fault: str | None) -> PriceQuote:
        """Price range for a product and fault from the configured price list."""
        ...
