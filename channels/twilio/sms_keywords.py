"""Carrier keywords on SMS: STOP (opt out), START (opt back in) and HELP, answered by the app itself.

A keyword is the whole message, trimmed and in any case: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
LOPETA, SLUTA opt out; START, UNSTOP, ALOITA (and YES, but only from a number that has opted out, because
"yes" is also an ordinary answer to the bot) opt back in; HELP, INFO, APUA, HJÄLP ask who we are. While a
number is opted out nothing is sent to it but the START confirmation; its messages are still recorded for
advisors. Keyword messages are deduplicated by MessageSid like any other.

Twilio's Advanced Opt-Out: on a number without a Messaging Service, Twilio itself answers STOP, START and HELP
with its default texts and refuses to deliver to an opted-out number (error 21610). Our own confirmation is
then one more SMS (START, HELP) or is refused by Twilio (STOP; logged quietly, not escalated). To have only
Neuvo's texts, turn Twilio's default replies off in a Messaging Service's Opt-Out Management, or keep
Twilio's and ignore ours. A 21610 for a number we thought subscribed marks it opted out here as well.
"""

from __future__ import annotations

import logging
from enum import StrEnum

import anyio

from bot.conversation.sender_locks import SenderLocks
from bot.dialogue.responses import BotMessage, ResponseCatalog
from bot.languages import Language, as_language, is_language
from bot.storage.store import ConversationStore
from channels.base import DeliveryFailed, Outgoing
from channels.twilio.output import CHANNEL, SmsOutput

log = logging.getLogger(__name__)


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


_KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(
        ("stop", "stopall", "unsubscribe", "cancel", "end", "quit", "lopeta", "sluta"), Keyword.STOP
    ),
    **dict.fromkeys(("start", "unstop", "aloita"), Keyword.START),
    **dict.fromkeys(("help", "info", "apua", "hjälp"), Keyword.HELP),
}
# Opts back in only a number that has opted out; from anyone else it is an answer for the conversation.
_START_WHEN_OPTED_OUT = frozenset({"yes"})

_CONFIRMATIONS = {
    Keyword.STOP: "utter_sms_stopped",
    Keyword.START: "utter_sms_started",
    Keyword.HELP: "utter_sms_help",
}


def _normalise(text: str) -> str:
    return text.strip().casefold()


def parse_keyword(text: str, *, opted_out: bool = False) -> Keyword | None:
    """The keyword a whole message is, or None for an ordinary message."""
    word = _normalise(text)
    if opted_out and word in _START_WHEN_OPTED_OUT:
        return Keyword.START
    return _KEYWORDS.get(word)


def needs_opt_out_state(text: str) -> bool:
    """True when the message is a keyword only for a number that has opted out (look that up first)."""
    return _normalise(text) in _START_WHEN_OPTED_OUT


class KeywordHandler:
    """Records the opt-out or opt-in and sends the one confirmation, in the conversation's language
    (Finnish and English together when it is not known yet)."""

    def __init__(self, output: SmsOutput, responses: ResponseCatalog) -> None:
        self._output = output
        self._responses = responses
        self._locks = SenderLocks()  # STOP then START in quick succession: confirmations in that order

    def confirmation(self, keyword: Keyword, language: Language | None) -> BotMessage:
        name = _CONFIRMATIONS[keyword]
        if language is not None:
            return BotMessage(self._responses.render(name, language).text)
        texts = [self._responses.render(name, lang).text for lang in ("fi", "en")]
        return BotMessage("\n\n".join(texts))

    async def record(self, store: ConversationStore, sender_id: str, keyword: Keyword) -> None:
        """Store the opt-out or opt-in. Done before the webhook answers, so that the sender's next message
        already sees it."""
        if keyword is not Keyword.HELP:
            await anyio.to_thread.run_sync(store.set_opt_out, CHANNEL, sender_id, keyword is Keyword.STOP)
            log.info("SMS %s recorded", keyword.value)

    async def confirm(
        self, store: ConversationStore, sender_id: str, keyword: Keyword, message_sid: str
    ) -> None:
        """Send the one confirmation (in the background: it goes through Twilio's REST API)."""
        async with self._locks.hold(sender_id):
            await self._confirm(store, sender_id, keyword, message_sid)

    async def _confirm(
        self, store: ConversationStore, sender_id: str, keyword: Keyword, message_sid: str
    ) -> None:
        conversation = await anyio.to_thread.run_sync(store.conversation, CHANNEL, sender_id)
        stored = conversation.language or ""
        language = as_language(stored) if is_language(stored) else None
        outgoing = Outgoing(
            messages=[self.confirmation(keyword, language)],
            language=language or "fi",
            conversation_id=conversation.id,
            metadata={"turn_id": message_sid},
        )
        try:
            # The STOP confirmation is the one message sent to a number that has just opted out.
            await self._output.send(sender_id, outgoing, ignore_opt_out=keyword is Keyword.STOP)
        except DeliveryFailed as exc:
            # Expected for STOP when Twilio's own opt-out handling already blocks the number.
            log.info("SMS %s confirmation not delivered: %s", keyword.value, exc)
