"""The queue and its workflow; while an advisor holds a conversation the bot is quiet and the console live."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time

import pytest
from sqlalchemy import update

from bot.console.accounts import Role
from bot.console.routes.live import event_stream
from bot.events import Event, EventBus
from bot.storage.models import Conversation, Escalation
from tests.bot.console.conftest import Console, SseStream

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


def row_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-escalation="(\d+)"', page)]


async def test_claim_silences_the_bot_and_new_messages_reach_the_console_live(console: Console) -> None:
    """Acceptance: while a conversation is claimed, a user message produces no bot reply and appears in the
    console without reloading."""
    conversation_id, escalation_id = await console.escalate(sender="1001")
    await console.account("alice")
    await console.login("alice")
    page = await console.client.get(f"/console/conversations/{conversation_id}")
    last_id = int(re.search(r'data-last-id="(\d+)"', page.text).group(1))  # type: ignore[union-attr]

    claimed = await console.post(f"/console/escalations/{escalation_id}/claim")
    assert claimed.status_code == 303
    conversation = console.store.get_conversation(conversation_id)
    assert conversation is not None and conversation.assigned_to == "alice"
    sent_before = list(console.telegram.sent)
    messages_before = console.store.count_messages()

    async with SseStream(console.app, console.client.cookies) as stream:
        assert stream.status == 200
        await stream.connected()
        result = await console.say("1001", "Are you still there? I need the form")
        kind, data = await stream.next_event()

    assert result.replies == [] and result.held_by_advisor
    assert console.telegram.sent == sent_before  # nothing went out to the person
    assert console.store.count_messages() == messages_before + 1  # only the person's message
    assert console.dialogue.seen[-1][1] != "Are you still there? I need the form"  # Rasa never saw it
    assert kind == "message"
    assert data["conversation_id"] == conversation_id and data["held_by_advisor"] is True
    # What the open page fetches on that event: the new message, and no bot reply after it.
    fresh = await console.client.get(f"/console/conversations/{conversation_id}/messages?after={last_id}")
    assert "Are you still there? I need the form" in fresh.text
    assert fresh.text.count('class="msg person"') == 1 and 'class="msg bot"' not in fresh.text


async def test_the_queue_lists_escalations_with_filters_and_waiting_times(console: Console) -> None:
    _, e1 = await console.escalate(sender="2001", channel="telegram")
    second, e2 = await console.escalate(sender="+358401234567", channel="sms")
    third, e3 = await console.escalate(sender="web-7", channel="web")
    with console.store.session() as s, s.begin():
        s.execute(update(Conversation).where(Conversation.id == second).values(municipality="Jämsä"))
        s.execute(update(Conversation).where(Conversation.id == third).values(municipality="Jyväskylä"))
        s.execute(update(Escalation).where(Escalation.id == e3).values(urgent=True, language="ar"))
        s.execute(
            update(Escalation)
            .where(Escalation.id == e1)
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2, minutes=5))
        )
    await console.account("alice")
    await console.login("alice")

    queue = await console.client.get("/console")
    assert row_ids(queue.text) == [e3, e1, e2]  # urgent first, then the longest wait
    assert "2 h 05 min" in queue.text and "overdue" in queue.text
    assert row_ids((await console.client.get("/console?channel=sms")).text) == [e2]
    assert row_ids((await console.client.get("/console?municipality=Jämsä")).text) == [e2]
    assert row_ids((await console.client.get("/console?language=ar")).text) == [e3]
    assert row_ids((await console.client.get("/console?urgent=yes")).text) == [e3]
    assert row_ids((await console.client.get("/console?urgent=no")).text) == [e1, e2]
    await console.post(f"/console/escalations/{e2}/claim")
    assert row_ids((await console.client.get("/console?status=open")).text) == [e3, e1]
    assert row_ids((await console.client.get("/console?status=claimed")).text) == [e2]
    assert row_ids((await console.client.get("/console?mine=1")).text) == [e2]
    rows = await console.client.get("/console/queue/rows?status=claimed")
    assert row_ids(rows.text) == [e2] and rows.headers["x-queue-total"] == "1"
    assert (await console.client.get("/console?language=xx")).status_code == 400


async def test_a_second_advisor_cannot_take_a_claimed_escalation(console: Console) -> None:
    conversation_id, escalation_id = await console.escalate()
    await console.account("alice")
    await console.account("bob")
    await console.login("alice")
    await console.post(f"/console/escalations/{escalation_id}/claim")
    bob = console.new_client()
    await console.login("bob", client=bob)
    response = await console.post(f"/console/escalations/{escalation_id}/claim", client=bob)
    assert response.status_code == 409 and "already claimed by alice" in response.text
    conversation = console.store.get_conversation(conversation_id)
    assert conversation is not None and conversation.assigned_to == "alice"
    release = await console.post(f"/console/escalations/{escalation_id}/release", client=bob)
    assert release.status_code == 409


async def test_an_admin_assigns_to_another_advisor(console: Console) -> None:
    conversation_id, escalation_id = await console.escalate()
    await console.account("root", Role.ADMIN)
    await console.account("bob")
    await console.login("root")
    response = await console.post(f"/console/escalations/{escalation_id}/assign", {"assignee": "bob"})
    assert response.status_code == 303
    conversation = console.store.get_conversation(conversation_id)
    assert conversation is not None and conversation.assigned_to == "bob"
    assert console.store.escalations(conversation_id)[-1].status == "claimed"
    unknown = await console.post(f"/console/escalations/{escalation_id}/assign", {"assignee": "ghost"})
    assert unknown.status_code == 400


async def test_handing_back_to_the_bot_makes_it_answer_again(console: Console) -> None:
    conversation_id, escalation_id = await console.escalate(sender="3001")
    await console.account("alice")
    await console.login("alice")
    await console.post(f"/console/escalations/{escalation_id}/claim")
    assert (await console.say("3001", "hello again")).replies == []
    response = await console.post(f"/console/escalations/{escalation_id}/release")
    assert response.status_code == 303 and "notice=released" in response.headers["location"]
    conversation = console.store.get_conversation(conversation_id)
    assert conversation is not None and conversation.assigned_to is None
    assert console.store.escalations(conversation_id)[-1].status == "open"
    result = await console.say("3001", "anyone there")
    assert [r.text for r in result.replies] == ["echo: anyone there"]
    assert console.telegram.sent[-1] == ("3001", "echo: anyone there")


async def test_the_queue_refreshes_live_when_an_escalation_arrives(console: Console) -> None:
    await console.account("alice")
    await console.login("alice")
    async with SseStream(console.app, console.client.cookies) as stream:
        await stream.connected()
        conversation_id, escalation_id = await console.escalate(sender="4001")
        kinds = []
        while "escalation" not in kinds:
            kind, data = await stream.next_event()
            kinds.append(kind)
        assert data["conversation_id"] == conversation_id
    rows = await console.client.get("/console/queue/rows")
    assert row_ids(rows.text) == [escalation_id]


async def test_the_event_stream_needs_a_session(console: Console) -> None:
    async with SseStream(console.app, console.client.cookies) as stream:
        assert stream.status == 401


class _Browser:
    async def is_disconnected(self) -> bool:
        return False


async def test_a_stream_ends_by_itself_so_the_browser_reconnects_and_the_server_can_stop() -> None:
    """An endless response would keep uvicorn from shutting down, and a disabled advisor listening."""
    bus = EventBus()
    frames: list[str] = []
    started = time.monotonic()

    async def listen() -> None:
        async for frame in event_stream(_Browser(), bus, heartbeat=0.05, lifetime=0.3):  # type: ignore[arg-type]
            frames.append(frame)

    task = asyncio.create_task(listen())
    while not frames:
        await asyncio.sleep(0.01)
    bus.publish(Event("message", "c1", {"held_by_advisor": True, "text_not_forwarded": ["x"]}))
    await asyncio.wait_for(task, 2)
    assert time.monotonic() - started < 1.5
    assert frames[0].startswith("retry: ")
    assert 'event: message\ndata: {"conversation_id": "c1", "held_by_advisor": true}\n\n' in frames
    assert ": keep-alive\n\n" in frames
