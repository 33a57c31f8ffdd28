"""Server-sent events: the console's pages learn of new messages, escalations and assignments at once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from bot.console.auth import AdvisorUser
from bot.console.services import event_bus
from bot.console.web import ConsoleRoute
from bot.events import Event, EventBus

router = APIRouter(route_class=ConsoleRoute)

HEARTBEAT_SECONDS = 10.0  # keeps proxies from closing an idle stream, and notices a gone browser
# Each stream ends after this long and the browser reconnects (EventSource does, after `retry`), which
# re-checks the session (a disabled account stops hearing at once) and lets the server shut down: uvicorn
# waits for open responses before it stops, and cannot tell an endless stream that it is going away.
STREAM_SECONDS = 15.0


def _frame(event: Event) -> str:
    # Events carry ids and flags only, never message text; the page fetches what it shows.
    data = {k: v for k, v in event.data.items() if isinstance(v, str | int | float | bool) or v is None}
    payload = json.dumps({"conversation_id": event.conversation_id, **data}, ensure_ascii=False)
    return f"event: {event.kind}\ndata: {payload}\n\n"


async def event_stream(
    request: Request,
    bus: EventBus,
    heartbeat: float = HEARTBEAT_SECONDS,
    lifetime: float = STREAM_SECONDS,
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    ends = loop.time() + lifetime
    async with bus.subscribe() as queue:
        # Sent once subscribed: a client that has read this line misses no later event.
        yield "retry: 2000\n: connected\n\n"
        while (left := ends - loop.time()) > 0:
            try:
                event = await asyncio.wait_for(queue.get(), min(heartbeat, left))
            except TimeoutError:
                if await request.is_disconnected():
                    return
                yield ": keep-alive\n\n"
                continue
            yield _frame(event)


@router.get("/events")
async def events(request: Request, advisor: AdvisorUser) -> StreamingResponse:
    bus = event_bus(request.app)
    return StreamingResponse(
        event_stream(request, bus),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
