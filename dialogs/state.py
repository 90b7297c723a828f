"""The conversation state: everything the dialogs remember between turns, JSON-serialisable.

It is stored in ``Conversation.state``. ``to_json``/``from_json`` round-trip it; unknown keys from an
older version are ignored and missing ones take their defaults, so a deploy never breaks a live chat.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any

from regions.place import Place

# Stages of one conversation.
NEW = "new"  # nothing said yet (or after a restart)
INTAKE = "intake"  # collecting brand, product, fault, place, phone
OFFERING = "offering"  # visit windows shown, waiting for a choice
BOOKED = "booked"  # a visit is booked
OUT_OF_AREA = "out_of_area"  # place or brand not served; a human was offered
ESCALATED = "escalated"  # handed to a human operator
CLOSED = "closed"  # cancelled or erased; a new message starts afresh


@dataclass
class ConversationState:
    """What the bot knows and what it is waiting for in one chat."""

    stage: str = NEW
    ticket_id: int | None = None  # set by the engine, opaque to the dialogs
    brand: str | None = None
    brand_supported: bool | None = None
    product: str | None = None
    fault: str | None = None
    place: dict[str, Any] | None = None  # Place.to_json()
    place_candidates: list[dict[str, Any]] = field(default_factory=list)  # ambiguous district: ask which
    phone: str | None = None
    # The detailed address below the county (street, 小区, building, door), as the customer gave it.
    address: str | None = None
    when: dict[str, Any] | None = None  # When.to_json() of the preferred time
    covered: bool | None = None
    coverage_reason: str | None = None
    # What the last question was about; passed to the NLU so a bare answer is read as that slot.
    expecting: str | None = None
    # Buttons currently on screen: {"value", "kind", "data"}; a press sends the value back.
    choices: list[dict[str, Any]] = field(default_factory=list)
    offers: list[dict[str, Any]] = field(default_factory=list)  # Offer.to_json() of the shown windows
    booking: dict[str, Any] | None = None  # Offer.to_json() of the booked window
    pending: str | None = None  # a yes/no question awaiting an answer: "erase", "cancel", "handoff"
    misunderstood: int = 0  # consecutive turns the bot could not use
    insisted: int = 0  # turns the customer pushed on after "not served"
    escalation_reason: str | None = None
    # Consecutive turns that ended showing the same unanswered question again (never a third time).
    unanswered: int = 0
    # Questions already asked in this request ("fault" is asked once and never blocks booking).
    asked: list[str] = field(default_factory=list)
    # Urgent request (shut out, someone shut in, "急"): same-day arrivals are offered first.
    urgent: bool = False
    # Reasons operators were already alerted for on this ticket, so one alert per reason.
    alerted: list[str] = field(default_factory=list)
    # The facts of the last request that ended (cancelled, declined, visited): a rebook reuses them.
    previous: dict[str, Any] | None = None
    turns: int = 0
    # A satisfaction survey the bot sent and the customer has not finished: {"ticket_id", "step",
    # "asked_at"}; step is csat, resolved or comment. Set when the survey is delivered (dialogs.survey).
    survey: dict[str, Any] | None = None
    # A maintenance reminder offering a booking: the facts of the visited ticket to book it again with.
    maintenance: dict[str, Any] | None = None

    # -- serialisation -------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``Conversation.state`` (its own copy: later changes to the state do not leak in)."""
        return {name: copy_json(getattr(self, name)) for name in _field_names()}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ConversationState:
        """Rebuild from a stored dict; tolerant of missing and unknown keys."""
        if not data:
            return cls()
        known = _field_names()
        return cls(**{k: v for k, v in data.items() if k in known})

    def copy(self) -> ConversationState:
        """A deep copy, so a turn can change it and still compare with what it started from."""
        return ConversationState(**self.to_json())

    # -- convenience ---------------------------------------------------------------------------------
    @property
    def place_value(self) -> Place | None:
        """The stored place as a :class:`Place`."""
        if not self.place:
            return None
        return Place(
            adcode=self.place["adcode"],
            province=self.place["province"],
            city=self.place.get("city"),
            county=self.place.get("county"),
            town=self.place.get("town"),
        )

    def ticket_fields(self) -> dict[str, Any]:
        """The intake facts as written to the ticket."""
        place = self.place_value
        return {
            "brand": self.brand,
            "product": self.product,
            "fault": self.fault,
            "adcode": place.adcode if place else None,
            "town": place.town if place else None,
            "place_label": place.label if place else None,
            "covered": self.covered,
            "phone": self.phone,
            "address": self.address,
            "urgent": self.urgent,
        }

    def request_facts(self) -> dict[str, Any]:
        """What a rebook can reuse: the device, the place and how to reach the customer."""
        return {"brand": self.brand, "brand_supported": self.brand_supported, "product": self.product,
                "fault": self.fault, "place": self.place, "phone": self.phone, "address": self.address}

    @property
    def started(self) -> bool:
        """Has the customer told us anything about a repair yet?"""
        return any((self.brand, self.product, self.fault, self.place, self.phone))


@cache
def _field_names() -> frozenset[str]:
    return frozenset(f.name for f in fields(ConversationState))


def copy_json(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars).

    Every turn copies the whole state twice; ``copy.deepcopy`` and ``dataclasses.asdict`` spent more
    time on that (memo bookkeeping, type dispatch) than the NLU did on the message. Anything that is
    not JSON-like still goes through ``copy.deepcopy``.
    """
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    if isinstance(value, tuple):
        return tuple(copy_json(item) for item in value)
    return copy.deepcopy(value)
