"""What every channel shares: the outgoing message, the output interface and plain-text fallbacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.dialogue.responses import BotMessage, ResponseCatalog
from bot.languages import Language

if TYPE_CHECKING:
    from fastapi import APIRouter

    from channels.hub import ChannelHub


class ChannelError(RuntimeError):
    """A channel could not deliver or receive; the message says why, without personal data."""


class DeliveryFailed(ChannelError):
    """The platform refused a message for good (after retries), so it was not delivered."""


class DeliveryDeferred(DeliveryFailed):
    """The platform could not be reached even after the output's own retries; trying later may work.

    Without the outbox this counts as a failure; with it the reply is tried again later, with backoff.
    """


@dataclass(frozen=True)
class Outgoing:
    """The bot's replies to one message, with what channels that cannot show everything need.

    `short_answer` and `source_url` belong to the knowledge-base answer among the replies, if any: SMS sends
    them instead of an answer too long for a few text messages, and voice speaks the short version.
    """

    messages: list[BotMessage]
    language: Language
    conversation_id: str = ""
    short_answer: str | None = None
    source_url: str | None = None
    entry_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class OutputChannel(Protocol):
    """Sends replies to one person on one platform. Raises DeliveryFailed when it gives up."""

    name: str

    async def send(self, recipient_id: str, outgoing: Outgoing) -> None: ...


class ChannelAdapter(Protocol):
    """A channel: its inbound routes, its output, and any background work (polling, retries)."""

    name: str
    output: OutputChannel

    def router(self) -> APIRouter:
        """The channel's webhook routes; handlers find the hub as `request.app.state.hub`."""
        ...

    async def start(self, hub: ChannelHub) -> None:
        """Begin background work (e.g. Telegram long polling). Must return promptly."""
        ...

    async def stop(self) -> None: ...


def numbered_options(message: BotMessage, responses: ResponseCatalog, language: Language) -> str:
    """A message's buttons as numbered lines, for channels without buttons; "2" then picks the second one.

    The conversation engine remembers the last buttons offered and maps a bare number back to its payload.
    """
    if not message.buttons:
        return message.text
    hint = responses.render("utter_options_hint", language).text
    lines = [f"{i}. {button.title}" for i, button in enumerate(message.buttons, start=1)]
    return "\n".join([message.text, "", hint, *lines])
