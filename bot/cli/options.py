"""Argument types shared by the sub-commands (this module is not a command: no ``_cmd`` suffix)."""

from __future__ import annotations

import argparse
from datetime import datetime
from zoneinfo import ZoneInfo


def iso_datetime(value: str) -> datetime:
    """An ISO 8601 moment for ``--now``; without an offset it is read in the configured time zone."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {value!r}") from exc
    if moment.tzinfo is None:
        from bot.config import load_config

        moment = moment.replace(tzinfo=ZoneInfo(str(load_config().get("timezone") or "Asia/Shanghai")))
    return moment
