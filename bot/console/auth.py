"""Console authentication over HTTP: the session backend, role and CSRF guards, login and logout.

- :class:`SessionBackend` (Starlette ``AuthenticationBackend``) reads the session cookie and gives the
  request a :class:`ConsoleUser` with the role's scopes (bot/console/staff.py ``SCOPES``) and the
  header's one live figure, the number of undelivered messages, read in the same transaction (one
  indexed count; a template cannot query the database without blocking the event loop).
- :func:`guard` wraps every console endpoint: no session → the login page (303; API and event-stream
  paths get 401 JSON), a role without the scope → 403, and any method other than GET/HEAD must carry
  the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``) → 403 when missing or wrong.
- The login form is protected against login CSRF by a double-submit cookie; repeated failures are
  throttled (bot/console/sessions.py).
- Cookies: HttpOnly, SameSite=Lax, ``Path=/console``, and Secure when the request came over HTTPS.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote, urlparse

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from bot.console import deliveries, sessions
from bot.console.settings import ConsoleSettings
from bot.console.staff import Staff
from bot.store.db import Database
from bot.store.types import utcnow

COOKIE = "repairbot_console"
LOGIN_CSRF_COOKIE = "repairbot_console_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = ("GET", "HEAD")

View = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class ConsoleUser(BaseUser):
    """The signed-in person as Starlette's ``request.user``."""

    staff: Staff
    csrf_token: str
    #: Messages that did not reach their chat (failed outbox rows): the header's 未送达 badge.
    undelivered: int = 0

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.staff.display_name

    @property
    def identity(self) -> str:
        return str(self.staff.id)


class SessionBackend(AuthenticationBackend):
    """Looks the session cookie up in the database (off the event loop)."""

    def __init__(self, db: Database, settings: ConsoleSettings) -> None:
        self.db = db
        self.settings = settings

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        token = conn.cookies.get(COOKIE)
        if not token:
            return None

        def look() -> ConsoleUser | None:
            with self.db.session() as session:
                signed = sessions.lookup(session, token, utcnow(), self.settings)
                if signed is None:
                    return None
                o = signed.operator
                return ConsoleUser(Staff(o.id, o.username, o.display_name, o.role), signed.csrf_token,
                                   deliveries.count(session))

        user = await asyncio.to_thread(look)
        if user is None:
            return None
        return AuthCredentials(list(user.staff.scopes)), user


def me(request: Request) -> Staff:
    """The signed-in person (only inside a guarded view)."""
    user = request.user
    assert isinstance(user, ConsoleUser)
    return user.staff


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return "/api/" in path or path.endswith("/events") or "application/json" in request.headers.get("accept", "")


def refuse(request: Request, status: int, message: str) -> Response:
    """An error as JSON for scripts, or as the console's error page for people."""
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    from bot.console.pages import templates

    return templates.TemplateResponse(request, "error.html", {"status": status, "message": message},
                                      status_code=status)


def login_url(request: Request) -> str:
    """The login page, coming back to this page afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{request.url_for('console:login')}?next={quote(here, safe='')}"


async def csrf_ok(request: Request, expected: str) -> bool:
    """Does the request echo ``expected`` (header, or form field of a form post)?"""
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            presented = value if isinstance(value, str) else None
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def guard(scope: str) -> Callable[[View], View]:
    """Require a session, the role ``scope`` and, for state-changing methods, the CSRF token."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        async def wrapper(request: Request) -> Response:
            user = request.user
            if not isinstance(user, ConsoleUser):
                if _wants_json(request):
                    return JSONResponse({"error": "请先登录"}, status_code=401)
                return RedirectResponse(login_url(request), status_code=303)
            if scope not in request.auth.scopes:
                return refuse(request, 403, "您的账号没有权限访问这个页面")
            if request.method not in _SAFE_METHODS and not await csrf_ok(request, user.csrf_token):
                return refuse(request, 403, "页面已过期或请求来源无效（CSRF），请刷新页面后重试")
            return await view(request)

        return wrapper

    return decorator


def set_session_cookie(response: Response, request: Request, token: str, settings: ConsoleSettings) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, only under /console, Secure over HTTPS."""
    response.set_cookie(COOKIE, token, max_age=int(settings.session_max_days * 86400), path="/console",
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")


def clear_session_cookie(response: Response, request: Request) -> None:
    """Forget the session cookie in the browser."""
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")


def login_csrf(request: Request) -> tuple[str, bool]:
    """The login form's double-submit token: the cookie's, or a new one (True when it must be set)."""
    current = request.cookies.get(LOGIN_CSRF_COOKIE)
    if current and 16 <= len(current) <= 128:
        return current, False
    return secrets.token_urlsafe(24), True


def set_login_csrf(response: Response, request: Request, token: str) -> None:
    """The double-submit cookie the login form must echo."""
    response.set_cookie(LOGIN_CSRF_COOKIE, token, path="/console", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def safe_next(target: str | None, default: str) -> str:
    """Where to go after login: only a path inside the console (never another site)."""
    if not target:
        return default
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not parsed.path.startswith("/console") or target.startswith("//"):
        return default
    if parsed.path.startswith("/console/login") or parsed.path.startswith("/console/logout"):
        return default
    return target


def client_ip(request: Request) -> str:
    """The peer address (behind a proxy, uvicorn's --proxy-headers makes this the client's)."""
    return request.client.host if request.client else "unknown"
