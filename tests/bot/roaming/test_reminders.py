"""The reminder goes once, the day before, at the configured hour (Finnish time), on the booking's channel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.roaming import booking
from bot.roaming.reminders import ReminderJob, due_at
from bot.storage.store import ConversationStore
from tests.bot.roaming.apps import roaming_app
from tests.bot.roaming.builders import add_visit, person, slot_ids
from tests.fakes_channels import CollectingOutput

pytestmark = [pytest.mark.unit, pytest.mark.anyio]
HELSINKI = ZoneInfo("Europe/Helsinki")


def helsinki(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=HELSINKI).astimezone(dt.UTC)


def test_due_at_is_the_hour_of_the_day_before_in_finnish_time() -> None:
    # winter (UTC+2) and summer (UTC+3); the day before a Monday is Sunday
    assert due_at(helsinki(2026, 12, 14, 10), 17) == dt.datetime(2026, 12, 13, 15, 0, tzinfo=dt.UTC)
    assert due_at(helsinki(2027, 6, 14, 9, 30), 18) == dt.datetime(2027, 6, 13, 15, 0, tzinfo=dt.UTC)
    # a slot just after midnight is reminded on the previous local day, not two days before
    assert due_at(helsinki(2027, 3, 2, 0, 30), 17) == helsinki(2027, 3, 1, 17)


def _book(store: ConversationStore, who: str, slot: int, now: dt.datetime, channel: str = "telegram") -> int:
    made = booking.book(
        store,
        who,
        slot,
        language="fi",
        interpreter_language=None,
        topic="t",
        contact_channel=channel,
        now=now,
    )
    return made.id


async def test_each_reminder_is_sent_once_at_the_right_time(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, {}) as bot:
        telegram = CollectingOutput("telegram")
        bot.app.state.hub.register_output(telegram)
        store = bot.store
        slot_time = helsinki(2030, 1, 16, 10)
        (slot,) = slot_ids(store, add_visit(store, "Jämsä", slot_time, slots=1, place="Kirjasto"))
        early = person(store, "telegram", "111")
        _book(store, early, slot, helsinki(2030, 1, 10, 12))
        job = ReminderJob(bot.app.state.hub, lambda: 17)
        assert await job.run_once(helsinki(2030, 1, 15, 16, 59)) == 0
        assert telegram.sent == []
        assert await job.run_once(helsinki(2030, 1, 15, 17, 0)) == 1
        assert await job.run_once(helsinki(2030, 1, 15, 17, 1)) == 0
        assert await job.run_once(helsinki(2030, 1, 16, 9, 0)) == 0
        ((address, outgoing),) = telegram.sent
        assert address == "111" and outgoing.language == "fi" and outgoing.conversation_id == early
        assert outgoing.messages[0].text.startswith("Muistutus: huomenna ke 16.1.2030 klo 10.00–10.30")
        assert "Jämsä, Kirjasto" in outgoing.messages[0].text


async def test_no_reminder_for_late_cancelled_past_or_unreachable_bookings(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, {}) as bot:
        telegram, sms = CollectingOutput("telegram"), CollectingOutput("sms")
        bot.app.state.hub.register_output(telegram)
        bot.app.state.hub.register_output(sms)
        store = bot.store
        slot_time = helsinki(2030, 2, 20, 12)
        slots = slot_ids(store, add_visit(store, "Laukaa", slot_time, slots=4))
        booked_late = person(store, "telegram", "201")  # booked after the reminder time: its confirmation did
        _book(store, booked_late, slots[0], helsinki(2030, 2, 19, 20))
        cancelled = person(store, "telegram", "202")
        booking.cancel(
            store,
            cancelled,
            _book(store, cancelled, slots[1], helsinki(2030, 2, 1, 9)),
            helsinki(2030, 2, 2, 9),
        )
        stopped = person(store, "sms", "+358402")  # sent STOP
        _book(store, stopped, slots[2], helsinki(2030, 2, 1, 9), channel="sms")
        store.set_opt_out("sms", "+358402", True)
        web = person(store, "web", "w")
        _book(store, web, slots[3], helsinki(2030, 2, 1, 9), channel="web")
        job = ReminderJob(bot.app.state.hub, lambda: 17)
        assert await job.run_once(helsinki(2030, 2, 19, 21)) == 0
        assert await job.run_once(helsinki(2030, 2, 20, 13)) == 0  # the visit is over
        assert telegram.sent == [] and sms.sent == []


async def test_the_hour_is_read_each_round(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, {}) as bot:
        telegram = CollectingOutput("telegram")
        bot.app.state.hub.register_output(telegram)
        store = bot.store
        (slot,) = slot_ids(store, add_visit(store, "Jämsä", helsinki(2030, 3, 5, 10), slots=1))
        _book(store, person(store, "telegram", "301"), slot, helsinki(2030, 3, 1, 9))
        hour = {"value": 20}
        job = ReminderJob(bot.app.state.hub, lambda: hour["value"])
        assert await job.run_once(helsinki(2030, 3, 4, 18)) == 0
        hour["value"] = 18  # an admin moves the reminders earlier
        assert await job.run_once(helsinki(2030, 3, 4, 18)) == 1
