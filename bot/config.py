"""Load ``config.yml``: brands, products, faults, hours, prices, follow-ups, technicians, channels.

Which file: ``REPAIRBOT_CONFIG`` when set (an operator's own file); otherwise the default
configuration, which is the repository's ``config.yml``. An installed package has no repository: the
build copies that same file into the package as ``bot/default_config.yml`` (see setup.py), and it is
used when present. Secrets are never read from it.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The default configuration inside an installed package (absent in a source checkout).
PACKAGED_CONFIG = Path(__file__).resolve().parent / "default_config.yml"


def default_config_path() -> Path:
    """The configuration used without ``REPAIRBOT_CONFIG``: the packaged copy, else the repository's."""
    return PACKAGED_CONFIG if PACKAGED_CONFIG.is_file() else PROJECT_ROOT / "config.yml"


def config_path() -> Path:
    """Return the path of the active configuration file."""
    env = os.environ.get("REPAIRBOT_CONFIG")
    return Path(env) if env else default_config_path()


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
