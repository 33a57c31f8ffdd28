"""The escalation queue and its workflow: claim, assign (admins), hand back to the bot, resolve."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from bot.console.auth import AdminUser, Advisor, AdvisorUser, console_services
from bot.console.errors import Conflict, InvalidInput
from bot.console.escalation_queue import STATUS_FILTERS, Outcome, QueueFilter, QueueRow
from bot.console.services import event_bus
from bot.console.web import ConsoleRoute, redirect, url, wants_html
from bot.events import Event
from bot.languages import LANGUAGES
from channels.registry import CHANNELS

router = APIRouter(route_class=ConsoleRoute)

# Every channel a person can write from: the registered ones and the web chat (/api/chat).
QUEUE_CHANNELS = (*CHANNELS, "web")


def _filter(
    advisor: Advisor,
    status: str,
    language: str,
    municipality: str,
    channel: str,
    urgent: str,
    mine: str,
    page: int,
) -> QueueFilter:
    if language and language not in LANGUAGES:
        raise InvalidInput(f"language: one of {', '.join(LANGUAGES)}")
    if urgent not in ("", "yes", "no"):
        raise InvalidInput("urgent: yes or no")
    return QueueFilter(
        status=status or "active",
        language=language or None,
        municipality=municipality or None,
        channel=channel or None,
        urgent=None if not urgent else urgent == "yes",
        assigned_to=advisor.username if mine else None,
        page=page,
    )


@router.get("")
async def queue_page(
    request: Request,
    advisor: AdvisorUser,
    status: str = "active",
    language: str = "",
    municipality: str = "",
    channel: str = "",
    urgent: str = "",
    mine: str = "",
    page: int = 1,
) -> HTMLResponse:
    console = console_services(request)
    f = _filter(advisor, status, language, municipality, channel, urgent, mine, page)
    result = await anyio.to_thread.run_sync(console.queue.page, f)
    municipalities = await anyio.to_thread.run_sync(console.queue.municipalities)
    settings = await anyio.to_thread.run_sync(console.settings.load)
    hours_open = settings.advisor_hours.open_at(dt.datetime.now(dt.UTC))
    return console.pages.render(
        request,
        "queue.html",
        advisor,
        result=result,
        filter=f,
        mine=bool(mine),
        statuses=STATUS_FILTERS,
        languages=LANGUAGES,
        municipalities=municipalities,
        channels=QUEUE_CHANNELS,
        overdue_after=settings.no_answer_time,
        hours_configured=bool(settings.advisor_hours.spans),
        hours_open=hours_open,
        advisors=await _advisors(request, advisor),
    )


@router.get("/queue/rows")
async def queue_rows(
    request: Request,
    advisor: AdvisorUser,
    status: str = "active",
    language: str = "",
    municipality: str = "",
    channel: str = "",
    urgent: str = "",
    mine: str = "",
    page: int = 1,
) -> HTMLResponse:
    """The queue table's rows alone: the page swaps them in when the live stream says something changed."""
    console = console_services(request)
    f = _filter(advisor, status, language, municipality, channel, urgent, mine, page)
    result = await anyio.to_thread.run_sync(console.queue.page, f)
    settings = await anyio.to_thread.run_sync(console.settings.load)
    html = console.pages.fragment(
        "_queue_rows.html",
        result=result,
        advisor=advisor,
        csrf_token=advisor.csrf_token,
        now=dt.datetime.now(dt.UTC),
        overdue_after=settings.no_answer_time,
        advisors=await _advisors(request, advisor),
    )
    return HTMLResponse(html, headers={"X-Queue-Total": str(result.total)})


async def _advisors(request: Request, advisor: Advisor) -> list[str]:
    """Whom an admin can assign escalations to."""
    if not advisor.is_admin:
        return []
    accounts = await anyio.to_thread.run_sync(console_services(request).accounts.all)
    return [a.username for a in accounts if a.active]


def _done(request: Request, row: QueueRow, notice: str) -> Response:
    if wants_html(request):
        return redirect(url(f"/console/conversations/{quote(row.conversation_id, safe='')}", notice=notice))
    return JSONResponse({"id": row.id, "status": row.status, "assigned_to": row.assigned_to})


def _changed(request: Request, row: QueueRow) -> None:
    events = event_bus(request.app)
    events.publish(Event("escalation", row.conversation_id, {"id": row.id, "status": row.status}))
    events.publish(Event("assignment", row.conversation_id, {"assigned_to": row.assigned_to}))


@router.post("/escalations/{escalation_id}/claim")
async def claim(request: Request, escalation_id: int, advisor: AdvisorUser) -> Response:
    console = console_services(request)
    row = await anyio.to_thread.run_sync(console.queue.claim, escalation_id, advisor.username)
    await anyio.to_thread.run_sync(
        console.audit.write, advisor.username, "escalation.claim", row.conversation_id, f"escalation={row.id}"
    )
    _changed(request, row)
    return _done(request, row, "claimed")


@router.post("/escalations/{escalation_id}/assign")
async def assign(
    request: Request,
    escalation_id: int,
    advisor: AdminUser,
    assignee: Annotated[str, Form(max_length=64)],
) -> Response:
    console = console_services(request)
    account = await anyio.to_thread.run_sync(console.accounts.get, assignee)
    if account is None or not account.active:
        raise InvalidInput("assignee: choose an active account")
    row = await anyio.to_thread.run_sync(console.queue.assign, escalation_id, account.username)
    await anyio.to_thread.run_sync(
        console.audit.write,
        advisor.username,
        "escalation.assign",
        row.conversation_id,
        f"escalation={row.id} to={account.username}",
    )
    _changed(request, row)
    return _done(request, row, "assigned")


@router.post("/escalations/{escalation_id}/release")
async def release(request: Request, escalation_id: int, advisor: AdvisorUser) -> Response:
    """Unassign: the escalation goes back to the queue and the bot answers the person again."""
    console = console_services(request)
    current = await anyio.to_thread.run_sync(console.queue.get, escalation_id)
    if current.assigned_to not in (None, advisor.username) and not advisor.is_admin:
        raise Conflict(f"only {current.assigned_to} or an admin can hand this back")
    row = await anyio.to_thread.run_sync(console.queue.release, escalation_id)
    await anyio.to_thread.run_sync(
        console.audit.write,
        advisor.username,
        "escalation.release",
        row.conversation_id,
        f"escalation={row.id}",
    )
    _changed(request, row)
    return _done(request, row, "released")


@router.post("/escalations/{escalation_id}/resolve")
async def resolve(
    request: Request,
    escalation_id: int,
    advisor: AdvisorUser,
    outcome: Annotated[str, Form(max_length=32)],
    topic: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    console = console_services(request)
    try:
        chosen = Outcome(outcome)
    except ValueError as exc:
        raise InvalidInput(f"outcome: one of {', '.join(o.value for o in Outcome)}") from exc
    if topic and console.taxonomy.get(topic) is None:
        raise InvalidInput("topic: choose one from the taxonomy")
    current = await anyio.to_thread.run_sync(console.queue.get, escalation_id)
    if current.assigned_to not in (None, advisor.username) and not advisor.is_admin:
        raise Conflict(f"only {current.assigned_to} or an admin can resolve this")
    row = await anyio.to_thread.run_sync(
        console.queue.resolve, escalation_id, advisor.username, chosen, topic or None
    )
    await anyio.to_thread.run_sync(
        console.audit.write,
        advisor.username,
        "escalation.resolve",
        row.conversation_id,
        f"escalation={row.id} outcome={chosen.value} topic={topic or '-'}",
    )
    _changed(request, row)
    return _done(request, row, "resolved")
