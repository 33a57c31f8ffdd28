"""Nothing accepted is lost: inbound messages are stored before the ack, replies go through the outbox.

Run on SQLite and on the real PostgreSQL (skipped with the reason when absent).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.app.main import create_app
from bot.config import KnowledgeSettings
from bot.conversation.messages import InboundMessage
from bot.settings import AppSettings
from channels.hub import ChannelHub, _dump_inbound
from tests.fakes import FakeDialogue
from tests.fakes_channels import CollectingOutput
from tests.tiny_kb import tiny_retriever

pytestmark = [pytest.mark.integration, pytest.mark.anyio]
LATER = dt.timedelta(minutes=3)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def app_with_outbox(
    tmp_path: Path,
    database_url: str,
    output: CollectingOutput,
    redis_url: str = "",
    dialogue: FakeDialogue | None = None,
) -> AsyncIterator[ChannelHub]:
    settings = AppSettings.from_env(
        {"DATABASE_URL": database_url, "NEUVO_RASA_TOKEN": "t", "NEUVO_OUTBOX": "on", "REDIS_URL": redis_url}
    )
    app = create_app(
        settings,
        KnowledgeSettings.from_env(),
        dialogue=dialogue or FakeDialogue(),
        retriever=tiny_retriever(tmp_path),
        channels=[],
    )
    async with app.router.lifespan_context(app):
        hub: ChannelHub = app.state.hub
        hub.register_output(output)
        yield hub


async def test_a_reply_the_platform_could_not_take_is_sent_later_exactly_once(
    tmp_path: Path, database_url: str
) -> None:
    output = CollectingOutput("telegram", defer_next=1)
    async with app_with_outbox(tmp_path, database_url, output) as hub:
        assert await hub.accept(InboundMessage("42", "hello there my friend", "telegram"), "update-1")
        await hub.idle()
        assert output.sent == []  # deferred, not lost and not escalated
        assert hub.store.escalations() == []
        assert await hub.sweep(dt.datetime.now(dt.UTC) + LATER) == 1
        assert await hub.sweep(dt.datetime.now(dt.UTC) + 2 * LATER) == 0
        assert output.texts() == ["echo: hello there my friend"]


async def test_a_reply_that_never_gets_through_becomes_an_escalation(
    tmp_path: Path, database_url: str
) -> None:
    output = CollectingOutput("telegram", defer_next=100)
    async with app_with_outbox(tmp_path, database_url, output) as hub:
        await hub.accept(InboundMessage("42", "hello there my friend", "telegram"), "update-1")
        await hub.idle()
        now = dt.datetime.now(dt.UTC)
        for hours in range(1, 8):  # the backoff steps run out after a few hours
            await hub.sweep(now + dt.timedelta(hours=hours))
        [escalation] = hub.store.escalations()
        assert escalation.reason == "delivery_failed"
        assert output.sent == []


async def test_a_message_accepted_by_a_worker_that_died_is_answered_once(
    tmp_path: Path, database_url: str
) -> None:
    output = CollectingOutput("telegram")
    async with app_with_outbox(tmp_path, database_url, output) as hub:
        # A worker stored the message, acknowledged it, and died before handling it.
        message = InboundMessage("42", "are you still there", "telegram")
        assert hub.queues.receive("telegram", "update-7", _dump_inbound(message), "42")
        assert await hub.sweep() == 0  # its lease has not run out: it may still be in progress elsewhere
        assert await hub.sweep(dt.datetime.now(dt.UTC) + LATER) == 1
        await hub.idle()
        assert await hub.sweep(dt.datetime.now(dt.UTC) + 2 * LATER) == 0
        assert output.texts() == ["echo: are you still there"]
        # A redelivery of the same update after recovery is still recognised.
        assert not await hub.accept(message, "update-7")


async def test_two_workers_sweeping_one_outbox_send_each_reply_once(
    tmp_path: Path, database_url: str
) -> None:
    first, second = CollectingOutput("sms", delay=0.01), CollectingOutput("sms", delay=0.01)
    async with (
        app_with_outbox(tmp_path, database_url, first) as hub_a,
        app_with_outbox(tmp_path / "b", database_url, second) as hub_b,
    ):
        for i in range(30):
            hub_a.queues.enqueue("sms", f"+35840{i:07d}", None, _reply_payload(i), f"key-{i}")
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
        await asyncio.gather(*(hub.sweep(later) for hub in (hub_a, hub_b, hub_a, hub_b)))
        recipients = [r for r, _ in first.sent + second.sent]
        assert sorted(recipients) == sorted(f"+35840{i:07d}" for i in range(30))  # all, and none twice


def _reply_payload(i: int) -> str:
    import json

    return json.dumps(
        {
            "messages": [{"text": f"reply {i}", "buttons": []}],
            "language": "en",
            "conversation_id": "",
            "short_answer": None,
            "source_url": None,
            "entry_id": None,
            "metadata": {},
        }
    )


class SlowSometimes(FakeDialogue):
    """Takes longer on some messages, so a later message would overtake an earlier one without ordering."""

    async def send(self, conversation_id: str, text: str, metadata: dict[str, object]) -> object:
        if text.endswith(("0", "3", "7")):
            await asyncio.sleep(0.15)
        return await super().send(conversation_id, text, metadata)  # type: ignore[arg-type]


async def test_one_persons_messages_received_by_two_workers_are_handled_in_order(
    tmp_path: Path, database_url: str
) -> None:
    from tests.databases import redis_or_skip

    if database_url.startswith("sqlite"):
        pytest.skip("several workers share PostgreSQL")
    redis_url = redis_or_skip()
    first, second = CollectingOutput("telegram"), CollectingOutput("telegram")
    async with (
        app_with_outbox(tmp_path, database_url, first, redis_url, SlowSometimes()) as hub_a,
        app_with_outbox(tmp_path / "b", database_url, second, redis_url, SlowSometimes()) as hub_b,
    ):
        texts = [f"message number {i}" for i in range(12)]
        for i, text in enumerate(texts):  # a person types fast; the load balancer alternates workers
            hub = hub_a if i % 2 else hub_b
            assert await hub.accept(InboundMessage("4242", text, "telegram"), f"update-{i}")
        await asyncio.gather(hub_a.idle(), hub_b.idle())
        # A reply queued by one worker may have been claimed by the other's background outbox job, which
        # idle() does not wait for: wait (bounded) until the outbox holds nothing unsent.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while hub_a.queues.depth_and_lag(dt.datetime.now(dt.UTC))[0] and loop.time() < deadline:
            await asyncio.sleep(0.05)
        conversation = hub_a.store.conversation("telegram", "4242")
        received = [m.text for m in hub_a.store.message_records(conversation.id) if m.direction == "in"]
        assert received == texts
        replies = [o.messages[0].text for _, o in first.sent + second.sent]
        assert sorted(replies) == sorted(f"echo: {t}" for t in texts)  # each answered once


async def test_a_database_blip_after_the_turn_does_not_answer_the_message_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    output = CollectingOutput("telegram")
    async with app_with_outbox(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", output) as hub:
        real = hub.queues.handled
        failures = iter([True, True])

        def flaky(channel: str, external_id: str) -> None:
            if next(failures, False):
                raise OperationalError(
                    "UPDATE inbound_receipts", {}, Exception("server closed the connection")
                )
            real(channel, external_id)

        monkeypatch.setattr(hub.queues, "handled", flaky)
        assert await hub.accept(InboundMessage("42", "hello there my friend", "telegram"), "update-9")
        await hub.idle()
        assert await hub.sweep(dt.datetime.now(dt.UTC) + LATER) == 0  # nothing left to handle again
        await hub.idle()
        assert output.texts() == ["echo: hello there my friend"]
