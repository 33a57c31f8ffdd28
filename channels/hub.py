"""The one path from every channel to the conversation engine and back.

Adapters hand the hub an `InboundMessage` with the platform's message id. The hub records the id (a
redelivery is dropped), answers the platform at once, and handles the message in the background: the engine
keeps one person's messages in order, and the replies go out through that channel's `OutputChannel`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

import anyio

from bot.conversation.engine import ConversationEngine
from bot.conversation.messages import InboundMessage, TurnResult
from bot.dialogue.responses import ResponseCatalog
from bot.events import Event
from bot.observability.metrics import count_replies, observe_turn
from bot.storage.store import ConversationStore
from channels.base import DeliveryFailed, Outgoing, OutputChannel

log = logging.getLogger(__name__)


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


class ChannelHub:
    def __init__(
        self,
        engine: ConversationEngine,
        store: ConversationStore,
        responses: ResponseCatalog,
        outputs: Mapping[str, OutputChannel] | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.responses = responses
        self.outputs: dict[str, OutputChannel] = dict(outputs or {})
        self._tasks: set[asyncio.Task[None]] = set()

    def register_output(self, output: OutputChannel) -> None:
        self.outputs[output.name] = output

    async def is_new(self, channel: str, external_id: str) -> bool:
        """Record a platform message id; False when it was seen before (a retry or a duplicate delivery)."""
        return await anyio.to_thread.run_sync(self.store.claim_inbound, channel, external_id)

    async def accept(self, message: InboundMessage, external_id: str | None) -> bool:
        """Take a message for background handling; False (and nothing done) for a redelivered id."""
        if external_id is not None and not await self.is_new(message.channel, external_id):
            log.info("duplicate %s delivery ignored", message.channel)
            return False
        self.spawn(self.process(message, external_id))
        return True

    def spawn(self, work: object) -> None:
        """Run a coroutine in the background, kept referenced until done; its failure is logged."""
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background channel work failed", exc_info=task.exception())

    async def process(self, message: InboundMessage, external_id: str | None = None) -> TurnResult:
        """Handle one message and send the replies back on its channel."""
        started = time.perf_counter()
        result = await self.engine.handle(message)
        observe_turn(
            message.channel, result.language, time.perf_counter() - started, result.escalated, result.degraded
        )
        if result.replies:
            turn_id = f"{message.channel}:{external_id}" if external_id else None
            await self.deliver(message.channel, message.sender_id, outgoing_from(result, turn_id))
        return result

    async def deliver(self, channel: str, recipient_id: str, outgoing: Outgoing) -> bool:
        """Send through a channel; a delivery that fails for good becomes an escalation for an advisor."""
        output = self.outputs.get(channel)
        if output is None:
            log.error("no output for channel %s: reply not delivered", channel)
            return False
        try:
            await output.send(recipient_id, outgoing)
        except DeliveryFailed as exc:
            log.warning("delivery on %s failed for good: %s", channel, exc)
            if outgoing.conversation_id:
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
                self.engine.events.publish(
                    Event("escalation", outgoing.conversation_id, {"channel": channel})
                )
            return False
        count_replies(channel, len(outgoing.messages))
        return True

    async def idle(self) -> None:
        """Wait until every message taken so far has been handled (tests, and a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, timeout: float = 10.0) -> None:
        """Let work in progress finish (bounded), then cancel what is left."""
        try:
            await asyncio.wait_for(self.idle(), timeout)
        except TimeoutError:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
