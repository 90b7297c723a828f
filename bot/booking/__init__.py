"""Visit booking: free windows, booking, cancelling and rescheduling.

Public API (the engine calls these inside its per-message transaction):

- ``find_slots(session, *, brand, product, adcode, town=None, after, count=None, prefer=None)
  -> list[SlotOffer]``: earliest free windows, earliest first then nearest technician, one per start
  time; respects working hours, lunch, Chinese public holidays and adjusted working days.
- ``book(session, ticket, offer) -> Booking | None``: atomic capacity check; None when full.
- ``cancel(session, booking) -> bool``; ``reschedule(session, booking, offer) -> Booking | None``.
- ``offer_from_ref(session, ref, adcode=None) -> SlotOffer | None``: an offer back from its ``ref``.
- ``confirmed_visit(session, ticket_id)``: the ticket's latest confirmed visit (start, end, technician).
- ``SlotOffer``: technician id/name, start/end (Asia/Shanghai), distance_km, eta_minutes, ref, label.

Settings live in config.yml (``hours``, ``holidays``, ``booking``); see ``bot.booking.settings``.
"""

from bot.booking.offers import SlotOffer
from bot.booking.reserve import book, cancel, reschedule
from bot.booking.search import eligible_technicians, find_slots, offer_from_ref
from bot.booking.visits import confirmed_visit

__all__ = [
    "SlotOffer", "book", "cancel", "confirmed_visit", "eligible_technicians", "find_slots", "offer_from_ref", "reschedule",
]
