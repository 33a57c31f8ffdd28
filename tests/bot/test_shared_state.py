"""With REDIS_URL, workers share per-person locks and console live updates (tested on the real Redis)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from bot.events import Event
from bot.shared_state import RedisEventBus, RedisSenderLocks
from tests.databases import redis_or_skip

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_an_event_published_on_one_worker_reaches_subscribers_on_another() -> None:
    url = redis_or_skip()
    channel = f"neuvo-test-events-{uuid.uuid4().hex[:8]}"  # pub/sub channels span every Redis database
    worker_a = RedisEventBus(Redis.from_url(url), channel=channel)
    worker_b = RedisEventBus(Redis.from_url(url), channel=channel)
    await worker_a.start()
    await worker_b.start()
    try:
        async with worker_b.subscribe() as queue:
            await asyncio.sleep(0.1)  # both listeners are subscribed
            worker_a.publish(Event("message", "c123", {"channel": "sms"}))
            event = await asyncio.wait_for(queue.get(), 5)
            assert (event.kind, event.conversation_id, event.data) == ("message", "c123", {"channel": "sms"})
    finally:
        await worker_a.close()
        await worker_b.close()


async def test_one_persons_messages_are_handled_one_at_a_time_across_workers() -> None:
    url = redis_or_skip()
    prefix = f"neuvo-test-{uuid.uuid4().hex[:8]}:"
    worker_a = RedisSenderLocks(Redis.from_url(url), prefix=prefix)
    worker_b = RedisSenderLocks(Redis.from_url(url), prefix=prefix)
    inside: list[str] = []
    overlaps = 0

    async def handle(locks: RedisSenderLocks, name: str) -> None:
        nonlocal overlaps
        async with locks.hold("telegram\0" + "42"):
            if inside:
                overlaps += 1
            inside.append(name)
            await asyncio.sleep(0.02)
            inside.remove(name)

    await asyncio.gather(*(handle(worker_a if i % 2 else worker_b, f"m{i}") for i in range(20)))
    assert overlaps == 0
