"""The generated demo roster (``bot/data/demo_technicians.csv``), loaded at every start-up.

The file is built at build time by ``make roster`` (``scripts/build_demo_roster.py``, logic in
:mod:`bot.roster.generate`) and committed as data. Config ``roster.demo`` switches it on or off;
switched off, its technicians are deactivated at the next start-up. ``roster.demo_file`` may point at
another file in the same format (relative to config.yml).

Start-up cost matters (every ``repairbot serve``/``chat`` runs it): the file is read and checked once
per process and content, then compared with the database by :func:`bot.roster.sync.apply_specs`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.config import config_path
from bot.roster.sync import TechnicianSpec
from bot.roster.table import RosterFileError, read_roster

DEMO = "demo"
DEMO_CODE_PREFIX = "DEMO-"  # every demo technician's code starts so; imports may not use it
DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "demo_technicians.csv"


class DemoRosterError(ValueError):
    """The demo roster file is missing or has a bad row (the message names file, row and column)."""


@dataclass(frozen=True, slots=True)
class RosterSettings:
    """Config ``roster``: whether to load the demo roster, and from which file."""

    demo: bool
    demo_file: Path

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RosterSettings:
        """Read ``roster.demo`` (default true) and ``roster.demo_file``; errors name the key."""
        section = config.get("roster") or {}
        if not isinstance(section, dict):
            raise DemoRosterError("config roster: expected a mapping")
        demo = section.get("demo", True)
        if not isinstance(demo, bool):
            raise DemoRosterError(f"config roster.demo: expected true or false, got {demo!r}")
        raw = section.get("demo_file")
        if raw is None:
            return cls(demo, DEFAULT_FILE)
        if not isinstance(raw, str) or not raw.strip():
            raise DemoRosterError(f"config roster.demo_file: expected a file path, got {raw!r}")
        path = Path(raw)
        return cls(demo, path if path.is_absolute() else config_path().resolve().parent / path)


def demo_specs(config: dict[str, Any]) -> list[TechnicianSpec]:
    """The demo technicians to load (empty when ``roster.demo`` is off)."""
    settings = RosterSettings.from_config(config)
    if not settings.demo:
        return []
    path = settings.demo_file
    try:
        stat = path.stat()
    except OSError as exc:
        raise DemoRosterError(f"{path}: cannot read the demo roster ({exc.strerror}); run `make roster`") from exc
    catalogue = json.dumps(
        [config.get("products"), config.get("brands"), (config.get("booking") or {}).get("slot_capacity")],
        sort_keys=True, ensure_ascii=False, default=str,
    )
    return list(_load(str(path), stat.st_mtime_ns, stat.st_size, catalogue))


@lru_cache(maxsize=8)
def _load(path: str, _mtime_ns: int, _size: int, catalogue: str) -> tuple[TechnicianSpec, ...]:
    """Read and check the file once per content and catalogue (the arguments are the cache key)."""
    products, brands, capacity = json.loads(catalogue)
    config = {"products": products, "brands": brands, "booking": {"slot_capacity": capacity or 1}}
    try:
        roster = read_roster(Path(path).read_bytes(), config, source=DEMO)
    except RosterFileError as exc:
        raise DemoRosterError(f"{path}: {exc}") from exc
    if roster.rejected:
        first = roster.rejected[0]
        more = f" (and {len(roster.rejected) - 1} more)" if len(roster.rejected) > 1 else ""
        raise DemoRosterError(f"{path}: {first}{more}; rebuild it with `make roster`")
    return tuple(spec for _, spec in roster.specs)
