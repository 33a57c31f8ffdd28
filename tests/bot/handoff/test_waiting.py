"""A person whose escalation nobody answered in time is told once, on their channel, that it is queued."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.handoff.waiting import WaitingNotifier
from tests.fakes import FakeDialogue, running_app
from tests.fakes_channels import CollectingOutput

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_unanswered_escalations_are_notified_once_in_the_persons_language(tmp_path: Path) -> None:
    async with running_app(tmp_path, FakeDialogue()) as (app, _client):
        store, hub = app.state.store, app.state.hub
        sms = CollectingOutput("sms")
        hub.register_output(sms)
        conv = store.conversation("sms", "+358401234567")
        store.set_language(conv.id, "fi", locked=True)
        store.add_escalation(
            conv.id, reason="user_request", language="fi", summary=None, contact=None, transcript=[]
        )
        notifier = WaitingNotifier(hub, lambda: 60)
        now = dt.datetime.now(dt.UTC)
        assert await notifier.run_once(now) == 0  # not yet an hour
        assert await notifier.run_once(now + dt.timedelta(minutes=61)) == 1
        assert sms.sent[0][0] == "+358401234567"
        assert sms.texts() == [app.state.responses.render("utter_no_answer_yet", "fi").text]
        assert await notifier.run_once(now + dt.timedelta(minutes=120)) == 0  # once only
        assert store.escalations(conv.id)[0].status == "open"  # still queued


async def test_answered_escalations_are_left_alone(tmp_path: Path) -> None:
    async with running_app(tmp_path, FakeDialogue()) as (app, _client):
        store, hub = app.state.store, app.state.hub
        sms = CollectingOutput("sms")
        hub.register_output(sms)
        conv = store.conversation("sms", "+358409999999")
        escalation_id = store.add_escalation(
            conv.id, reason="user_request", language="en", summary=None, contact=None, transcript=[]
        )
        from sqlalchemy import update

        from bot.storage.models import Escalation

        with store.session() as s, s.begin():
            s.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id)
                .values(first_reply_at=dt.datetime.now(dt.UTC))
            )
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
        assert await WaitingNotifier(hub, lambda: 60).run_once(later) == 0
        assert sms.sent == []
