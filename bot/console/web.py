"""What every console route shares: page rendering, security headers, and errors turned into responses."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.console.auth import Advisor, console_services
from bot.console.clock import format_duration, format_local, local
from bot.console.config import ConsoleConfig
from bot.console.errors import AuthError, ConsoleError, NotAuthenticated
from bot.console.sessions import COOKIE_PATH
from bot.languages import LANGUAGE_NAMES, RIGHT_TO_LEFT

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
LOGIN_PATH = "/console/login"

# No inline script or style anywhere: everything the pages run comes from /console/static.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

# Short codes a redirect carries back to a page (`?notice=`); only these texts can appear.
NOTICES = {
    "claimed": "You hold this conversation: the bot stays quiet until you release or resolve it.",
    "assigned": "Assigned.",
    "released": "Handed back to the bot; the escalation is back in the queue.",
    "resolved": "Resolved. The bot answers the person again.",
    "sent": "Reply sent.",
    "web_chat": "Recorded, but cannot deliver: web chat user.",
    "no_channel": "Recorded, but cannot deliver: the person's channel is not running.",
    "failed": "Recorded, but the channel refused the message; it is in the queue as a delivery failure.",
    "note": "Note saved.",
    "suggested": "Suggested to the knowledge base for an admin to review.",
    "user_created": "Account created.",
    "user_updated": "Account updated.",
    "password_set": "Password set; the account's sessions have ended.",
    "settings_saved": "Settings saved.",
    "reviewed": "Suggestion reviewed.",
}


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def url(path: str, **query: object) -> str:
    """A console URL with a query string, leaving out empty values."""
    params = {k: v for k, v in query.items() if v not in (None, "", False)}
    return f"{path}?{urlencode(params)}" if params else path


def safe_next(target: str | None) -> str:
    """Only console paths are followed after login: no open redirect to another site."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def set_cookie(
    response: Response, name: str, value: str, config: ConsoleConfig, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=config.secure_cookies,
    )


class Pages:
    """Jinja2 with autoescaping on: everything a person or advisor wrote is escaped in every page."""

    def __init__(self, directory: Path = TEMPLATES) -> None:
        self.env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=True,
            undefined=StrictUndefined,
            auto_reload=False,  # templates ship with the package: no stat() of every file on every page
        )
        self.env.filters["local"] = format_local
        self.env.filters["duration"] = format_duration
        self.env.filters["path"] = lambda value: quote(str(value), safe="")
        self.env.globals["language_names"] = LANGUAGE_NAMES
        self.env.globals["rtl"] = RIGHT_TO_LEFT
        self.env.globals["url"] = url

    def render(
        self,
        request: Request,
        template: str,
        advisor: Advisor | None,
        *,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        now = dt.datetime.now(dt.UTC)
        notice = NOTICES.get(request.query_params.get("notice", ""))
        html = self.env.get_template(template).render(
            advisor=advisor,
            csrf_token=advisor.csrf_token if advisor else "",
            path=request.url.path,
            now=now,
            today=local(now).date(),
            notice=notice,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def fragment(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)


def _error_response(request: Request, exc: ConsoleError) -> Response:
    if isinstance(exc, NotAuthenticated):
        if wants_html(request):
            return redirect(url(LOGIN_PATH, next=request.url.path if request.method == "GET" else ""))
        return JSONResponse({"detail": str(exc)}, status_code=401)
    if wants_html(request):
        console = console_services(request)
        return console.pages.render(
            request, "error.html", None, status=exc.status, message=str(exc), code=exc.status
        )
    return JSONResponse({"detail": str(exc)}, status_code=exc.status)


class ConsoleRoute(APIRoute):
    """Routes that turn console errors into pages (or JSON for fetch) and add security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except ConsoleError as exc:
                if isinstance(exc, AuthError):
                    log.info(
                        "console %s %s refused: %s", request.method, request.url.path, type(exc).__name__
                    )
                response = _error_response(request, exc)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return console_handler
