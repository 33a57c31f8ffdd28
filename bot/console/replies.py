"""Sending an advisor's reply through the person's most recent channel, and recording it either way."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import anyio

from bot.console.conversation_desk import ConversationDesk, check_text
from bot.console.errors import Conflict
from bot.console.escalation_queue import EscalationQueue
from bot.dialogue.responses import BotMessage
from bot.events import Event, EventBus
from bot.languages import FALLBACK_LANGUAGE, as_language, is_language
from bot.storage.store import ConversationStore
from channels.base import Outgoing
from channels.hub import ChannelHub

WEB_CHANNEL = "web"  # /api/chat: the page asks, the app answers; nothing can be pushed to it later


class Delivery(StrEnum):
    SENT = "sent"
    WEB_CHAT = "web_chat"  # recorded, but a web chat user cannot be reached
    NO_CHANNEL = "no_channel"  # recorded; the person's channel is not running in this app
    FAILED = "failed"  # recorded; the platform refused it (the hub also escalates the failure)


NOT_DELIVERED = {
    Delivery.WEB_CHAT: "cannot deliver: web chat user",
    Delivery.NO_CHANNEL: "cannot deliver: the person's channel is not running",
    Delivery.FAILED: "the channel refused it",
}
SYSTEM_AUTHOR = "system"


@dataclass(frozen=True)
class ReplyResult:
    message_id: int
    channel: str | None
    delivery: Delivery


class ReplySender:
    def __init__(
        self,
        store: ConversationStore,
        desk: ConversationDesk,
        queue: EscalationQueue,
        hub: ChannelHub,
        events: EventBus,
    ) -> None:
        self._store = store
        self._desk = desk
        self._queue = queue
        self._hub = hub
        self._events = events

    async def send(self, conversation_id: str, advisor: str, text: str) -> ReplyResult:
        """Deliver to the person's most recently used address; only the advisor holding it may reply."""
        text = check_text(text, "reply")
        conversation = await anyio.to_thread.run_sync(self._desk.header, conversation_id)
        if conversation.assigned_to != advisor:
            holder = conversation.assigned_to or "the bot"
            raise Conflict(f"claim the conversation before replying (it is held by {holder})")
        addresses = await anyio.to_thread.run_sync(self._store.identities, conversation_id)
        language = (
            as_language(conversation.language)
            if conversation.language and is_language(conversation.language)
            else FALLBACK_LANGUAGE
        )
        channel: str | None = addresses[0][0] if addresses else conversation.channel
        if not addresses or channel == WEB_CHANNEL:
            delivery = Delivery.WEB_CHAT if channel == WEB_CHANNEL else Delivery.NO_CHANNEL
        elif channel not in self._hub.outputs:
            delivery = Delivery.NO_CHANNEL
        else:
            outgoing = Outgoing(
                messages=[BotMessage(text)], language=language, conversation_id=conversation_id
            )
            sent = await self._hub.deliver(channel, addresses[0][1], outgoing)
            delivery = Delivery.SENT if sent else Delivery.FAILED
        message_id = await anyio.to_thread.run_sync(
            self._desk.record_reply, conversation_id, advisor, text, channel, conversation.language
        )
        if delivery is Delivery.SENT:
            await anyio.to_thread.run_sync(self._queue.mark_first_reply, conversation_id)
        else:  # whoever reads the conversation later must see that the person never got it
            note = f"Reply #{message_id} was recorded but not delivered: {NOT_DELIVERED[delivery]}."
            await anyio.to_thread.run_sync(self._desk.add_note, conversation_id, SYSTEM_AUTHOR, note)
        self._events.publish(Event("message", conversation_id, {"channel": channel, "author": advisor}))
        return ReplyResult(message_id, channel, delivery)
