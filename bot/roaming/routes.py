"""HTTP routes of the roaming advisory: public calendar feeds, and (bot/roaming/admin.py) console pages."""

from __future__ import annotations

import datetime as dt

import anyio
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from bot.roaming import ics, schedule
from bot.roaming.clock import utcnow
from bot.roaming.municipalities import UnknownMunicipality, parse_name, slug

FEED_PAST = dt.timedelta(days=30)  # a subscribed calendar keeps the last month
FEED_FUTURE = dt.timedelta(days=365)


def calendar_router() -> APIRouter:
    router = APIRouter()

    @router.get("/calendar/{name}.ics", include_in_schema=False)
    async def municipality_calendar(request: Request, name: str) -> Response:
        """Visits and events of one municipality: /calendar/jyvaskyla.ics (with or without ä/ö)."""
        try:
            municipality = parse_name(name)
        except UnknownMunicipality:
            raise HTTPException(status_code=404, detail=f"no calendar for {name!r}") from None
        store = request.app.state.store
        now = utcnow()
        start, end = now - FEED_PAST, now + FEED_FUTURE
        visits = await anyio.to_thread.run_sync(schedule.visits_between, store, start, end, municipality)
        events = await anyio.to_thread.run_sync(
            lambda: schedule.events_between(store, start, end, "fi", municipality)
        )
        body = ics.calendar(f"Neuvo: {municipality}", visits, events, now)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={
                "Content-Disposition": f'inline; filename="{slug(municipality)}.ics"',
                "Cache-Control": "public, max-age=900",
            },
        )

    return router


def roaming_router() -> APIRouter:
    """Everything the app mounts for the roaming advisory."""
    from bot.roaming.admin import admin_router  # the console's pages: only with the console mounted

    router = APIRouter()
    router.include_router(calendar_router())
    router.include_router(admin_router())
    return router
