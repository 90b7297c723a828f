"""The operators' and managers' web console, mounted at ``/console`` (see README "Console").

``routes(engine)`` returns the :class:`~starlette.routing.Mount`; bot/app.py adds it to the app. The
layout follows STYLE.md (c): ``auth`` (sessions, login, CSRF, roles), thin ``views`` over services
without HTTP (``services`` for chats, ``tickets`` for ticket work, ``technicians``, ``assignment``,
``deliveries`` for messages that did not reach the customer), ``live`` for the server-sent event
stream, ``templates/`` and ``static/`` (no CDN, no inline script or style: the Content-Security-Policy
forbids them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.routing import Mount

    from bot.engine import Engine
    from bot.outbox.dispatcher import Dispatcher


def routes(engine: Engine, *, dispatcher: Dispatcher | None = None) -> Mount:
    """The console at ``/console`` over ``engine``'s database; ``dispatcher`` delivers replies at once."""
    from bot.console.app import console_mount

    return console_mount(engine, dispatcher=dispatcher)
