"""Console pages for signing in, the live queue and conversations: read the request, call a service, render.

Every state-changing endpoint is a POST behind :func:`~bot.console.auth.guard` (session, role, CSRF).
Plain HTML forms work without JavaScript (each answers with a redirect back); console.js enhances the
reply box (sent without leaving the page) and keeps the queue and the open chat current from the
event stream.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from bot.console import accounts, services, sessions
from bot.console.auth import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    clear_session_cookie,
    client_ip,
    guard,
    login_csrf,
    me,
    refuse,
    safe_next,
    set_login_csrf,
    set_session_cookie,
)
from bot.console.errors import ConsoleError
from bot.console.live import Listener
from bot.console.pages import templates
from bot.console.runtime import Console
from bot.console.staff import Staff, audit
from bot.store.models import Conversation, Operator
from bot.store.types import utcnow


def home_for(staff: Staff, request: Request) -> str:
    """Where a person lands after login: operators on the queue, managers on the feedback summary."""
    return str(request.url_for("console:queue" if staff.can("operator") else "console:summary"))


async def form_of(request: Request) -> dict[str, str]:
    """The posted form's text fields (files are not accepted anywhere in the console)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def act(c: Console, request: Request, fn: Callable[[Session, Staff, datetime], Any], back: str,
              *, background: BackgroundTask | None = None) -> Response:
    """Run an action for the signed-in person; JSON for scripts, a redirect back for forms."""
    who = me(request)
    try:
        result = await c.call(lambda s: fn(s, who, c.clock()))
    except ConsoleError as exc:
        return refuse(request, exc.status, exc.message)
    if wants_json(request):
        return JSONResponse({"ok": True, "result": result if isinstance(result, str | int) else None},
                            background=background)
    return RedirectResponse(back, status_code=303, background=background)


def int_field(form: dict[str, str], name: str, what: str) -> int:
    """A whole number from the form, or a 400 naming the field."""
    try:
        return int(form.get(name, "").strip())
    except ValueError as exc:
        raise ConsoleError(400, f"{what}无效") from exc


def routes(c: Console) -> list[Route]:
    """Login, logout, home, queue, events and conversation routes."""

    # -- signing in ------------------------------------------------------------------------------------
    async def login_page(request: Request) -> Response:
        token, fresh = login_csrf(request)
        response = templates.TemplateResponse(request, "login.html", {
            "login_csrf": token, "next": safe_next(request.query_params.get("next"), ""), "error": None})
        if fresh:
            set_login_csrf(response, request, token)
        return response

    async def login(request: Request) -> Response:
        form = await form_of(request)
        token, _ = login_csrf(request)
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        username, password = form.get("username", "").strip(), form.get("password", "")
        target = safe_next(form.get("next"), "")

        def page(error: str, status: int) -> Response:
            response = templates.TemplateResponse(request, "login.html", {
                "login_csrf": token, "next": target, "error": error}, status_code=status)
            set_login_csrf(response, request, token)
            return response

        if not cookie or form.get("csrf") != cookie:
            return page("登录页面已过期，请重新输入", 403)
        if not username or not password or len(username) > 64 or len(password) > accounts.MAX_PASSWORD_CHARS:
            return page("请输入用户名和密码", 400)
        ip = client_ip(request)

        def attempt(session: Session) -> tuple[str, Staff | None, str | None]:
            now = utcnow()
            if sessions.throttled(session, username, ip, now, c.settings):
                return "throttled", None, None
            row = accounts.verify(session, username, password)
            sessions.record(session, username, ip, row is not None, now)
            if row is None:
                return "wrong", None, None
            cookie_token, _csrf = sessions.start(session, row, now, c.settings)
            staff = Staff(row.id, row.username, row.display_name, row.role)
            audit(session, staff, "console.login", f"operator:{row.id}", c.clock())
            return "ok", staff, cookie_token

        outcome, staff, session_token = await c.call(attempt)
        if outcome == "throttled":
            minutes = int(c.settings.login_window_minutes)
            return page(f"登录失败次数过多，请 {minutes} 分钟后再试", 429)
        if outcome == "wrong" or staff is None or session_token is None:
            return page("用户名或密码错误", 401)
        response = RedirectResponse(target or home_for(staff, request), status_code=303)
        set_session_cookie(response, request, session_token, c.settings)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
        return response

    @guard("staff")
    async def logout(request: Request) -> Response:
        who = me(request)
        token = request.cookies.get(COOKIE, "")

        def out(session: Session) -> None:
            sessions.end(session, token)
            # Gone offline: no new chats are assigned to them.
            session.execute(update(Operator).where(Operator.id == who.id).values(last_seen_at=None))
            audit(session, who, "console.logout", f"operator:{who.id}", c.clock())

        await c.call(out)
        response = RedirectResponse(str(request.url_for("console:login")), status_code=303)
        clear_session_cookie(response, request)
        return response

    @guard("staff")
    async def home(request: Request) -> Response:
        return RedirectResponse(home_for(me(request), request), status_code=303)

    # -- the queue -------------------------------------------------------------------------------------
    async def _queue(request: Request) -> services.QueueView:
        who = me(request)
        return await c.call(lambda s: services.queue(s, c.ctx, who, c.clock()), write=False)

    @guard("staff")
    async def queue_page(request: Request) -> Response:
        return templates.TemplateResponse(request, "queue.html", {"q": await _queue(request), "settings": c.settings})

    @guard("staff")
    async def queue_rows(request: Request) -> Response:
        return templates.TemplateResponse(request, "_queue.html", {"q": await _queue(request), "settings": c.settings})

    @guard("staff")
    async def events(request: Request) -> Response:
        raw = request.query_params.get("conversation")
        conversation = int(raw) if raw and raw.isdigit() else None
        listener = Listener(operator_id=me(request).id, conversation_id=conversation)
        return StreamingResponse(c.hub.stream(listener), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    # -- a conversation --------------------------------------------------------------------------------
    def _chat_url(request: Request, cid: int) -> str:
        return str(request.url_for("console:conversation", id=cid))

    async def _chat_view(request: Request) -> services.ChatView | Response:
        who, cid = me(request), request.path_params["id"]
        try:
            return await c.call(lambda s: services.chat(s, c.ctx, who, cid, c.clock()), write=False)
        except ConsoleError as exc:
            return refuse(request, exc.status, exc.message)

    @guard("staff")
    async def conversation(request: Request) -> Response:
        view = await _chat_view(request)
        if isinstance(view, Response):
            return view
        return templates.TemplateResponse(request, "conversation.html", {
            "chat": view, "settings": c.settings, "canned": c.settings.canned_replies})

    @guard("staff")
    async def conversation_messages(request: Request) -> Response:
        view = await _chat_view(request)
        if isinstance(view, Response):
            return view
        return templates.TemplateResponse(request, "_chat_live.html", {"chat": view, "settings": c.settings})

    def _action(name: str, fn: Callable[[Session, Staff, int, datetime, dict[str, str]], Any],
                *, deliver: bool = False) -> Callable[[Request], Any]:
        @guard("operator")
        async def view(request: Request) -> Response:
            cid = request.path_params["id"]
            form = await form_of(request)
            return await act(c, request, lambda s, who, now: fn(s, who, cid, now, form), _chat_url(request, cid),
                             background=BackgroundTask(c.deliver) if deliver else None)

        view.__name__ = name
        return view

    take = _action("take", lambda s, who, cid, now, f: services.take_over(s, who, cid, now))
    reply = _action("reply", lambda s, who, cid, now, f: services.reply(s, c.ctx, who, cid, f.get("text", ""), now),
                    deliver=True)
    hand_back = _action("hand_back", lambda s, who, cid, now, f: services.hand_back(s, who, cid, now))
    close = _action("close", lambda s, who, cid, now, f: services.close(s, who, cid, now))
    transfer = _action("transfer", lambda s, who, cid, now, f: services.transfer(
        s, who, cid, int_field(f, "to", "转接对象"), now))
    snooze = _action("snooze", lambda s, who, cid, now, f: services.snooze(
        s, c.ctx, who, cid, int_field(f, "minutes", "暂缓时长"), now))
    unsnooze = _action("unsnooze", lambda s, who, cid, now, f: services.unsnooze(s, who, cid, now))
    add_note = _action("add_note", lambda s, who, cid, now, f: services.add_note(
        s, who, cid, f.get("text", ""), private=f.get("private") == "1", now=now))

    # -- notes API (the private-notes rule, for scripts and the page alike) ----------------------------
    def _note_json(n: services.NoteView) -> dict[str, Any]:
        return {"id": n.id, "author": n.author, "private": n.private, "text": n.text, "at": n.at.isoformat()}

    @guard("staff")
    async def notes_api(request: Request) -> Response:
        who, cid = me(request), request.path_params["id"]

        def read(s: Session) -> list[services.NoteView]:
            if s.get(Conversation, cid) is None:
                raise ConsoleError(404, "没有这个对话")
            return services.notes(s, who, cid)

        try:
            found = await c.call(read, write=False)
        except ConsoleError as exc:
            return refuse(request, exc.status, exc.message)
        return JSONResponse({"notes": [_note_json(n) for n in found]})

    @guard("staff")
    async def note_api(request: Request) -> Response:
        who, nid = me(request), request.path_params["id"]
        try:
            found = await c.call(lambda s: services.note(s, who, nid), write=False)
        except ConsoleError as exc:
            return refuse(request, exc.status, exc.message)
        return JSONResponse(_note_json(found))

    return [
        Route("/login", login_page, methods=["GET"], name="login"),
        Route("/login", login, methods=["POST"], name="login_post"),
        Route("/logout", logout, methods=["POST"], name="logout"),
        Route("/", home, methods=["GET"], name="home"),
        Route("/queue", queue_page, methods=["GET"], name="queue"),
        Route("/queue/rows", queue_rows, methods=["GET"], name="queue_rows"),
        Route("/events", events, methods=["GET"], name="events"),
        Route("/conversations/{id:int}", conversation, methods=["GET"], name="conversation"),
        Route("/conversations/{id:int}/live", conversation_messages, methods=["GET"], name="conversation_live"),
        Route("/conversations/{id:int}/take", take, methods=["POST"], name="take"),
        Route("/conversations/{id:int}/reply", reply, methods=["POST"], name="reply"),
        Route("/conversations/{id:int}/hand-back", hand_back, methods=["POST"], name="hand_back"),
        Route("/conversations/{id:int}/close", close, methods=["POST"], name="close"),
        Route("/conversations/{id:int}/transfer", transfer, methods=["POST"], name="transfer"),
        Route("/conversations/{id:int}/snooze", snooze, methods=["POST"], name="snooze"),
        Route("/conversations/{id:int}/unsnooze", unsnooze, methods=["POST"], name="unsnooze"),
        Route("/conversations/{id:int}/notes", add_note, methods=["POST"], name="add_note"),
        Route("/api/conversations/{id:int}/notes", notes_api, methods=["GET"], name="notes_api"),
        Route("/api/notes/{id:int}", note_api, methods=["GET"], name="note_api"),
    ]
