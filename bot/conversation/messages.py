"""The one internal message type every channel produces, and what a turn returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.dialogue.responses import BotMessage
from bot.languages import Language


class MessageKind(StrEnum):
    """What a person sent. Only text is answered by the bot; the rest is answered with a hint or passed on."""

    TEXT = "text"
    VOICE_NOTE = "voice_note"
    AUDIO = "audio"
    PHOTO = "photo"
    VIDEO = "video"
    STICKER = "sticker"
    DOCUMENT = "document"
    LOCATION = "location"
    CONTACT = "contact"
    RECORDING = "recording"  # a voicemail left on the information line
    OTHER = "other"


@dataclass(frozen=True)
class InboundMessage:
    """A user's message from any channel. `language` is set only when the user chose it explicitly.

    `sender_id` is the channel's address of the person (a chat id, a phone number); `media_ref` points at
    non-text content (a Telegram file id, a recording URL) for an advisor.
    """

    sender_id: str
    text: str
    channel: str = "web"
    language: Language | None = None
    kind: MessageKind = MessageKind.TEXT
    media_ref: str | None = None
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
    conversation_id: str = ""
    # An advisor holds the conversation: the message went to them and the bot stays quiet.
    held_by_advisor: bool = False
    # The answered entry's short version and first source, for channels that cannot carry the full answer.
    short_answer: str | None = None
    source_url: str | None = None
