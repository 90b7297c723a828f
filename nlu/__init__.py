"""Understanding: brand, product, fault, place, phone, time and intent from Chinese free text.

``parse(text, expecting=None, now=None) -> Parse`` is the whole public surface; the engine behind
it is built from config.yml and the Rasa-format training data in ``nlu/data`` at first use.
"""

from __future__ import annotations

from datetime import datetime

from nlu.types import EXPECTING, FAULTS, INTENTS, PRODUCTS, Parse, When

__all__ = ["EXPECTING", "FAULTS", "INTENTS", "PRODUCTS", "Parse", "When", "parse"]


def parse(text: str, *, expecting: str | None = None, now: datetime | None = None) -> Parse:
    """Understand one customer message.

    ``expecting`` names the slot the bot just asked for (one of ``EXPECTING``), so a bare answer
    such as "温县" or "13812345678" is read as that slot. ``now`` fixes "today" for time words
    (default: the current time in the configured time zone).
    """
    from nlu.engine import default_engine

    return default_engine().parse(text, expecting=expecting, now=now)
