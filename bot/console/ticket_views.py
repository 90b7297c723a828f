"""Console pages for ticket work and technicians: thin wrappers over bot/console/tickets.py and
bot/console/technicians.py (read the form, call the service, render or redirect)."""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console import technicians, tickets
from bot.console.auth import guard, refuse
from bot.console.errors import ConsoleError
from bot.console.pages import templates
from bot.console.runtime import Console
from bot.console.views import act, form_of


def routes(c: Console) -> list[Route]:
    """Ticket page and its actions; technicians' schedules, deactivation and reactivation."""

    def _ticket_url(request: Request, tid: int) -> str:
        return str(request.url_for("console:ticket", id=tid))

    @guard("staff")
    async def ticket(request: Request) -> Response:
        tid = request.path_params["id"]
        try:
            view = await c.call(lambda s: tickets.page(s, c.ctx, tid, c.clock()), write=False)
        except ConsoleError as exc:
            return refuse(request, exc.status, exc.message)
        return templates.TemplateResponse(request, "ticket.html", {"t": view})

    @guard("operator")
    async def edit(request: Request) -> Response:
        tid, form = request.path_params["id"], await form_of(request)
        return await act(c, request, lambda s, who, now: tickets.edit(
            s, c.ctx, who, tid, county=form.get("county"), fault=form.get("fault"), address=form.get("address"),
            now=now), _ticket_url(request, tid))

    @guard("operator")
    async def book(request: Request) -> Response:
        tid, form = request.path_params["id"], await form_of(request)
        if not form.get("ref"):
            return refuse(request, 400, "请选择一个时段")
        return await act(c, request, lambda s, who, now: tickets.book_visit(s, c.ctx, who, tid, form["ref"], now),
                         _ticket_url(request, tid), background=BackgroundTask(c.deliver))

    @guard("operator")
    async def visit_done(request: Request) -> Response:
        tid, form = request.path_params["id"], await form_of(request)
        check = {k.removeprefix("check_"): v for k, v in form.items() if k.startswith("check_")}
        return await act(c, request, lambda s, who, now: tickets.report_visit(
            s, c.ctx, who, tid, check=check, notes=form.get("notes"), now=now), _ticket_url(request, tid))

    @guard("operator")
    async def schedule(request: Request) -> Response:
        days = await c.call(lambda s: technicians.schedule(s, c.ctx, c.clock()), write=False)
        return templates.TemplateResponse(request, "technicians.html", {"days": days})

    @guard("operator")
    async def technician(request: Request) -> Response:
        tech_id = request.path_params["id"]
        try:
            tech, jobs = await c.call(lambda s: technicians.technician(s, c.ctx, tech_id, c.clock()), write=False)
        except ConsoleError as exc:
            return refuse(request, exc.status, exc.message)
        return templates.TemplateResponse(request, "technician.html", {"tech": tech, "jobs": jobs})

    @guard("operator")
    async def deactivate(request: Request) -> Response:
        tech_id = request.path_params["id"]
        return await act(c, request, lambda s, who, now: len(technicians.deactivate(s, c.ctx, who, tech_id, now)),
                         str(request.url_for("console:technician", id=tech_id)))

    @guard("operator")
    async def activate(request: Request) -> Response:
        tech_id = request.path_params["id"]
        return await act(c, request, lambda s, who, now: technicians.activate(s, who, tech_id, now),
                         str(request.url_for("console:technician", id=tech_id)))

    return [
        Route("/tickets/{id:int}", ticket, methods=["GET"], name="ticket"),
        Route("/tickets/{id:int}/fields", edit, methods=["POST"], name="ticket_fields"),
        Route("/tickets/{id:int}/book", book, methods=["POST"], name="ticket_book"),
        Route("/tickets/{id:int}/visit-done", visit_done, methods=["POST"], name="ticket_visit_done"),
        Route("/technicians", schedule, methods=["GET"], name="technicians"),
        Route("/technicians/{id:int}", technician, methods=["GET"], name="technician"),
        Route("/technicians/{id:int}/deactivate", deactivate, methods=["POST"], name="technician_deactivate"),
        Route("/technicians/{id:int}/activate", activate, methods=["POST"], name="technician_activate"),
    ]
