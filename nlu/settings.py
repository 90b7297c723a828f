"""What the NLU takes from the application's configuration, as one immutable value.

``nlu`` sits below ``dialogs`` and ``bot`` and never reads their configuration file: the application
builds an :class:`NluSettings` from its config mapping (:meth:`NluSettings.from_config`) and passes it
down (``nlu.build_engine(settings)``), or registers where the default comes from
(``nlu.set_default_settings``). Being frozen and hashable, equal settings share one built engine.

Read from the config mapping:

- ``brands``: the brand catalogue (name → supported, products, aliases, not_before, not_after);
- ``products``: product code → ``words`` customers use for it;
- ``timezone`` and ``nlu.day_parts``: the local clock and what 上午/下午/晚上 mean as visit windows;
- ``nlu.backend``, ``nlu.rasa_url``, ``nlu.rasa_timeout_s``, ``nlu.rasa_min_confidence``: the optional Rasa
  server. The environment variables ``REPAIRBOT_NLU_BACKEND``, ``REPAIRBOT_RASA_URL`` and ``RASA_TOKEN``
  override them when the caller passes its environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nlu.brands import Brand

DEFAULT_DAY_PARTS: dict[str, tuple[int, int]] = {
    "早上": (8, 10), "早晨": (8, 10), "上午": (9, 12), "中午": (11, 14), "下午": (12, 18),
    "傍晚": (17, 19), "晚上": (18, 21), "夜里": (19, 22), "白天": (9, 18), "全天": (9, 21),
}
WHOLE_DAY = "全天"
BACKENDS = ("default", "rasa")
DEFAULT_RASA_URL = "http://127.0.0.1:5005"
DEFAULT_RASA_TIMEOUT_S = 0.8
# Below this intent confidence a Rasa reading is not trusted and the in-process engine answers.
DEFAULT_RASA_MIN_CONFIDENCE = 0.6
_DEFAULT_DAY_PARTS = tuple((k, *v) for k, v in DEFAULT_DAY_PARTS.items())


class SettingsError(ValueError):
    """A configuration value the NLU cannot use; the message names the key."""


@dataclass(frozen=True, slots=True)
class NluSettings:
    """Everything configurable about understanding, as plain immutable values."""

    brands: tuple[Brand, ...] = ()
    products: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (code, words) in config order
    timezone: str = "Asia/Shanghai"
    day_parts: tuple[tuple[str, int, int], ...] = _DEFAULT_DAY_PARTS
    backend: str = "default"
    rasa_url: str = DEFAULT_RASA_URL
    rasa_timeout_s: float = DEFAULT_RASA_TIMEOUT_S
    rasa_min_confidence: float = DEFAULT_RASA_MIN_CONFIDENCE
    rasa_token: str | None = None

    @property
    def product_words(self) -> tuple[str, ...]:
        """Every product word, longest first (removing 保险柜子 before 保险柜 leaves nothing behind)."""
        words = {w.lower() for _code, ws in self.products for w in ws}
        # Then by code point: a set's order changes with the process's hash seed.
        return tuple(sorted(words, key=lambda w: (-len(w), w)))

    @property
    def day_part_windows(self) -> dict[str, tuple[int, int]]:
        """Day-part name → (start hour, end hour); always includes 全天 (a bare day)."""
        parts = {name: (start, end) for name, start, end in self.day_parts}
        parts.setdefault(WHOLE_DAY, DEFAULT_DAY_PARTS[WHOLE_DAY])
        return parts

    @classmethod
    def from_config(cls, config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> NluSettings:
        """Build from an application config mapping; ``environ`` (e.g. ``os.environ``) may override the backend.

        Fails with :class:`SettingsError` naming the key, so a bad file stops the start-up instead of
        silently disabling brands or time words.
        """
        env = environ or {}
        section = _mapping(config.get("nlu"), "nlu")
        backend = str(env.get("REPAIRBOT_NLU_BACKEND") or section.get("backend") or "default").lower()
        if backend not in BACKENDS:
            raise SettingsError(f"nlu.backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
        timezone = str(config.get("timezone") or "Asia/Shanghai")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"timezone: unknown time zone {timezone!r}") from exc
        return cls(
            brands=_brands(_mapping(config.get("brands"), "brands")),
            products=tuple(
                (str(code), tuple(str(w) for w in _list((entry or {}).get("words"), f"products.{code}.words")))
                for code, entry in _mapping(config.get("products"), "products").items()
            ),
            timezone=timezone,
            day_parts=_day_parts(_mapping(section.get("day_parts"), "nlu.day_parts")),
            backend=backend,
            rasa_url=str(env.get("REPAIRBOT_RASA_URL") or section.get("rasa_url") or DEFAULT_RASA_URL).rstrip("/"),
            rasa_timeout_s=_number(section.get("rasa_timeout_s", DEFAULT_RASA_TIMEOUT_S), "nlu.rasa_timeout_s"),
            rasa_min_confidence=_number(
                section.get("rasa_min_confidence", DEFAULT_RASA_MIN_CONFIDENCE), "nlu.rasa_min_confidence"
            ),
            rasa_token=env.get("RASA_TOKEN") or None,
        )


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SettingsError(f"{key}: expected a mapping, got {type(value).__name__}")
    return value


def _list(value: Any, key: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise SettingsError(f"{key}: expected a list, got {type(value).__name__}")
    return list(value)


def _number(value: Any, key: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{key}: expected a number, got {value!r}") from exc


def _brands(section: Mapping[str, Any]) -> tuple[Brand, ...]:
    brands = []
    for name, entry in section.items():
        entry = _mapping(entry, f"brands.{name}")
        brands.append(
            Brand(
                name=str(name),
                supported=bool(entry.get("supported", False)),
                products=tuple(str(p) for p in _list(entry.get("products"), f"brands.{name}.products")),
                aliases=tuple(str(a) for a in _list(entry.get("aliases"), f"brands.{name}.aliases")),
                not_before=tuple(str(w) for w in _list(entry.get("not_before"), f"brands.{name}.not_before")),
                not_after=tuple(str(w) for w in _list(entry.get("not_after"), f"brands.{name}.not_after")),
            )
        )
    return tuple(brands)


def _day_parts(section: Mapping[str, Any]) -> tuple[tuple[str, int, int], ...]:
    if not section:
        return _DEFAULT_DAY_PARTS
    parts = []
    for name, window in section.items():
        hours = _list(window, f"nlu.day_parts.{name}")
        if len(hours) != 2:
            raise SettingsError(f"nlu.day_parts.{name}: expected [start hour, end hour]")
        start, end = (int(_number(h, f"nlu.day_parts.{name}")) for h in hours)
        if not 0 <= start < end <= 24:
            raise SettingsError(f"nlu.day_parts.{name}: expected 0 <= start < end <= 24, got {hours}")
        parts.append((str(name), start, end))
    return tuple(parts)
