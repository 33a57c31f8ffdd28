"""The roaming pages of the console: advisors see bookings, admins manage data, news and reports; every
page needs a login, admin pages need the admin role, and every change needs the CSRF token."""

from __future__ import annotations

import html
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.console.accounts import Role
from bot.roaming import booking, subscriptions
from bot.roaming.models import Event
from bot.storage.console_models import AuditEntry
from tests.bot.roaming.apps import RoamingApp, roaming_app
from tests.bot.roaming.builders import add_event, add_visit, at, person, slot_ids
from tests.fakes_channels import CollectingOutput

pytestmark = [pytest.mark.unit, pytest.mark.anyio]
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def console_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEUVO_SESSION_SECRET", "s" * 48)
    monkeypatch.setenv("NEUVO_CONSOLE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("NEUVO_CONSOLE_ARGON2_MEMORY_KIB", "1024")


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[RoamingApp]:
    async with roaming_app(tmp_path, {}) as running:
        for name, role in (("ada", Role.ADVISOR), ("root", Role.ADMIN)):
            await anyio.to_thread.run_sync(running.app.state.console.accounts.create, name, PASSWORD, role)
        yield running


@asynccontextmanager
async def browser(bot: RoamingApp, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser logged in as `username` (its own cookies)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bot.app), base_url="http://app") as client:
        form = await client.get("/console/login")
        nonce = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
        assert nonce
        await client.post(
            "/console/login",
            data={"username": username, "password": PASSWORD, "csrf_token": html.unescape(nonce.group(1))},
            headers={"accept": "text/html"},
        )
        yield client


async def csrf(client: httpx.AsyncClient) -> str:
    page = await client.get("/console/roaming", headers={"accept": "text/html"})
    match = re.search(r'<meta name="csrf-token" content="([^"]*)">', page.text)
    assert match, page.text[:300]
    return html.unescape(match.group(1))


async def test_advisors_see_bookings_and_record_outcomes(bot: RoamingApp) -> None:
    (slot,) = slot_ids(bot.store, add_visit(bot.store, "Jämsä", at(2), slots=1, sample=True))
    who = person(bot.store, "telegram", "77")
    made = booking.book(
        bot.store,
        who,
        slot,
        language="ar",
        interpreter_language="ar",
        topic="<b>asumistuki</b>",
        contact_channel="telegram",
        now=at(0),
    )
    anonymous = await bot.client.get("/console/roaming", headers={"accept": "application/json"})
    assert anonymous.status_code == 401
    async with browser(bot, "ada") as ada:
        page = await ada.get("/console/roaming", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert "&lt;b&gt;asumistuki&lt;/b&gt;" in page.text  # what people wrote is escaped
        assert "Jämsä" in page.text and "SAMPLE" in page.text and "telegram" in page.text
        refused = await ada.post(f"/console/roaming/bookings/{made.id}", data={"status": "attended"})
        assert refused.status_code == 403  # no CSRF token
        token = await csrf(ada)
        done = await ada.post(
            f"/console/roaming/bookings/{made.id}",
            data={"status": "attended", "gender": "woman", "csrf_token": token},
        )
        assert done.status_code == 303
        assert (await ada.get("/console/roaming/data", headers={"accept": "text/html"})).status_code == 403
    updated = booking.booking(bot.store, made.id)
    assert updated is not None and (updated.status, updated.gender) == ("attended", "woman")
    with bot.store.session() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "roaming.booking")) is not None


async def test_admins_import_with_problems_shown_and_edit_participants(bot: RoamingApp) -> None:
    bad = "ref,municipality,place,date,start,end,title_fi\nE1,Tampere,Kirjasto,2030-01-01,10:00,11:00,Ilta\n"
    good = "ref,municipality,place,date,start,end,title_fi\nE1,Laukaa,Kirjasto,2030-01-01,10:00,11:00,Ilta\n"
    async with browser(bot, "root") as root:
        token = await csrf(root)
        upload = await root.post(
            "/console/roaming/import",
            data={"kind": "events", "csrf_token": token},
            files={"file": ("tapahtumat.csv", bad.encode(), "text/csv")},
            headers={"accept": "text/html"},
        )
        assert "tapahtumat.csv was not imported" in upload.text and "line 2, municipality" in upload.text
        upload = await root.post(
            "/console/roaming/import",
            data={"kind": "events", "csrf_token": token},
            files={"file": ("tapahtumat.csv", good.encode(), "text/csv")},
            headers={"accept": "text/html"},
        )
        assert "tapahtumat.csv: 1 added, 0 updated" in upload.text
        with bot.store.session() as s:
            event_id = s.scalar(select(Event.id))
        saved = await root.post(
            f"/console/roaming/data/events/{event_id}",
            data={"participants": "23", "participants_women": "15", "csrf_token": token},
        )
        assert saved.status_code == 303
        exported = await root.get("/console/roaming/export/events.csv")
        assert exported.content.startswith(b"\xef\xbb\xbf") and b"E1,Laukaa,Kirjasto" in exported.content
        assert b",23,15," in exported.content
        report = await root.get(
            "/console/roaming/report/download?start=2030-01-01&end=2030-01-31&format=xlsx"
        )
        rows = load_workbook(io.BytesIO(report.content))["summary"].iter_rows(min_row=2, values_only=True)
        sheet = {row[0]: row[1] for row in rows}
        assert sheet["event_participants"] == 23 and sheet["event_participants_women"] == 15


async def test_an_admin_broadcast_reaches_subscribers_only(bot: RoamingApp) -> None:
    telegram = CollectingOutput("telegram")
    bot.app.state.hub.register_output(telegram)
    subscriptions.subscribe(bot.store, person(bot.store, "telegram", "31"), "Keuruu", "en", "telegram")
    person(bot.store, "telegram", "32")  # not subscribed
    add_event(bot.store, "Keuruu", at(3), {"fi": "Ilta"})
    async with browser(bot, "root") as root:
        token = await csrf(root)
        sent = await root.post(
            "/console/roaming/broadcast",
            data={"municipality": "Keuruu", "text_en": "Family evening on Friday", "csrf_token": token},
        )
        assert sent.status_code == 303
        await bot.app.state.hub.idle()
        assert [(address, o.messages[0].text.split("\n")[0]) for address, o in telegram.sent] == [
            ("31", "Family evening on Friday")
        ]
        page = await root.get("/console/roaming/broadcast", headers={"accept": "text/html"})
        assert "<td>Keuruu</td>" in page.text and "<td>1</td>" in page.text
