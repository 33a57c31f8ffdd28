"""Redis-backed versions of the in-process pieces several app workers must share (REDIS_URL).

- `RedisSenderLocks`: one person's messages are handled one at a time across workers (an in-process FIFO lock
  first, so a worker's own messages keep their order, then a Redis lock with a timeout, so a worker that dies
  cannot block a conversation for ever).
- `RedisEventBus`: console live updates reach browsers connected to any worker (Redis pub/sub).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.conversation.sender_locks import SenderLocks
from bot.events import Event, EventBus

log = logging.getLogger(__name__)
EVENTS_CHANNEL = "neuvo:events"


class RedisSenderLocks(SenderLocks):
    def __init__(
        self, redis: Redis, *, timeout: float = 30.0, wait: float = 60.0, prefix: str = "neuvo:lock:"
    ) -> None:
        super().__init__()
        self._redis = redis
        self._timeout = timeout
        self._wait = wait
        self._prefix = prefix

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with super().hold(key):
            lock = self._redis.lock(
                self._prefix + key, timeout=self._timeout, blocking_timeout=self._wait, sleep=0.01
            )
            try:
                acquired = await lock.acquire()
            except RedisError:
                log.warning("Redis unavailable: this conversation is ordered within this worker only")
                acquired = False
                lock = None  # type: ignore[assignment]
            try:
                yield
            finally:
                if acquired and lock is not None:
                    with contextlib.suppress(RedisError):
                        await lock.release()


class RedisEventBus(EventBus):
    """Publishes through Redis; a listener task hands every event (from any worker) to local subscribers."""

    def __init__(self, redis: Redis, queue_size: int = 256, channel: str = EVENTS_CHANNEL) -> None:
        super().__init__(queue_size)
        self._redis = redis
        self._channel = channel
        self._listener: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def publish(self, event: Event) -> None:
        payload = json.dumps(
            {"kind": event.kind, "conversation_id": event.conversation_id, "data": event.data}
        )
        try:
            task = asyncio.get_running_loop().create_task(self._publish(payload, event))
        except RuntimeError:  # no loop (a CLI): local subscribers only
            super().publish(event)
            return
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self, payload: str, event: Event) -> None:
        try:
            await self._redis.publish(self._channel, payload)
        except RedisError:
            log.warning("Redis unavailable: a live update reaches this worker's consoles only")
            super().publish(event)

    async def start(self) -> None:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self._channel)
        self._listener = asyncio.get_running_loop().create_task(self._listen(pubsub))

    async def _listen(self, pubsub: object) -> None:
        async for message in pubsub.listen():  # type: ignore[attr-defined]
            if message.get("type") != "message":
                continue
            try:
                data = json.loads(message["data"])
                super().publish(
                    Event(str(data["kind"]), str(data["conversation_id"]), dict(data.get("data") or {}))
                )
            except (ValueError, KeyError, TypeError):
                log.warning("an unreadable event on %s was ignored", self._channel)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await asyncio.gather(*self._pending, return_exceptions=True)
