"""The bot's words: ``dialogs/texts.yml`` loaded once, plus formatting of days, windows and phones."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_TEXTS = Path(__file__).with_name("texts.yml")
_NOISE = re.compile(r"[\s\u3000,.!?;:，。！？；：、~～…\"'“”‘’()（）【】\[\]]+")


@cache
def texts() -> dict[str, Any]:
    """All texts as a read-only mapping (the packaged YAML file)."""
    with open(_TEXTS, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def say(key: str, **values: Any) -> str:
    """The text at dotted ``key`` with its placeholders filled."""
    node: Any = texts()
    for part in key.split("."):
        node = node[part]
    return str(node).format(**values) if values else str(node)


def squash(text: str) -> str:
    """Text without spaces and punctuation, lower-cased: how commands and button values are compared."""
    return _NOISE.sub("", text or "").lower()


def mask_phone(phone: str | None) -> str:
    """138****5678: enough for the customer to recognise, useless to anyone else."""
    if not phone:
        return "-"
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def day_label(moment: datetime) -> str:
    """11月24日（周二）."""
    return say("day", month=moment.month, day=moment.day, weekday=texts()["weekdays"][moment.weekday()])


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")
