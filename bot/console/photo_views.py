"""Serving photo evidence to console staff: thin routes over bot/console/photos.py.

Every console role may look (``staff``: operators work the ticket, managers review it); without a
session the guard sends people to the login page. The file is decrypted per request and never cached
(``Cache-Control: private, no-store``: a shared or later user of the browser must not find a customer's
door in its cache), typed by what the photo was decoded as, with ``nosniff``. Each view is in the
audit log before the bytes leave: if the audit cannot be written, nothing is shown.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console import photos
from bot.console.auth import View, guard, me, refuse
from bot.console.errors import ConsoleError
from bot.console.runtime import Console
from bot.evidence import EvidenceSettings

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def routes(c: Console) -> list[Route]:
    """A photo of a ticket or of a chat, whole or as a thumbnail."""
    settings = EvidenceSettings.from_config(c.config)

    def serve(owner: photos.Owner, size: photos.Size) -> View:
        @guard("staff")
        async def view(request: Request) -> Response:
            who, owner_id, photo_id = me(request), request.path_params["id"], request.path_params["photo"]
            try:
                found = await c.call(lambda s: photos.find(s, owner, owner_id, photo_id), write=False)
            except ConsoleError as exc:
                return refuse(request, exc.status, exc.message)
            try:
                body, media_type = await asyncio.to_thread(photos.content, found, settings, size)
            except FileNotFoundError:  # erased or purged since the lookup
                return refuse(request, 404, "没有这张照片")
            await c.call(lambda s: photos.record_view(s, who, found, size, c.clock()))
            name = f"photo-{found.id}{'-thumb' if size == 'thumb' else ''}.{_EXTENSIONS.get(media_type, 'bin')}"
            return Response(body, media_type=media_type, headers={
                "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
                "Content-Disposition": f'inline; filename="{name}"'})

        view.__name__ = f"{owner}_photo_{size}"
        return view

    return [
        Route("/tickets/{id:int}/photos/{photo:int}", serve("ticket", "full"), methods=["GET"], name="ticket_photo"),
        Route("/tickets/{id:int}/photos/{photo:int}/thumb", serve("ticket", "thumb"), methods=["GET"],
              name="ticket_photo_thumb"),
        Route("/conversations/{id:int}/photos/{photo:int}", serve("conversation", "full"), methods=["GET"],
              name="conversation_photo"),
        Route("/conversations/{id:int}/photos/{photo:int}/thumb", serve("conversation", "thumb"), methods=["GET"],
              name="conversation_photo_thumb"),
    ]
