"""Logging in and out. Wrong passwords count towards a lock; the login form has its own CSRF nonce."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Form, Request, Response

from bot.console.accounts import LoginOutcome
from bot.console.auth import AdvisorUser, console_services
from bot.console.clock import format_local
from bot.console.errors import CsrfRejected
from bot.console.sessions import COOKIE_PATH, LOGIN_COOKIE, LOGIN_FORM_MAX_AGE, SESSION_COOKIE, same_token
from bot.console.web import ConsoleRoute, redirect, safe_next, set_cookie

router = APIRouter(route_class=ConsoleRoute)


def _login_page(request: Request, next_path: str, error: str | None, status: int) -> Response:
    console = console_services(request)
    nonce, cookie = console.sessions.new_login_nonce()
    response = console.pages.render(
        request, "login.html", None, status=status, nonce=nonce, next_path=safe_next(next_path), error=error
    )
    set_cookie(response, LOGIN_COOKIE, cookie, console.config, max_age=LOGIN_FORM_MAX_AGE)
    return response


@router.get("/login")
async def login_form(request: Request, next: str = "/console") -> Response:
    return _login_page(request, next, None, 200)


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/console",
) -> Response:
    console = console_services(request)
    nonce = console.sessions.login_nonce(request.cookies.get(LOGIN_COOKIE))
    if nonce is None or not same_token(nonce, csrf_token):
        raise CsrfRejected("the login form expired: reload the page and try again")
    result = await anyio.to_thread.run_sync(console.accounts.verify, username, password)
    # A name that is not an account may be a password typed into the wrong field: it is not logged.
    given = username.strip().lower()[:64]
    actor = (
        result.account.username if result.account else ("unknown" if result.reason == "unknown" else given)
    )
    if result.outcome is LoginOutcome.OK and result.account:
        await anyio.to_thread.run_sync(console.audit.write, actor, "login")
        _, cookie = console.sessions.new_session(result.account.username, result.account.session_version)
        done: Response = redirect(safe_next(next))
        set_cookie(done, SESSION_COOKIE, cookie, console.config, max_age=console.sessions.max_age)
        done.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
        return done
    await anyio.to_thread.run_sync(console.audit.write, actor, "login.failed", None, result.reason)
    if result.outcome is LoginOutcome.LOCKED:
        until = format_local(result.locked_until)
        response = _login_page(
            request, next, f"Too many wrong passwords: this account is locked until {until}.", 429
        )
        response.headers["Retry-After"] = str(console.config.lockout_minutes * 60)
        return response
    return _login_page(request, next, "Wrong username or password.", 401)


@router.post("/logout")
async def logout(request: Request, advisor: AdvisorUser) -> Response:
    console = console_services(request)
    # Sessions live only in signed cookies: raising the account's version ends this one (and any other).
    await anyio.to_thread.run_sync(console.accounts.end_sessions, advisor.username)
    await anyio.to_thread.run_sync(console.audit.write, advisor.username, "logout")
    response = redirect("/console/login")
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response
