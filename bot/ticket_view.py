"""The TICKET object of the web chat contract (ARCHITECTURE.md), built from a ticket row.

``{"id", "status", "brand", "product", "fault", "adcode", "town", "covered", "phone_masked",
"slot": {"start", "end", "technician"} | null}``. Times are ISO 8601 in the configured local zone.
The engine shows the conversation's current ticket, or the one it last changed; before any intake has
started there is none and the API sends ``"ticket": null``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.booking.visits import confirmed_visit
from bot.privacy import mask_phone
from bot.store.models import Customer, Ticket

_WITH_VISIT = ("booked", "visited", "escalated", "closed")


def ticket_json(session: Session, ticket: Ticket | None, tz: ZoneInfo, *,
                known_visits: Mapping[int, Any] | None = None) -> dict[str, Any] | None:
    """The contract form of ``ticket`` (None stays None). One query for the visit, none for the rest.

    ``known_visits``: confirmed visits by ticket id already read in this transaction with nothing
    changed since (see ``Engine._turn``); a ticket found there costs no query at all.
    """
    if ticket is None:
        return None
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id is not None else None
    phone = customer.phone if customer is not None else None
    # Only these statuses can have a confirmed visit; the others save a query on every intake turn.
    if ticket.status not in _WITH_VISIT:
        visit = None
    elif known_visits is not None and ticket.id in known_visits:
        visit = known_visits[ticket.id]
    else:
        visit = confirmed_visit(session, ticket.id)
    slot = None
    if visit is not None:
        slot = {"start": visit.start.astimezone(tz).isoformat(), "end": visit.end.astimezone(tz).isoformat(),
                "technician": visit.name}
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
