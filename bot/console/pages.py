"""The console's Jinja2 templates, with the filters the pages share (local times, labels, CSRF).

Autoescaping is on for every template; nothing the customer typed is ever marked safe.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from bot.console import labels

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
_TZ = {"zone": ZoneInfo("Asia/Shanghai")}


def set_zone(tz: ZoneInfo) -> None:
    """The zone the pages show times in (config.yml ``timezone``)."""
    _TZ["zone"] = tz


def local(value: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    """A stored UTC time as local wall-clock text."""
    return value.astimezone(_TZ["zone"]).strftime(fmt) if value is not None else "-"


def epoch_ms(value: datetime | None) -> str:
    """Milliseconds since the epoch, for the page's ticking timers (``data-since``)."""
    return str(int(value.timestamp() * 1000)) if value is not None else ""


def _context(request: Request) -> dict[str, Any]:
    from bot.console.auth import ConsoleUser

    user = request.user if "user" in request.scope else None
    if isinstance(user, ConsoleUser):
        return {"me": user.staff, "csrf_token": user.csrf_token, "undelivered": user.undelivered}
    return {"me": None, "csrf_token": "", "undelivered": 0}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(local=local, epoch_ms=epoch_ms, channel=labels.channel, status=labels.status,
                       reason=labels.reason, kind=labels.kind)
    env.globals.update(ROLES=labels.ROLES)
    return env


templates = Jinja2Templates(env=_environment(), context_processors=[_context])
