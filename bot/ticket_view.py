"""The TICKET object of the web chat contract (ARCHITECTURE.md), built from a ticket row.

``{"id", "status", "brand", "product", "fault", "adcode", "town", "covered", "phone_masked",
"slot": {"start", "end", "technician"} | null}``. Times are ISO 8601 in the configured local zone.
The engine shows the conversation's current ticket, or the one it last changed; before any intake has
started there is none and the API sends ``"ticket": null``.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.privacy import mask_phone
from bot.store.models import Ticket


def ticket_json(ticket: Ticket | None, tz: ZoneInfo) -> dict[str, Any] | None:
    """The contract form of ``ticket`` (None stays None)."""
    if ticket is None:
        return None
    phone = ticket.customer.phone if ticket.customer is not None else None
    booking = ticket.active_booking
    slot = None
    if booking is not None:
        slot = {
            "start": booking.slot.start.astimezone(tz).isoformat(),
            "end": booking.slot.end.astimezone(tz).isoformat(),
            "technician": booking.slot.technician.name,
        }
    return {
        "id": ticket.id,
        "status": ticket.status,
        "brand": ticket.brand,
        "product": ticket.product,
        "fault": ticket.fault,
        "adcode": ticket.adcode,
        "town": ticket.town,
        "covered": ticket.covered,
        "phone_masked": mask_phone(phone) if phone else None,
        "slot": slot,
    }
