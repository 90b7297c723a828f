"""The 未送达 pages: thin routes over bot/console/deliveries.py.

Every console role reads the list (managers included: a customer who blocked the bot is feedback too);
retry and dismiss are operators' (and admins') actions, POSTs behind the CSRF guard, answered with a
redirect back to the page they were pressed on (the list or the chat, via a ``next`` field kept inside
the console) or with JSON for scripts. A retry kicks the dispatcher at once, as an operator's reply does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console import deliveries
from bot.console.auth import guard, safe_next
from bot.console.pages import templates
from bot.console.runtime import Console
from bot.console.views import act, form_of


def routes(c: Console) -> list[Route]:
    """The list, its live fragment, and the two actions on one undelivered message."""

    async def _page(request: Request, template: str) -> Response:
        def read(s: Session) -> dict[str, Any]:
            return {"rows": deliveries.listing(s, c.clock()), "total": deliveries.count(s),
                    "limit": deliveries.LIST_LIMIT}

        return templates.TemplateResponse(request, template, await c.call(read, write=False))

    @guard("staff")
    async def listing(request: Request) -> Response:
        return await _page(request, "deliveries.html")

    @guard("staff")
    async def rows(request: Request) -> Response:
        return await _page(request, "_deliveries.html")

    def _back(request: Request, form: dict[str, str]) -> str:
        return safe_next(form.get("next"), str(request.url_for("console:deliveries")))

    @guard("operator")
    async def retry(request: Request) -> Response:
        row_id, form = request.path_params["id"], await form_of(request)
        return await act(c, request, lambda s, who, now: deliveries.retry(s, who, row_id, now), _back(request, form),
                         background=BackgroundTask(c.deliver))

    @guard("operator")
    async def dismiss(request: Request) -> Response:
        row_id, form = request.path_params["id"], await form_of(request)
        return await act(c, request, lambda s, who, now: deliveries.dismiss(s, who, row_id, now),
                         _back(request, form))

    return [
        Route("/deliveries", listing, methods=["GET"], name="deliveries"),
        Route("/deliveries/rows", rows, methods=["GET"], name="deliveries_rows"),
        Route("/deliveries/{id:int}/retry", retry, methods=["POST"], name="delivery_retry"),
        Route("/deliveries/{id:int}/dismiss", dismiss, methods=["POST"], name="delivery_dismiss"),
    ]
