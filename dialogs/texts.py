"""The bot's words: ``dialogs/texts.yml`` loaded once, plus formatting of days, windows and phones
(``mask_phone`` is :func:`nlu.phones.mask_phone`, the one masking rule)."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from nlu.phones import mask_phone as mask_phone  # re-exported: the bot's texts show phones masked

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


def day_label(moment: datetime) -> str:
    """11月24日（周二）."""
    return say("day", month=moment.month, day=moment.day, weekday=texts()["weekdays"][moment.weekday()])


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")
