"""Visit booking: free windows, booking, cancelling and rescheduling.

Public API (the engine calls these inside its per-message transaction):

- ``find_slots(session, *, brand, product, adcode, town=None, after, count=None, prefer=None)
  -> list[SlotOffer]``: earliest free windows, earliest first then nearest technician, one per start
  time; respects working hours, lunch, Chinese public holidays and adjusted working days.
- ``urgent_offers(session, *, brand, product, adcode, town=None, now, count=1) -> list[SlotOffer]``:
  same-day visits by technicians free now, soonest arrival first (``offer.arrive_by``); empty outside
  working hours or when nobody is free today.
- ``book(session, ticket, offer) -> Booking | None``: atomic capacity and travel-buffer check; None when
  full or when the technician could not get there in time. Works for windows and urgent offers alike.
- ``cancel(session, booking) -> bool``; ``reschedule(session, booking, offer) -> Booking | None``.
- ``offer_from_ref(session, ref, adcode=None) -> SlotOffer | None``: an offer back from its ``ref``.
- ``confirmed_visit(session, ticket_id)``: the ticket's latest confirmed visit (start, end, technician).
- ``SlotOffer``: technician id/name, start/end (Asia/Shanghai), distance_km, eta_minutes, kind, ref, label.

Settings live in config.yml (``hours``, ``holidays``, ``booking``); see ``bot.booking.settings``. Travel
time: ``bot.booking.travel``; a technician's day as a route (travel buffers): ``bot.booking.itinerary``.
"""

from bot.booking.offers import SlotOffer
from bot.booking.reserve import book, cancel, reschedule
from bot.booking.search import eligible_technicians, find_slots, offer_from_ref
from bot.booking.urgent import urgent_offers
from bot.booking.visits import confirmed_visit

__all__ = [
    "SlotOffer", "book", "cancel", "confirmed_visit", "eligible_technicians", "find_slots", "offer_from_ref", "reschedule",
    "urgent_offers",
]
