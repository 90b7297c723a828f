"""Typed reads of config.yml values, shared by every settings section, failing at start-up by key.

Each section of config.yml has a frozen settings dataclass with ``from_config`` (booking, outbox, console,
channels…); they all read their values through these few functions, so a wrong value fails the same way
everywhere: a :class:`ConfigError` (a ``ValueError``) whose message starts with the dotted key to fix —
``followups.outbox.batch_size: expected a number >= 1, got 0``. Sections raise their own subclass
(``error=``) so callers can tell which section was wrong.
"""

from __future__ import annotations

import math
from datetime import time
from typing import Any


class ConfigError(ValueError):
    """A config.yml value has the wrong shape; the message names its key."""


def mapping(value: Any, key: str, *, error: type[ConfigError] = ConfigError) -> dict[str, Any]:
    """``value`` as a mapping (``None`` is empty), else ``error`` naming ``key``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise error(f"{key}: expected a mapping, got {value!r}")
    return value


def number(section: dict[str, Any], key: str, default: float, where: str, *, minimum: float = 0,
           maximum: float | None = None, exclusive: bool = False, integer: bool = False,
           error: type[ConfigError] = ConfigError) -> Any:
    """``section[key]`` (or ``default``) as a finite number within bounds; an int when ``integer``.

    ``exclusive`` makes ``minimum`` itself invalid (a speed of 0). ``where`` is the section's dotted path.
    """
    raw = section.get(key, default)
    kind = "an integer" if integer else "a number"
    lower = f"> {minimum:g}" if exclusive else f">= {minimum:g}"
    bounds = f"{lower} and <= {maximum:g}" if maximum is not None else lower
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise TypeError(raw)
        value = float(raw)
        if not math.isfinite(value) or (integer and value != int(value)):
            raise ValueError(raw)
    except (TypeError, ValueError) as exc:
        raise error(f"{where}.{key}: expected {kind} {bounds}, got {raw!r}") from exc
    if value < minimum or (exclusive and value == minimum) or (maximum is not None and value > maximum):
        raise error(f"{where}.{key}: expected {kind} {bounds}, got {raw!r}")
    return int(value) if integer else value


def clock_time(value: Any, key: str, *, error: type[ConfigError] = ConfigError) -> time:
    """``"19:00"`` → ``time(19, 0)``; anything else raises ``error`` naming ``key``."""
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError) as exc:
        raise error(f'{key}: expected "HH:MM", got {value!r}') from exc
