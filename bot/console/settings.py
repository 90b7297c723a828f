"""Console settings from config.yml ``console``, checked at start-up (a wrong key names itself).

Canned replies, SLA targets, presence and session lifetimes, login throttling and the weekly digest's
day and hour all live here, so a typo stops ``repairbot serve`` at once instead of surfacing on the
first Monday morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import config_values
from bot.config_values import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConsoleSettingsError(ConfigError):
    """A ``console`` key in config.yml has the wrong shape."""


@dataclass(frozen=True, slots=True)
class CannedReply:
    """A ready-made answer an operator can drop into the reply box."""

    label: str
    text: str


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """When the weekly digest is made: cron-style day of week and local time."""

    day: str = "mon"
    hour: int = 9
    minute: int = 0


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """Everything the console reads from config; defaults match config.yml."""

    first_response_minutes: float = 10
    resolution_minutes: float = 240
    online_window_s: float = 90
    active_chat_minutes: float = 30
    live_interval_s: float = 1
    session_idle_hours: float = 12
    session_max_days: float = 7
    login_max_failures: int = 5
    login_window_minutes: float = 15
    snooze_choices_minutes: tuple[int, ...] = (30, 120, 1440)
    digest: DigestSchedule = DigestSchedule()
    canned_replies: tuple[CannedReply, ...] = ()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ConsoleSettings:
        """Read and check ``console``; raise :class:`ConsoleSettingsError` naming the bad key."""
        section = _mapping(config.get("console"), "console")
        sla = _mapping(section.get("sla"), "console.sla")
        login = _mapping(section.get("login"), "console.login")
        digest = _mapping(section.get("digest"), "console.digest")
        d = cls()
        day = str(digest.get("day", d.digest.day)).lower()
        if day not in DAYS:
            raise ConsoleSettingsError(f"console.digest.day: expected one of {', '.join(DAYS)}, got {day!r}")
        snooze = section.get("snooze_choices_minutes", list(d.snooze_choices_minutes))
        if not isinstance(snooze, list) or not snooze or not all(
                isinstance(m, int) and not isinstance(m, bool) and m > 0 for m in snooze):
            raise ConsoleSettingsError(f"console.snooze_choices_minutes: expected whole minutes > 0, got {snooze!r}")
        canned = section.get("canned_replies") or []
        if not isinstance(canned, list):
            raise ConsoleSettingsError("console.canned_replies: expected a list of {label, text}")
        replies = []
        for i, item in enumerate(canned):
            if not isinstance(item, dict) or not str(item.get("label") or "").strip() or not str(
                    item.get("text") or "").strip():
                raise ConsoleSettingsError(f"console.canned_replies[{i}]: expected {{label, text}}, got {item!r}")
            replies.append(CannedReply(str(item["label"]).strip(), str(item["text"]).strip()))
        return cls(
            first_response_minutes=_number(sla, "first_response_minutes", d.first_response_minutes, "console.sla"),
            resolution_minutes=_number(sla, "resolution_minutes", d.resolution_minutes, "console.sla"),
            online_window_s=_number(section, "online_window_s", d.online_window_s, "console", minimum=1),
            active_chat_minutes=_number(section, "active_chat_minutes", d.active_chat_minutes, "console"),
            live_interval_s=_number(section, "live_interval_s", d.live_interval_s, "console", minimum=0.1),
            session_idle_hours=_number(section, "session_idle_hours", d.session_idle_hours, "console", minimum=0.01),
            session_max_days=_number(section, "session_max_days", d.session_max_days, "console", minimum=0.01),
            login_max_failures=int(_number(login, "max_failures", d.login_max_failures, "console.login", minimum=1)),
            login_window_minutes=_number(login, "window_minutes", d.login_window_minutes, "console.login",
                                         minimum=0.1),
            snooze_choices_minutes=tuple(snooze),
            digest=DigestSchedule(day=day, hour=int(_number(digest, "hour", d.digest.hour, "console.digest",
                                                            maximum=23)),
                                  minute=int(_number(digest, "minute", d.digest.minute, "console.digest",
                                                     maximum=59))),
            canned_replies=tuple(replies),
        )


def _mapping(value: Any, key: str) -> dict[str, Any]:
    return config_values.mapping(value, key, error=ConsoleSettingsError)


def _number(section: dict[str, Any], key: str, default: float, prefix: str, *, minimum: float = 0,
            maximum: float | None = None) -> float:
    return float(config_values.number(section, key, default, prefix, minimum=minimum, maximum=maximum,
                                      error=ConsoleSettingsError))
