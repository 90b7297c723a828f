"""Outbox and follow-up settings from config.yml ``followups``, checked at start-up.

Each key is validated when the settings are built, so a typo fails ``repairbot serve`` at once with the
key's name (``followups.quiet_hours: expected "HH:MM-HH:MM"``) instead of surfacing at 21:30 one day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from bot import config_values
from bot.config_values import ConfigError


class SettingsError(ConfigError):
    """A ``followups`` key in config.yml has the wrong shape."""


def clock_time(value: Any, key: str) -> time:
    """``"19:00"`` → ``time(19, 0)``; anything else raises :class:`SettingsError` naming ``key``."""
    return config_values.clock_time(value, key, error=SettingsError)


def _number(section: dict[str, Any], key: str, default: float, prefix: str, *, minimum: float = 0) -> float:
    return float(config_values.number(section, key, default, prefix, minimum=minimum, error=SettingsError))


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Nothing proactive is sent between ``start`` and ``end`` local time (the span may cross midnight)."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Is local wall-clock ``moment`` inside the quiet span?"""
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    """How the dispatcher works: pace, batch, lease, retries, quiet hours."""

    interval_s: float = 5.0
    batch_size: int = 200
    lease_s: float = 120.0
    max_attempts: int = 6
    backoff_s: tuple[float, ...] = (30.0, 120.0, 600.0, 1800.0, 3600.0)
    hold_recheck_s: float = 300.0
    send_concurrency: int = 16
    quiet_hours: QuietHours | None = QuietHours(time(21, 30), time(8, 0))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> OutboxSettings:
        """Read ``followups.outbox`` and ``followups.quiet_hours``; raise :class:`SettingsError` naming the key."""
        section = config.get("followups") or {}
        if not isinstance(section, dict):
            raise SettingsError("followups: expected a mapping")
        box = section.get("outbox") or {}
        if not isinstance(box, dict):
            raise SettingsError("followups.outbox: expected a mapping")
        prefix = "followups.outbox"
        d = cls()  # the defaults (with slots, class attributes are descriptors, not values)
        backoff = box.get("backoff_s", list(d.backoff_s))
        if not isinstance(backoff, list) or not backoff or not all(
                isinstance(b, int | float) and not isinstance(b, bool) and b >= 0 for b in backoff):
            raise SettingsError(f"{prefix}.backoff_s: expected a non-empty list of seconds, got {backoff!r}")
        quiet = section.get("quiet_hours", "21:30-08:00")
        quiet_hours: QuietHours | None = None
        if quiet:
            parts = str(quiet).split("-")
            if len(parts) != 2:
                raise SettingsError(f'followups.quiet_hours: expected "HH:MM-HH:MM", got {quiet!r}')
            quiet_hours = QuietHours(clock_time(parts[0], "followups.quiet_hours"),
                                     clock_time(parts[1], "followups.quiet_hours"))
        return cls(
            interval_s=_number(box, "interval_s", d.interval_s, prefix, minimum=0.1),
            batch_size=int(_number(box, "batch_size", d.batch_size, prefix, minimum=1)),
            lease_s=_number(box, "lease_s", d.lease_s, prefix, minimum=1),
            max_attempts=int(_number(box, "max_attempts", d.max_attempts, prefix, minimum=1)),
            backoff_s=tuple(float(b) for b in backoff),
            hold_recheck_s=_number(box, "hold_recheck_s", d.hold_recheck_s, prefix, minimum=1),
            send_concurrency=int(_number(box, "send_concurrency", d.send_concurrency, prefix, minimum=1)),
            quiet_hours=quiet_hours,
        )

    def backoff(self, attempts: int) -> float:
        """Seconds to wait before try number ``attempts + 1`` (the last step repeats)."""
        return self.backoff_s[min(max(attempts, 1), len(self.backoff_s)) - 1]
