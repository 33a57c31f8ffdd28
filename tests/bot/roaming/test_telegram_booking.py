"""Acceptance: a booking made over Telegram (real webhook updates, the real PTB client against the fake Bot
API) is in the advisors' data, and its reminder reaches the chat exactly once, at the injected time.

Rasa is not running: `RoamingDialogue` maps the typed texts to intents and follows data/roaming.yml, and the
real roaming actions run through the app's action executor. Button presses are real callback queries.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import httpx
import pytest

from bot.app.main import create_app
from bot.config import KnowledgeSettings
from bot.console.accounts import Role
from bot.languages import LANGUAGE_NAMES
from bot.roaming import booking
from bot.roaming.clock import local
from bot.roaming.reminders import ReminderJob, due_at
from bot.settings import AppSettings
from bot.storage.store import conversation_id_for
from channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from channels.telegram.client import Backoff, Timeouts
from channels.telegram.output import RetryPolicy
from tests.bot.roaming.apps import catalog, make_dialogue
from tests.bot.roaming.builders import add_visit, slot_ids
from tests.fakes_telegram import FakeBotApi, callback_update, text_update
from tests.tiny_kb import tiny_retriever

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

SECRET = "roaming-test-secret_0123456789"
CHAT = 424242
ASK = "haluaisin varata ajan liikkuvalle neuvojalle Jämsään"
HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api


def keyboard(params: dict[str, Any]) -> list[tuple[str, str]]:
    markup = params.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


async def test_a_telegram_booking_is_in_the_console_and_reminded_once(
    tmp_path: Path, fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUVO_SESSION_SECRET", "s" * 48)
    monkeypatch.setenv("NEUVO_CONSOLE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("NEUVO_CONSOLE_ARGON2_MEMORY_KIB", "1024")
    settings = AppSettings.from_env(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "NEUVO_RASA_TOKEN": "t"}
    )
    responses = catalog(settings.domain_path)
    fast = Backoff(first=0.01, maximum=0.05, jitter=0)
    channel = TelegramChannel(
        fake.token,
        fake.url,
        responses,
        webhook_secret=SECRET,
        retry=RetryPolicy(attempts=3, backoff=fast),
        backoff=fast,
        timeouts=Timeouts(connect=1.0, read=3.0, write=3.0, pool=3.0),
    )
    holder: dict[str, Any] = {}
    dialogue = make_dialogue(holder, settings.domain_path, {ASK: "book_visit"})
    app = create_app(
        settings,
        KnowledgeSettings.from_env(),
        dialogue=dialogue,
        retriever=tiny_retriever(tmp_path),
        channels=[channel],
    )
    holder["app"] = app
    async with app.router.lifespan_context(app):
        store, hub = app.state.store, app.state.hub
        # a visit three days ahead, 10:00 Finnish time
        day = (local(dt.datetime.now(dt.UTC)) + dt.timedelta(days=3)).date()
        start = dt.datetime.combine(day, dt.time(10), tzinfo=HELSINKI).astimezone(dt.UTC)
        slots = slot_ids(
            store, add_visit(store, "Jämsä", start, slots=2, place="Kirjasto", languages="fi,ar")
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:

            async def telegram(update: dict[str, Any]) -> list[dict[str, Any]]:
                """Post an update as Telegram does; the messages the bot sent for it."""
                before = len(fake.sent())
                response = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
                assert response.status_code == 200
                await hub.idle()
                return fake.sent()[before:]

            offered = await telegram(text_update(CHAT, ASK))
            assert keyboard(offered[-1]) and [data for _, data in keyboard(offered[-1])] == [
                f"slot {s}" for s in slots
            ]
            assert (
                offered[-1]["text"] == responses.render("roaming_ask_slot", "fi", municipality="Jämsä").text
            )
            asked = await telegram(callback_update(CHAT, f"slot {slots[1]}"))
            assert asked[-1]["text"] == responses.render("roaming_ask_interpreter", "fi").text
            asked = await telegram(callback_update(CHAT, "interpreter ar"))  # typed languages work too
            assert asked[-1]["text"] == responses.render("roaming_ask_topic", "fi").text
            confirmed = await telegram(text_update(CHAT, "oleskeluluvan jatkaminen"))
            text = confirmed[-1]["text"]
            assert text.startswith("Varattu ✔") and "klo 10.30–11.00" in text and "Jämsä" in text
            assert "Muistutan sinua edellisenä päivänä Telegramissa." in text
            assert len(fake.calls("answerCallbackQuery")) == 2  # the button spinners were stopped

            # an advisor logged in to the console sees the booking on the roaming page
            await anyio.to_thread.run_sync(
                app.state.console.accounts.create, "ada", "correct horse battery", Role.ADVISOR
            )
            form = await client.get("/console/login")
            nonce = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
            assert nonce
            await client.post(
                "/console/login",
                data={
                    "username": "ada",
                    "password": "correct horse battery",
                    "csrf_token": html.unescape(nonce.group(1)),
                },
            )
            page = await client.get(
                f"/console/roaming?start={day}&end={day}", headers={"accept": "text/html"}
            )
            assert page.status_code == 200
            row = page.text[page.text.index("<h2>Bookings</h2>") :]
            assert (
                "oleskeluluvan jatkaminen" in row
                and "Jämsä" in row
                and "telegram" in row
                and "arabia" not in row
            )
            assert LANGUAGE_NAMES["ar"] in row  # the interpreter language

        # the query behind that page: the booking, with who, when, interpreter, topic and channel
        listed = booking.bookings_between(store, start - dt.timedelta(days=1), start + dt.timedelta(days=1))
        assert [
            (b.conversation_id, b.slot_id, b.interpreter_language, b.topic, b.contact_channel, b.status)
            for b in listed
        ] == [
            (
                conversation_id_for("telegram", str(CHAT)),
                slots[1],
                "ar",
                "oleskeluluvan jatkaminen",
                "telegram",
                "booked",
            )
        ]

        # the reminder: not before 17:00 the day before, then once, and never again
        job = ReminderJob(hub, lambda: 17)
        due = due_at(listed[0].starts_at, 17)
        assert local(due).date() == day - dt.timedelta(days=1) and local(due).hour == 17
        sent_before = len(fake.sent())
        assert await job.run_once(due - dt.timedelta(minutes=1)) == 0
        assert await job.run_once(due) == 1
        assert await job.run_once(due + dt.timedelta(minutes=1)) == 0
        assert await job.run_once(due + dt.timedelta(hours=12)) == 0
        reminders = fake.sent()[sent_before:]
        assert len(reminders) == 1
        assert reminders[0]["chat_id"] == CHAT
        assert reminders[0]["text"].startswith("Muistutus: huomenna")
        assert "klo 10.30–11.00" in reminders[0]["text"] and "Jämsä, Kirjasto" in reminders[0]["text"]
