"""The one path from every channel to the conversation engine and back.

Adapters hand the hub an `InboundMessage` with the platform's message id. The hub stores the message under
that id before the platform gets its answer (a redelivery is dropped), answers the platform at once, and
handles the message in the background: the engine keeps one person's messages in order, and the replies go out
through that channel's `OutputChannel`.

With the outbox on (the default on PostgreSQL), each reply is first written to the `outbox` table and then
sent; a reply the platform could not take is retried later with backoff, by this worker or another one, and
messages accepted by a worker that died are handled again when their lease runs out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import asdict
from typing import Any, TypeVar

import anyio
from sqlalchemy.exc import OperationalError

from bot.conversation.engine import ConversationEngine
from bot.conversation.messages import InboundMessage, MessageKind, TurnResult
from bot.dialogue.responses import BotMessage, Button, ResponseCatalog
from bot.events import Event
from bot.languages import as_language
from bot.observability.metrics import count_replies, observe_turn, set_outbox_depth, set_outbox_lag
from bot.storage.queues import DurableQueues, OutboxItem
from bot.storage.store import ConversationStore
from channels.base import DeliveryDeferred, DeliveryFailed, Outgoing, OutputChannel

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_TURNS = 8  # stored messages one worker handles at once (see ChannelHub)
ACCEPT_THREADS = 8  # threads reserved for storing what platforms deliver, before acknowledging it

# Waits between outbox attempts of one reply; after the last, it fails for good and becomes an escalation.
OUTBOX_BACKOFF = (
    dt.timedelta(seconds=10),
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
)


def outgoing_from(result: TurnResult, turn_id: str | None = None) -> Outgoing:
    """The replies of one turn; `turn_id` (the inbound platform id) makes outbound idempotency keys stable."""
    return Outgoing(
        messages=list(result.replies),
        language=result.language,
        conversation_id=result.conversation_id,
        short_answer=result.short_answer,
        source_url=result.source_url,
        entry_id=result.entry_id,
        metadata={"turn_id": turn_id} if turn_id else {},
    )


def _dump_inbound(message: InboundMessage) -> str:
    data = asdict(message)
    data["kind"] = message.kind.value
    return json.dumps(data, ensure_ascii=False)


def _load_inbound(payload: str) -> InboundMessage:
    data = json.loads(payload)
    data["kind"] = MessageKind(data.get("kind", "text"))
    language = data.get("language")
    data["language"] = as_language(language) if language else None
    return InboundMessage(**data)


def _dump_outgoing(outgoing: Outgoing) -> str:
    return json.dumps(asdict(outgoing), ensure_ascii=False)


def _load_outgoing(payload: str) -> Outgoing:
    data = json.loads(payload)
    data["messages"] = [
        BotMessage(m["text"], [Button(b["title"], b["payload"]) for b in m.get("buttons", [])])
        for m in data["messages"]
    ]
    data["language"] = as_language(data["language"])
    return Outgoing(**data)


async def _with_retries(work: Callable[..., T], *args: Any, attempts: int = 8, first_wait: float = 0.5) -> T:
    """Run blocking database work in a thread, retrying while the database is unreachable (about 30 s)."""
    wait = first_wait
    for attempt in range(attempts):
        try:
            return await anyio.to_thread.run_sync(work, *args)
        except OperationalError:
            if attempt == attempts - 1:
                raise
            log.warning("database unavailable; retrying in %.1f s", wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, 8.0)
    raise AssertionError("unreachable")


class ChannelHub:
    def __init__(
        self,
        engine: ConversationEngine,
        store: ConversationStore,
        responses: ResponseCatalog,
        outputs: Mapping[str, OutputChannel] | None = None,
        *,
        use_outbox: bool = False,
        poll_interval: float = 1.0,
        max_turns: int = MAX_TURNS,
    ) -> None:
        """Args:
        max_turns: stored messages handled at once by this worker; the rest wait their turn, stored.
        """
        self.engine = engine
        self.store = store
        self.responses = responses
        self.outputs: dict[str, OutputChannel] = dict(outputs or {})
        self.queues = DurableQueues(store.session_factory, store.engine.dialect.name)
        self.use_outbox = use_outbox
        self.poll_interval = poll_interval
        self._tasks: set[asyncio.Task[Any]] = set()
        self._background: asyncio.Task[None] | None = None
        self._accept_limiter: anyio.CapacityLimiter | None = None  # made in the event loop, on first use
        # A burst (hundreds of people at once) is answered a few at a time, so the threads, the database and
        # Rasa are not flooded and acknowledgements keep their share of the CPU.
        self._turn_slots = asyncio.Semaphore(max_turns)

    @property
    def _accept_threads(self) -> anyio.CapacityLimiter:
        """Acknowledging a platform must not queue behind the answering work for a thread: its own threads."""
        if self._accept_limiter is None:
            self._accept_limiter = anyio.CapacityLimiter(ACCEPT_THREADS)
        return self._accept_limiter

    def register_output(self, output: OutputChannel) -> None:
        self.outputs[output.name] = output

    async def is_new(self, channel: str, external_id: str) -> bool:
        """Record a platform message id; False when it was seen before (a retry or a duplicate delivery)."""
        return await anyio.to_thread.run_sync(
            self.store.claim_inbound, channel, external_id, limiter=self._accept_threads
        )

    async def accept(self, message: InboundMessage, external_id: str | None) -> bool:
        """Store a message for background handling; False (and nothing done) for a redelivered id."""
        if external_id is None:
            self.spawn(self.process(message))
            return True
        stored = await anyio.to_thread.run_sync(
            self.queues.receive,
            message.channel,
            external_id,
            _dump_inbound(message),
            message.sender_id,
            limiter=self._accept_threads,
        )
        if not stored:
            log.info("duplicate %s delivery ignored", message.channel)
            return False
        self.spawn(self.drain(message.channel, message.sender_id))
        return True

    async def drain(self, channel: str, sender: str) -> int:
        """Handle one person's stored messages in the order received, whichever worker received them.

        The person's lock (shared through Redis by several workers) is held while their messages are handled;
        another worker's drain for the same person then finds nothing left. With the outbox, replies are
        queued and the message marked handled inside the lock, and sent after it, so a slow platform never
        holds a person's lock. Returns how many messages were handled.
        """
        queued: list[int] = []
        handled = 0
        async with self._turn_slots, self.engine.locks.hold(f"{channel}\0{sender}"):
            while pending := await anyio.to_thread.run_sync(self.queues.pending_for_sender, channel, sender):
                for external_id, payload in pending:
                    try:
                        message = _load_inbound(payload)
                    except (ValueError, KeyError, TypeError):
                        log.error("a stored %s message could not be read; dropped", channel)
                        await anyio.to_thread.run_sync(self.queues.handled, channel, external_id)
                        continue
                    item = await self._handle_stored(message, external_id)
                    if item is not None:
                        queued.append(item)
                    handled += 1
        for item_id in queued:
            await self._send_queued(item_id)
        return handled

    async def _handle_stored(self, message: InboundMessage, external_id: str) -> int | None:
        """One stored message, the person's lock held: answer, queue or send the replies, mark it handled.
        Returns the outbox row to send once the lock is released (outbox mode)."""
        result = await self._answer(message, locked=True)
        item_id = None
        if result.replies:
            outgoing = outgoing_from(result, f"{message.channel}:{external_id}")
            if self.use_outbox and message.channel in self.outputs:
                item_id = await self._enqueue(message.channel, message.sender_id, outgoing)
            else:
                await self.deliver(message.channel, message.sender_id, outgoing)
        # The turn is recorded: marking it handled must not fail on a database blip (a restart), or the
        # message would be handled again later and answered twice.
        await _with_retries(self.queues.handled, message.channel, external_id)
        return item_id

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run a coroutine in the background, kept referenced until done; its failure is logged."""
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background channel work failed", exc_info=task.exception())

    async def process(self, message: InboundMessage) -> TurnResult:
        """Handle a message that has no platform id (nothing to deduplicate) and send the replies back."""
        result = await self._answer(message)
        if result.replies:
            await self.deliver(message.channel, message.sender_id, outgoing_from(result))
        return result

    async def _answer(self, message: InboundMessage, *, locked: bool = False) -> TurnResult:
        """One turn through the engine, timed for the metrics."""
        started = time.perf_counter()
        result = await self.engine.handle(message, locked=locked)
        observe_turn(
            message.channel, result.language, time.perf_counter() - started, result.escalated, result.degraded
        )
        return result

    async def deliver(self, channel: str, recipient_id: str, outgoing: Outgoing) -> bool:
        """Send through a channel. True when sent now; False when it failed (an escalation) or, with the
        outbox, when it will be tried again later."""
        if channel not in self.outputs:
            log.error("no output for channel %s: reply not delivered", channel)
            return False
        if not self.use_outbox:
            try:
                await self._send(channel, recipient_id, outgoing)
            except DeliveryFailed as exc:
                await self._failed(channel, outgoing, exc)
                return False
            return True
        item_id = await self._enqueue(channel, recipient_id, outgoing)
        return await self._send_queued(item_id)

    async def _enqueue(self, channel: str, recipient_id: str, outgoing: Outgoing) -> int:
        key = f"{channel}:{recipient_id}:{outgoing.metadata.get('turn_id') or uuid.uuid4().hex}"
        return await _with_retries(
            self.queues.enqueue,
            channel,
            recipient_id,
            outgoing.conversation_id or None,
            _dump_outgoing(outgoing),
            key,
        )

    async def _send_queued(self, item_id: int) -> bool:
        """Send one queued reply now, unless another worker has taken it (it then sends it)."""
        now = dt.datetime.now(dt.UTC)
        claimed = await anyio.to_thread.run_sync(lambda: self.queues.claim_due(now, 1, only_id=item_id))
        if not claimed:  # another worker has it already (or it was sent before: same key)
            return False
        return await self._deliver_item(claimed[0])

    async def _send(self, channel: str, recipient_id: str, outgoing: Outgoing) -> None:
        await self.outputs[channel].send(recipient_id, outgoing)
        count_replies(channel, len(outgoing.messages))

    async def _deliver_item(self, item: OutboxItem) -> bool:
        outgoing = _load_outgoing(item.payload)
        try:
            await self._send(item.channel, item.recipient, outgoing)
        except DeliveryDeferred as exc:
            if item.attempts <= len(OUTBOX_BACKOFF):
                at = dt.datetime.now(dt.UTC) + OUTBOX_BACKOFF[item.attempts - 1]
                await anyio.to_thread.run_sync(self.queues.retry, item.id, at, str(exc))
                log.warning("delivery on %s deferred (attempt %d): %s", item.channel, item.attempts, exc)
                return False
            await anyio.to_thread.run_sync(self.queues.failed, item.id, str(exc))
            await self._failed(item.channel, outgoing, exc)
            return False
        except DeliveryFailed as exc:
            await anyio.to_thread.run_sync(self.queues.failed, item.id, str(exc))
            await self._failed(item.channel, outgoing, exc)
            return False
        await anyio.to_thread.run_sync(self.queues.sent, item.id)
        return True

    async def _failed(self, channel: str, outgoing: Outgoing, exc: DeliveryFailed) -> None:
        """A reply that could not be delivered for good becomes an escalation for an advisor."""
        log.warning("delivery on %s failed for good: %s", channel, exc)
        if not outgoing.conversation_id:
            return
        await anyio.to_thread.run_sync(
            lambda: self.store.add_escalation(
                outgoing.conversation_id,
                reason="delivery_failed",
                language=outgoing.language,
                summary=f"A reply could not be delivered on {channel}.",
                contact=None,
                transcript=[{"from": "bot", "text": m.text} for m in outgoing.messages],
                channel=channel,
            )
        )
        self.engine.events.publish(Event("escalation", outgoing.conversation_id, {"channel": channel}))

    async def sweep(self, now: dt.datetime | None = None) -> int:
        """One round of background duty: handle stranded inbound messages, send due outbox replies."""
        now = now or dt.datetime.now(dt.UTC)
        done = 0
        senders = set()
        for channel, external_id, payload in await anyio.to_thread.run_sync(
            self.queues.claim_stranded_inbound, now
        ):
            try:
                senders.add((channel, _load_inbound(payload).sender_id))
            except (ValueError, KeyError, TypeError):
                log.error("a stored %s message could not be read; dropped", channel)
                await anyio.to_thread.run_sync(self.queues.handled, channel, external_id)
        for channel, sender in senders:
            self.spawn(self.drain(channel, sender))
            done += 1
        if self.use_outbox:
            for item in await anyio.to_thread.run_sync(self.queues.claim_due, now):
                if item.channel in self.outputs:
                    await self._deliver_item(item)
                    done += 1
            depth, lag = await anyio.to_thread.run_sync(self.queues.depth_and_lag, now)
            set_outbox_depth(depth)
            set_outbox_lag(lag)
        return done

    async def run_background(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # the loop must survive a database hiccup; logged with its traceback
                log.exception("channel hub sweep failed")
            await asyncio.sleep(self.poll_interval)

    def start(self) -> None:
        if self._background is None:
            self._background = asyncio.get_running_loop().create_task(self.run_background())

    async def idle(self) -> None:
        """Wait until every message taken so far has been handled (tests, and a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, timeout: float = 10.0) -> None:
        """Stop the sweeper, let work in progress finish (bounded), then cancel what is left."""
        if self._background is not None:
            self._background.cancel()
            await asyncio.gather(self._background, return_exceptions=True)
            self._background = None
        try:
            await asyncio.wait_for(self.idle(), timeout)
        except TimeoutError:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
