"""The retention job erases idle conversations everywhere (Rasa included); export gives one person's data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.conversation.messages import InboundMessage
from bot.privacy.retention import purge_expired
from tests.fakes import FakeDialogue, running_app

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_conversations_idle_past_the_retention_period_are_erased(
    tmp_path: Path, database_url: str
) -> None:
    dialogue = FakeDialogue()
    async with running_app(tmp_path, dialogue, database_url) as (app, _client):
        store, engine = app.state.store, app.state.engine
        old = await engine.handle(InboundMessage("+358401111111", "hello there my friend", "sms"))
        store.add_escalation(
            old.conversation_id, reason="user_request", language="en", summary="s", contact="c", transcript=[]
        )
        now = dt.datetime.now(dt.UTC) + dt.timedelta(days=200)
        recent = await engine.handle(InboundMessage("+358402222222", "hello there my friend", "sms"))
        from sqlalchemy import update

        from bot.storage.models import Conversation

        with store.session() as s, s.begin():  # the recent person wrote "yesterday" relative to `now`
            s.execute(
                update(Conversation)
                .where(Conversation.id == recent.conversation_id)
                .values(updated_at=now - dt.timedelta(days=1))
            )
        erased = await purge_expired(store, dialogue, dt.timedelta(days=180), now)
        assert erased == 1
        assert store.get_conversation(old.conversation_id) is None
        assert store.messages(old.conversation_id) == []
        assert store.escalations(old.conversation_id) == []
        assert dialogue.forgotten == [old.conversation_id]
        assert store.get_conversation(recent.conversation_id) is not None


async def test_export_contains_everything_stored_about_the_person(tmp_path: Path) -> None:
    async with running_app(tmp_path, FakeDialogue()) as (app, _client):
        store, engine = app.state.store, app.state.engine
        turn = await engine.handle(InboundMessage("+358403333333", "hello there my friend", "sms"))
        store.add_escalation(
            turn.conversation_id,
            reason="user_request",
            language="en",
            summary="help with visa",
            contact="call me",
            transcript=[],
        )
        data = store.export_person(turn.conversation_id)
        assert data["channels"] == [{"channel": "sms", "address": "+358403333333", "opted_out": False}]
        assert [m["text"] for m in data["messages"]] == [
            "hello there my friend",
            "echo: hello there my friend",
        ]
        assert data["escalations"][0]["summary"] == "help with visa"
