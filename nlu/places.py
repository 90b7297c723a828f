"""The one place where the NLU reaches the gazetteer (``regions.find_place``).

Place accuracy is the gazetteer's job; this adapter only maps its :class:`regions.place.PlaceMatch`
onto the two ``Parse`` fields and keeps a missing or failing gazetteer from breaking the rest of the
parse (the other fields are still worth having; the failure is logged once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache

from regions.place import Place, PlaceMatch

log = logging.getLogger(__name__)

FindPlace = Callable[..., PlaceMatch]
_reported: set[str] = set()


@cache
def _finder() -> FindPlace | None:
    try:
        from regions import find_place
    except ImportError:
        try:
            from regions.find import find_place  # type: ignore[no-redef]
        except ImportError:
            log.warning("regions.find_place is not available: places will not be recognised")
            return None
    return find_place


def read_place(text: str, *, expecting: bool = False) -> tuple[Place | None, tuple[Place, ...]]:
    """``(place, candidates)`` for the text: a resolved place, or ambiguous candidates, or neither."""
    place, candidates, _span = read_place_span(text, expecting=expecting)
    return place, candidates


def read_place_span(
    text: str, *, expecting: bool = False
) -> tuple[Place | None, tuple[Place, ...], tuple[int, int] | None]:
    """Like :func:`read_place`, plus where the resolved place was written (for the address after it)."""
    finder = _finder()
    if finder is None or not text:
        return None, (), None
    try:
        match = finder(text, expecting=expecting)
    except Exception as exc:  # a gazetteer bug must not cost the customer the rest of the parse
        key = f"{type(exc).__name__}: {exc}"
        if key not in _reported:  # once per distinct failure, not once per message
            _reported.add(key)
            log.exception("find_place failed; parsing on without a place")
        return None, (), None
    if match is None:
        return None, (), None
    if match.place is not None:
        return match.place, (), match.span
    candidates = tuple(match.candidates)
    return None, candidates if len(candidates) >= 2 else (), None
