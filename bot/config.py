"""Load ``config.yml``: brands, products, faults, hours, prices, follow-ups, technicians, channels.

The file is found from ``REPAIRBOT_CONFIG`` or the project root. Secrets are never read from it.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def config_path() -> Path:
    """Return the path of the active configuration file."""
    return Path(os.environ.get("REPAIRBOT_CONFIG") or PROJECT_ROOT / "config.yml")


@cache
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: top level must be a mapping")
    return data


def load_config(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Return the parsed configuration (cached per path; treat it as read-only)."""
    return _load(str(path or config_path()))


def data_dir() -> Path:
    """Directory for the embedded database and generated keys (``REPAIRBOT_DATA`` or ``./data``)."""
    return Path(os.environ.get("REPAIRBOT_DATA") or Path.cwd() / "data")
