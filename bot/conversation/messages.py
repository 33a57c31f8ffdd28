"""The one internal message type every channel produces, and what a turn returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.dialogue.responses import BotMessage
from bot.languages import Language


@dataclass(frozen=True)
class InboundMessage:
    """A user's message from any channel. `language` is set only when the user chose it explicitly."""

    sender_id: str
    text: str
    channel: str = "web"
    language: Language | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TurnResult:
    replies: list[BotMessage]
    language: Language
    intent: str | None
    topic: str | None
    entry_id: str | None
    confidence: float | None
    escalated: bool
    degraded: bool
