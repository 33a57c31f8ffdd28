"""The one access check every console route goes through: session, account, role and CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import anyio
from fastapi import Depends, Request

from bot.console.accounts import Role
from bot.console.errors import CsrfRejected, Forbidden, NotAuthenticated
from bot.console.sessions import SESSION_COOKIE, same_token

if TYPE_CHECKING:
    from bot.console.services import ConsoleServices

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Advisor:
    """The logged-in user of one request."""

    username: str
    role: Role
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def console_services(request: Request) -> ConsoleServices:
    services: ConsoleServices = request.app.state.console
    return services


class Authorize:
    """A dependency that admits users with at least `role`; for POSTs it also checks the CSRF token.

    Raises NotAuthenticated (no or ended session), Forbidden (role too low) or CsrfRejected; `ConsoleRoute`
    turns those into a login redirect, a 401 or a 403. Never returns without a valid, active account.
    """

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, request: Request) -> Advisor:
        console = console_services(request)
        session = console.sessions.read_session(request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise NotAuthenticated("log in first")
        account = await anyio.to_thread.run_sync(console.accounts.get, session.username)
        if account is None or not account.active or account.session_version != session.version:
            raise NotAuthenticated("your session has ended: log in again")
        if self.role is Role.ADMIN and not account.is_admin:
            raise Forbidden("this page is for admins")
        if request.method not in SAFE_METHODS and not same_token(session.csrf, await _csrf_of(request)):
            raise CsrfRejected("the form had no valid CSRF token: reload the page and try again")
        return Advisor(account.username, account.role, session.csrf)


async def _csrf_of(request: Request) -> str | None:
    """The token from the X-CSRF-Token header (fetch) or the csrf_token form field (forms)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(_FORMS):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


require_advisor = Authorize(Role.ADVISOR)
require_admin = Authorize(Role.ADMIN)

AdvisorUser = Annotated[Advisor, Depends(require_advisor)]
AdminUser = Annotated[Advisor, Depends(require_admin)]
