"""Photo evidence: pictures customers send on any channel, kept for the ticket and checked for operators.

The news that seeded this (AI-faked damage photos used for refund fraud) sets the tone: every photo is
decoded with Pillow to prove it is an image (JPEG, PNG or WebP, at most ``evidence.max_bytes``), stored
encrypted under the data directory, and fingerprinted (SHA-256 and a perceptual hash). A photo that is
identical or nearly so to one on another customer's ticket, or whose metadata names an editor or an
image generator, or which carries no camera metadata at all, gets *flags*: facts for a human to weigh,
never a refusal.

- ``accept_photo(db, ...)`` → :class:`Accepted` or :class:`Rejected` (with a reason code the engine turns
  into a clear reply); ``read_photo(row)`` gives the bytes back.
- ``erase_photos(session, ...)``: the customer's photos go with the rest of their data (called by
  ``bot.privacy.erase_customer``); ``erase.remove_photos`` is what it and the retention policy share:
  rows in the transaction, files after the commit.
- ``flags_for_ticket(session, ticket_id)``: what operators should see about a ticket's photos.
- ``preview.thumbnail(data)``: a small JPEG without metadata, for the console's photo lists.
"""

from bot.evidence.erase import erase_photos
from bot.evidence.photos import PhotoRejected, inspect_photo
from bot.evidence.settings import EvidenceSettings
from bot.evidence.store import Accepted, Rejected, accept_photo, flags_for_ticket, read_photo

__all__ = [
    "Accepted", "EvidenceSettings", "PhotoRejected", "Rejected", "accept_photo", "erase_photos", "flags_for_ticket",
    "inspect_photo", "read_photo",
]
