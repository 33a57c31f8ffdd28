"""Admin pages: advisor accounts, service settings, the audit log, and suggestions for the knowledge base."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from bot.console.accounts import Role
from bot.console.auth import AdminUser, console_services
from bot.console.errors import Conflict, InvalidInput
from bot.console.service_settings import (
    WEEKDAY_NAMES,
    WEEKDAYS,
    ServiceSettings,
    format_hours,
    hours_from_form,
    hours_per_day,
)
from bot.console.services import publish_settings
from bot.console.suggestions import Review
from bot.console.web import ConsoleRoute, redirect, url

router = APIRouter(prefix="/admin", route_class=ConsoleRoute)

Password = Annotated[str, Form(max_length=2000)]


@router.get("")
async def admin_home(advisor: AdminUser) -> Response:
    return redirect("/console/admin/users")


@router.get("/users")
async def users_page(request: Request, advisor: AdminUser) -> HTMLResponse:
    console = console_services(request)
    accounts = await anyio.to_thread.run_sync(console.accounts.all)
    return console.pages.render(request, "admin_users.html", advisor, accounts=accounts, roles=list(Role))


@router.post("/users")
async def create_user(
    request: Request,
    advisor: AdminUser,
    username: Annotated[str, Form(max_length=64)],
    password: Password,
    role: Annotated[str, Form(max_length=16)] = Role.ADVISOR.value,
) -> Response:
    console = console_services(request)
    try:
        chosen = Role(role)
    except ValueError as exc:
        raise InvalidInput("role: advisor or admin") from exc
    account = await anyio.to_thread.run_sync(console.accounts.create, username, password, chosen)
    await anyio.to_thread.run_sync(
        console.audit.write, advisor.username, "user.create", None, f"user={account.username} role={chosen}"
    )
    return redirect(url("/console/admin/users", notice="user_created"))


@router.post("/users/{username}/active")
async def set_active(
    request: Request, username: str, advisor: AdminUser, active: Annotated[str, Form(max_length=1)]
) -> Response:
    console = console_services(request)
    if username == advisor.username and active != "1":
        raise Conflict("you cannot disable your own account")
    await anyio.to_thread.run_sync(console.accounts.set_active, username, active == "1")
    action = "user.enable" if active == "1" else "user.disable"
    await anyio.to_thread.run_sync(console.audit.write, advisor.username, action, None, f"user={username}")
    return redirect(url("/console/admin/users", notice="user_updated"))


@router.post("/users/{username}/password")
async def reset_password(request: Request, username: str, advisor: AdminUser, password: Password) -> Response:
    console = console_services(request)
    await anyio.to_thread.run_sync(console.accounts.set_password, username, password)
    await anyio.to_thread.run_sync(
        console.audit.write, advisor.username, "user.password_reset", None, f"user={username}"
    )
    return redirect(url("/console/admin/users", notice="password_set"))


@router.get("/settings")
async def settings_page(request: Request, advisor: AdminUser) -> HTMLResponse:
    console = console_services(request)
    current = await anyio.to_thread.run_sync(console.settings.load)
    return console.pages.render(
        request,
        "admin_settings.html",
        advisor,
        settings=current,
        days=[
            (key, name, opens, closes)
            for key, name, (opens, closes) in zip(
                WEEKDAYS, WEEKDAY_NAMES, hours_per_day(current.advisor_hours), strict=True
            )
        ],
    )


@router.post("/settings")
async def save_settings(request: Request, advisor: AdminUser) -> Response:
    console = console_services(request)
    form = await request.form()

    def field(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    hours = hours_from_form([(field(f"{day}_opens"), field(f"{day}_closes")) for day in WEEKDAYS])
    try:
        retention, no_answer = int(field("retention_days")), int(field("no_answer_minutes"))
    except ValueError as exc:
        raise InvalidInput("retention period and no-answer time: whole numbers") from exc
    saved = await anyio.to_thread.run_sync(
        console.settings.save, ServiceSettings(hours, retention, no_answer), advisor.username
    )
    publish_settings(request.app, saved)
    await anyio.to_thread.run_sync(
        console.audit.write,
        advisor.username,
        "settings.update",
        None,
        f"hours={format_hours(hours) or '-'} retention_days={retention} no_answer_minutes={no_answer}",
    )
    return redirect(url("/console/admin/settings", notice="settings_saved"))


@router.get("/audit")
async def audit_page(
    request: Request,
    advisor: AdminUser,
    page: int = 1,
    actor: str = "",
    action: str = "",
    conversation: str = "",
) -> HTMLResponse:
    console = console_services(request)
    result = await anyio.to_thread.run_sync(
        lambda: console.audit.page(
            page, actor=actor or None, action=action or None, conversation_id=conversation or None
        )
    )
    return console.pages.render(
        request,
        "admin_audit.html",
        advisor,
        result=result,
        actions=await anyio.to_thread.run_sync(console.audit.actions),
        actor=actor,
        action=action,
        conversation=conversation,
    )


@router.get("/suggestions")
async def suggestions_page(request: Request, advisor: AdminUser, status: str = "new") -> HTMLResponse:
    console = console_services(request)
    if status not in ("new", "accepted", "rejected", "all"):
        raise InvalidInput("status: new, accepted, rejected or all")
    items = await anyio.to_thread.run_sync(console.suggestions.list, None if status == "all" else status)
    return console.pages.render(
        request, "admin_suggestions.html", advisor, suggestions=items, current_status=status
    )


@router.post("/suggestions/{suggestion_id}/review")
async def review_suggestion(
    request: Request, suggestion_id: int, advisor: AdminUser, decision: Annotated[str, Form(max_length=16)]
) -> Response:
    console = console_services(request)
    try:
        chosen = Review(decision)
    except ValueError as exc:
        raise InvalidInput("decision: accepted or rejected") from exc
    item = await anyio.to_thread.run_sync(console.suggestions.review, suggestion_id, chosen, advisor.username)
    await anyio.to_thread.run_sync(
        console.audit.write,
        advisor.username,
        "kb.review",
        item.conversation_id,
        f"suggestion={item.id} decision={chosen.value}",
    )
    return redirect(url("/console/admin/suggestions", notice="reviewed"))
