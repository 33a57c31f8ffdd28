"""Fakes for console tests: a dialogue that escalates like Rasa's action_escalate, a collecting channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio

from bot.conversation.rasa_client import RasaTurn
from bot.dialogue.responses import BotMessage
from bot.storage.store import ConversationStore
from channels.base import DeliveryFailed, Outgoing
from tests.fakes import FakeDialogue

HANDOFF_REPLY = "An advisor will answer you here."


class EscalatingDialogue(FakeDialogue):
    """Echoes like FakeDialogue, but "I want a human" escalates the way Rasa's action_escalate does."""

    def __init__(self) -> None:
        super().__init__()
        self.store: ConversationStore | None = None
        self.summary = "needs help with a residence permit"

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        if "human" not in text.lower():
            return await super().send(conversation_id, text, metadata)
        assert self.store is not None
        store = self.store
        conversation = await anyio.to_thread.run_sync(store.get_conversation, conversation_id)
        await anyio.to_thread.run_sync(
            lambda: store.add_escalation(
                conversation_id,
                reason="user_request",
                language=metadata["language"],
                summary=self.summary,
                contact=None,
                transcript=[{"from": "user", "text": text}],
                channel=conversation.channel if conversation else None,
            )
        )
        return RasaTurn(
            [BotMessage("An advisor will answer you here.")],
            "human_handoff",
            0.99,
            actions=["action_escalate"],
        )


@dataclass
class CollectingOutput:
    """An OutputChannel that keeps what it is asked to send."""

    name: str
    sent: list[tuple[str, str]] = field(default_factory=list)  # (recipient, text)
    fail: bool = False

    async def send(self, recipient_id: str, outgoing: Outgoing) -> None:
        if self.fail:
            raise DeliveryFailed("refused by the fake")
        self.sent.extend((recipient_id, m.text) for m in outgoing.messages)
