"""Sending a turn's replies as SMS: fitted to a few segments, in order, never to a number that opted out."""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Protocol

import anyio

from bot.dialogue.responses import ResponseCatalog
from channels.base import Outgoing
from channels.twilio.rest import RecipientUnsubscribed
from channels.twilio.segments import fit_for_sms

log = logging.getLogger(__name__)

CHANNEL = "sms"


class SmsSender(Protocol):
    """What sends one SMS (the Twilio REST client, or a fake)."""

    async def send_sms(self, to: str, body: str, idempotency_key: str) -> str: ...


class OptOutRegistry(Protocol):
    """Who asked for no more messages (the conversation store)."""

    def is_opted_out(self, channel: str, sender_id: str) -> bool: ...

    def set_opt_out(self, channel: str, sender_id: str, opted_out: bool) -> None: ...


def idempotency_key(conversation_id: str, turn_id: str, part: int) -> str:
    """The same key for the same part of the same turn, so Twilio drops a repeated send of it."""
    digest = hashlib.sha256(f"{conversation_id}\0{turn_id}\0{part}".encode()).hexdigest()
    return f"neuvo-{digest[:40]}"


class SmsOutput:
    """The SMS channel's OutputChannel. `bind` gives it the store when the app starts."""

    name = CHANNEL

    def __init__(self, sender: SmsSender, responses: ResponseCatalog, max_segments: int) -> None:
        self._sender = sender
        self._responses = responses
        self._max_segments = max_segments
        self._opt_outs: OptOutRegistry | None = None

    def bind(self, opt_outs: OptOutRegistry) -> None:
        self._opt_outs = opt_outs

    async def send(self, recipient_id: str, outgoing: Outgoing, *, ignore_opt_out: bool = False) -> None:
        """Send the replies as one or more SMS, in order. Skipped silently for a number that opted out
        (`ignore_opt_out` is only for the confirmation of that STOP itself).

        `outgoing.metadata["turn_id"]`, when given, makes the idempotency keys stable across calls.
        Raises DeliveryFailed when Twilio refuses a part for good.
        """
        if not ignore_opt_out and await self._opted_out(recipient_id):
            log.info("SMS reply skipped: the recipient has opted out")
            return
        bodies = fit_for_sms(outgoing, self._responses, self._max_segments)
        turn_id = outgoing.metadata.get("turn_id") or uuid.uuid4().hex
        conversation = outgoing.conversation_id or hashlib.sha256(recipient_id.encode()).hexdigest()
        for part, body in enumerate(bodies):
            try:
                await self._sender.send_sms(recipient_id, body, idempotency_key(conversation, turn_id, part))
            except RecipientUnsubscribed:
                # Twilio knows of a STOP we did not see (e.g. sent before this service): remember it.
                if self._opt_outs is not None:
                    await anyio.to_thread.run_sync(self._opt_outs.set_opt_out, CHANNEL, recipient_id, True)
                raise

    async def _opted_out(self, recipient_id: str) -> bool:
        if self._opt_outs is None:
            return False
        return await anyio.to_thread.run_sync(self._opt_outs.is_opted_out, CHANNEL, recipient_id)
