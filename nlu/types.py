"""The result of understanding one message: the ``repairbot parse`` contract as a value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from regions.place import Place

INTENTS = (
    "report_fault", "ask_human", "complaint", "ask_progress", "reschedule", "cancel", "ask_price",
    "greet", "thanks", "affirm", "deny", "goodbye", "out_of_scope",
)
FAULTS = (
    "cannot_open", "forgot_password", "locked_out", "lost_key", "no_power", "fingerprint_fail",
    "alarm", "panel_damage", "mechanical", "install", "reset", "other",
)
PRODUCTS = ("safe", "lock")
# What the bot last asked for; a bare answer is read as that slot.
EXPECTING = ("place", "phone", "brand", "product", "fault", "time", "town", "choice", "confirm", "address",
             "survey")
# Danger beyond a lockout (not part of the parse JSON): the bot tells the customer to call 110/119.
SAFETY = ("person_shut_in", "fire")


@dataclass(frozen=True, slots=True)
class When:
    """A requested visit window; ``asap`` when the customer wants the earliest possible visit."""

    asap: bool = False
    start: datetime | None = None
    end: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "asap": self.asap,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


@dataclass(frozen=True, slots=True)
class Parse:
    """Everything understood from one message. Unknown fields are ``None``, never a guess."""

    text: str
    intent: str = "out_of_scope"
    intent_confidence: float = 0.0
    brand: str | None = None
    brand_supported: bool | None = None
    product: str | None = None
    fault: str | None = None
    place: Place | None = None
    place_candidates: tuple[Place, ...] = field(default_factory=tuple)
    phone: str | None = None
    phone_invalid: bool = False
    when: When | None = None
    # The detailed address below the county (street, 小区, building, door), or None.
    address: str | None = None
    # The customer is shut out, someone is shut in, or they ask for help right now.
    urgent: bool = False
    # One of SAFETY when someone is shut in (a child in a room or car, an elderly person) or there is
    # smoke or fire; None otherwise. Internal: the dialogs act on it, the parse JSON carries ``urgent``.
    safety: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The exact JSON object printed by ``repairbot parse`` (see ARCHITECTURE.md)."""
        return {
            "text": self.text,
            "intent": self.intent,
            "brand": self.brand,
            "brand_supported": self.brand_supported,
            "product": self.product,
            "fault": self.fault,
            "place": self.place.to_json() if self.place else None,
            "place_candidates": [p.to_json() for p in self.place_candidates],
            "phone": self.phone,
            "phone_invalid": self.phone_invalid,
            "when": self.when.to_json() if self.when else None,
            "address": self.address,
            "urgent": self.urgent,
        }
