"""Builds the console: a Starlette sub-application mounted at ``/console``.

It has its own authentication middleware (database sessions) and HTML error pages, so the web chat's
JSON error handlers stay as they are. The app's security headers (strict CSP) wrap it like every page.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from bot.console import delivery_views, manager_views, photo_views, ticket_views, views
from bot.console.auth import SessionBackend, refuse
from bot.console.live import LiveHub
from bot.console.pages import STATIC_DIR, set_zone
from bot.console.runtime import Console
from bot.console.services import Context
from bot.console.settings import ConsoleSettings
from bot.engine import Engine
from bot.outbox.dispatcher import Dispatcher

_MESSAGES = {404: "没有这个页面", 405: "不支持这个请求方法"}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return refuse(request, exc.status_code, _MESSAGES.get(exc.status_code, str(exc.detail)))


async def _server_error(request: Request, exc: Exception) -> Response:
    return refuse(request, 500, "系统出了点问题，请稍后重试")


def build_console(engine: Engine, *, dispatcher: Dispatcher | None = None) -> Console:
    """The console's shared state over ``engine``'s database and clock (settings checked here)."""
    settings = ConsoleSettings.from_config(engine.config)
    set_zone(engine.tz)
    return Console(db=engine.db, ctx=Context(engine.config, settings, engine.tz), clock=engine.clock,
                   hub=LiveHub(engine.db, settings, engine.clock), dispatcher=dispatcher)


def console_mount(engine: Engine, *, dispatcher: Dispatcher | None = None, console: Console | None = None) -> Mount:
    """``Mount("/console", ...)`` with every console route."""
    c = console or build_console(engine, dispatcher=dispatcher)
    inner = Starlette(
        routes=[*views.routes(c), *ticket_views.routes(c), *photo_views.routes(c), *manager_views.routes(c),
                *delivery_views.routes(c),
                Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static")],
        middleware=[Middleware(AuthenticationMiddleware, backend=SessionBackend(c.db, c.settings))],
        exception_handlers={HTTPException: _http_error, 500: _server_error},
    )
    inner.state.console = c
    return Mount("/console", app=inner, name="console")
