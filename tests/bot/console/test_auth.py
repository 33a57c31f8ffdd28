"""Logging in, the lock after wrong passwords, and that nothing is shown or changed without access."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from bot.console.accounts import LoginOutcome, Role
from bot.console.config import ConsoleConfig
from bot.storage.console_models import AuditEntry, ConsoleUser
from tests.bot.console.conftest import PASSWORD, SECRET_TEXT, Console

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

PUBLIC = {("GET", "/console/login"), ("POST", "/console/login"), ("GET", "/console/static/{name}")}


def console_routes(console: Console) -> list[tuple[str, str]]:
    routes = []
    for route in console.app.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/console"):
            routes.extend((method, route.path) for method in sorted(route.methods))
    return routes


def fill(path: str, conversation_id: str, escalation_id: int) -> str:
    return (
        path.replace("{conversation_id}", conversation_id)
        .replace("{escalation_id}", str(escalation_id))
        .replace("{username}", "alice")
        .replace("{suggestion_id}", "1")
        .replace("{name}", "console.js")
    )


async def test_login_sets_a_protected_session_cookie_and_opens_the_queue(console: Console) -> None:
    await console.account("alice")
    response = await console.login("alice")
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("neuvo_console="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie
    queue = await console.client.get("/console", headers={"accept": "text/html"})
    assert queue.status_code == 200 and "alice · advisor" in queue.text
    assert "script-src 'self'" in queue.headers["content-security-policy"]


async def test_secure_cookies_when_configured(console: Console) -> None:
    await console.account("alice")
    console.app.state.console.config = ConsoleConfig.from_env(
        {"NEUVO_SESSION_SECRET": "s" * 48, "NEUVO_CONSOLE_SECURE_COOKIES": "1"}
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=console.app), base_url="https://app"
    ) as browser:
        response = await console.login("alice", client=browser)
        assert response.status_code == 303
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("neuvo_console="))
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_a_wrong_password_is_rejected_without_a_session(console: Console) -> None:
    await console.account("alice")
    response = await console.login("alice", "wrong password!!")
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert "neuvo_console" not in console.client.cookies
    assert (await console.client.get("/console", headers={"accept": "text/html"})).status_code == 303
    unknown = await console.login("nobody", "wrong password!!")
    assert unknown.status_code == 401 and "Wrong username or password." in unknown.text


async def test_twenty_wrong_passwords_lock_the_account_even_against_the_right_one(console: Console) -> None:
    await console.account("alice")
    for attempt in range(19):
        assert (await console.login("alice", f"guess number {attempt}")).status_code == 401
    locked = await console.login("alice", "guess number 20")
    assert locked.status_code == 429 and "locked until" in locked.text
    right = await console.login("alice", PASSWORD)
    assert right.status_code == 429
    assert "neuvo_console" not in console.client.cookies
    # Fifteen minutes later the right password works again.
    accounts = console.app.state.console.accounts
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15, seconds=1)
    assert accounts.verify("alice", PASSWORD, later).outcome is LoginOutcome.OK
    with console.store.session() as s:
        failures = s.scalars(select(AuditEntry).where(AuditEntry.action == "login.failed")).all()
    assert len(failures) == 21 and {f.actor for f in failures} == {"alice"}


async def test_the_lock_threshold_is_configurable(console: Console) -> None:
    accounts = console.app.state.console.accounts
    accounts._lockout_attempts = 3
    await console.account("bob")
    now = dt.datetime.now(dt.UTC)
    outcomes = [accounts.verify("bob", "not the password", now).outcome for _ in range(3)]
    assert outcomes == [LoginOutcome.WRONG, LoginOutcome.WRONG, LoginOutcome.LOCKED]


async def test_the_login_form_needs_its_csrf_nonce(console: Console) -> None:
    await console.account("alice")
    await console.client.get("/console/login")
    response = await console.client.post(
        "/console/login", data={"username": "alice", "password": PASSWORD}, headers={"accept": "text/html"}
    )
    assert response.status_code == 403
    assert "neuvo_console" not in console.client.cookies


async def test_after_login_only_console_paths_are_followed(console: Console) -> None:
    await console.account("alice")
    form = await console.client.get("/console/login")
    nonce = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
    assert nonce
    response = await console.client.post(
        "/console/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": nonce.group(1),
            "next": "//evil.example",
        },
    )
    assert response.headers["location"] == "/console"


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
async def test_no_console_route_gives_data_without_a_session(console: Console, accept: str) -> None:
    conversation_id, escalation_id = await console.escalate(text=SECRET_TEXT)
    routes = console_routes(console)
    assert len(routes) >= 25
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        url = fill(path, conversation_id, escalation_id)
        response = await console.client.request(method, url, headers={"accept": accept})
        if accept == "text/html":
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/console/login")
        else:
            assert response.status_code == 401, (method, path, response.status_code)
        assert SECRET_TEXT not in response.text and "FI-12345" not in response.text
    # Nothing was changed either: the escalation is still open and the conversation with the bot.
    assert console.store.escalations(conversation_id)[-1].status == "open"
    conversation = console.store.get_conversation(conversation_id)
    assert conversation is not None and conversation.assigned_to is None


async def test_a_forged_or_foreign_session_cookie_is_refused(console: Console) -> None:
    await console.account("alice")
    console.client.cookies.set("neuvo_console", "eyJ1IjoiYWxpY2UifQ.forged.signature", path="/console")
    response = await console.client.get("/console", headers={"accept": "text/html"})
    assert response.status_code == 303


async def test_an_advisor_gets_403_on_every_admin_page(console: Console) -> None:
    conversation_id, escalation_id = await console.escalate()
    await console.account("alice")
    await console.account("bob")
    await console.login("alice")
    token = await console.csrf()
    admin_routes = [(m, p) for m, p in console_routes(console) if p.startswith("/console/admin")]
    assert len(admin_routes) >= 9
    for method, path in admin_routes:
        url = fill(path, conversation_id, escalation_id)
        data = {"csrf_token": token, "username": "mallory", "password": "x" * 12, "active": "0"}
        response = await console.client.request(
            method, url, headers={"accept": "text/html"}, data=data if method == "POST" else None
        )
        assert response.status_code == 403, (method, path)
    assign = await console.post(f"/console/escalations/{escalation_id}/assign", {"assignee": "bob"})
    assert assign.status_code == 403
    assert console.app.state.console.accounts.get("mallory") is None
    bob = console.app.state.console.accounts.get("bob")
    assert bob is not None and bob.active


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(console: Console) -> None:
    conversation_id, escalation_id = await console.escalate()
    await console.account("alice")
    await console.login("alice")
    missing = await console.client.post(f"/console/escalations/{escalation_id}/claim", data={})
    assert missing.status_code == 403
    wrong = await console.client.post(
        f"/console/escalations/{escalation_id}/claim", data={"csrf_token": "not-the-token"}
    )
    assert wrong.status_code == 403
    header = await console.client.post(
        f"/console/escalations/{escalation_id}/claim", headers={"x-csrf-token": "nope"}
    )
    assert header.status_code == 403
    conversation = console.store.get_conversation(conversation_id)
    assert conversation is not None and conversation.assigned_to is None
    assert console.store.escalations(conversation_id)[-1].status == "open"
    # The same request with the token works.
    token = await console.csrf()
    ok = await console.client.post(
        f"/console/escalations/{escalation_id}/claim", headers={"x-csrf-token": token}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "claimed"


async def test_disabling_an_account_or_a_new_password_ends_its_sessions(console: Console) -> None:
    await console.account("alice")
    await console.login("alice")
    assert (await console.client.get("/console")).status_code == 200
    console.app.state.console.accounts.set_active("alice", False)
    assert (await console.client.get("/console", headers={"accept": "text/html"})).status_code == 303
    assert (await console.login("alice")).status_code == 401
    console.app.state.console.accounts.set_active("alice", True)
    await console.login("alice")
    console.app.state.console.accounts.set_password("alice", "another long password")
    assert (await console.client.get("/console", headers={"accept": "application/json"})).status_code == 401


async def test_logout_ends_the_session(console: Console) -> None:
    await console.account("alice")
    await console.login("alice")
    cookie = console.client.cookies.get("neuvo_console")
    response = await console.post("/console/logout")
    assert response.status_code == 303 and response.headers["location"] == "/console/login"
    # Even a copy of the old cookie no longer works.
    other = console.new_client()
    other.cookies.set("neuvo_console", cookie or "", domain="app", path="/console")
    assert (await other.get("/console", headers={"accept": "application/json"})).status_code == 401


async def test_passwords_are_stored_as_argon2_hashes(console: Console) -> None:
    await console.account("alice", Role.ADMIN)
    with console.store.session() as s:
        row = s.get(ConsoleUser, "alice")
    assert (
        row is not None and row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    )
