"""The conversation engine: language, dialogue (Rasa) or degraded retrieval, and the record of each turn."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import anyio

from bot.conversation.commands import Command, ParsedCommand, parse_command
from bot.conversation.language_policy import decide, requested_language
from bot.conversation.messages import InboundMessage, MessageKind, TurnResult
from bot.conversation.rasa_client import DialogueEngine, RasaUnavailable
from bot.conversation.safety import signals_danger
from bot.conversation.sender_locks import SenderLocks
from bot.dialogue.answers import answer_message
from bot.dialogue.responses import BotMessage, ResponseCatalog
from bot.events import Event, EventBus
from bot.languages import FALLBACK_LANGUAGE, Language, as_language, is_language
from bot.retrieval.language_detection import LanguageIdentifier
from bot.retrieval.retriever import Answer, RetrievalResult
from bot.retrieval.text import InvalidQuery, clean
from bot.storage.store import ConversationRecord, ConversationStore, OutboundRecord

log = logging.getLogger(__name__)

# Button payloads the bot itself sends; any other text starting with "/" is passed on as plain text.
_PAYLOAD = re.compile(
    r"^/(affirm|deny|human_handoff|feedback_positive|feedback_negative"
    r'|set_language\{"language": ?"[a-z]{2}"\})$'
)
_LANGUAGE_COMMAND = re.compile(r"^/(?:language|lang|kieli|språk)(?:@\w+)?(?:\s+\S+)?\s*$", re.IGNORECASE)
# "1", "2." or "2)" answers the n-th button offered last, on channels that show buttons as numbered lines.
_OPTION_NUMBER = re.compile(r"^\s*([1-9])\s*[.)]?\s*$")

Search = Callable[[str, Language, str | None], RetrievalResult]
AnswerLookup = Callable[[str, Language], Answer | None]


class ConversationEngine:
    def __init__(
        self,
        store: ConversationStore,
        dialogue: DialogueEngine,
        search: Search,
        identifier: LanguageIdentifier,
        responses: ResponseCatalog,
        answer_for: AnswerLookup | None = None,
        events: EventBus | None = None,
        locks: SenderLocks | None = None,
    ) -> None:
        self.store = store
        self.dialogue = dialogue
        self.search = search
        self.identifier = identifier
        self.responses = responses
        self.answer_for = answer_for
        self.events = events if events is not None else EventBus()
        self.locks = locks if locks is not None else SenderLocks()

    async def handle(self, message: InboundMessage, *, locked: bool = False) -> TurnResult:
        """Answer one message. Messages of one conversation are handled strictly in order.

        `locked`: the caller already holds this sender's lock (the channel hub does, while it works through
        the person's stored messages in order).
        """
        if locked:
            return await self._handle(message)
        async with self.locks.hold(f"{message.channel}\0{message.sender_id}"):
            return await self._handle(message)

    async def _handle(self, message: InboundMessage) -> TurnResult:
        conversation = await anyio.to_thread.run_sync(
            self.store.conversation, message.channel, message.sender_id
        )
        text = clean(message.text)
        option = _OPTION_NUMBER.match(text)
        if option and int(option.group(1)) <= len(conversation.pending_options):
            text = conversation.pending_options[int(option.group(1)) - 1]["payload"]
        current = as_language(conversation.language) if conversation.language else None
        if current is None:
            # A platform's language setting (Telegram's app language) speaks for a first-time user until
            # their own words or choice say otherwise.
            hint = message.metadata.get("language_hint")
            current = as_language(hint) if isinstance(hint, str) and is_language(hint) else None
        if conversation.assigned_to:
            return await self._pass_to_advisor(conversation, message, text, current or FALLBACK_LANGUAGE)
        if message.kind is not MessageKind.TEXT or not text:
            language = message.language or current or FALLBACK_LANGUAGE
            return await self._finish(
                conversation,
                message,
                language,
                self._reply([self.responses.render("utter_non_text", language)], language),
            )
        parsed = parse_command(text)
        if parsed and parsed.command is not Command.HUMAN:
            return await self._command(
                conversation, message, parsed, message.language or current or FALLBACK_LANGUAGE
            )
        requested = message.language
        command = _LANGUAGE_COMMAND.match(text)
        if command:
            requested = requested_language(text) or requested
        detected = self.identifier.detect(text, default=current or FALLBACK_LANGUAGE)
        decision = decide(current, conversation.language_locked, detected, len(text.split()), requested)
        if decision.changed or decision.settled != conversation.language_locked:
            await anyio.to_thread.run_sync(
                lambda: self.store.set_language(conversation.id, decision.language, locked=decision.settled)
            )
        language = decision.language
        if command:
            # "/language" alone offers the picker; "/language fi" is the same as pressing the Finnish button.
            rasa_text = f'/set_language{{"language": "{requested}"}}' if requested else "change language"
        elif parsed:  # /human
            rasa_text = "/human_handoff"
        elif text.startswith("/") and not _PAYLOAD.match(text):
            rasa_text = text.lstrip("/") or text
        else:
            rasa_text = text
        if signals_danger(text):
            return await self._danger(conversation, message, language)
        try:
            turn = await self.dialogue.send(conversation.id, rasa_text, {"language": language})
        except RasaUnavailable:
            result = await self._degraded(text, language, conversation.audience)
        else:
            actions = turn.actions
            answered = "action_answer_question" in actions and bool(turn.slots.get("entry_id"))
            new_language = turn.slots.get("language")
            if isinstance(new_language, str) and is_language(new_language):
                language = new_language  # type: ignore[assignment]
            confidence = turn.slots.get("confidence") if "action_answer_question" in actions else None
            result = TurnResult(
                replies=turn.messages,
                language=language,
                intent=turn.intent,
                topic=turn.slots.get("topic") if answered else None,
                entry_id=turn.slots.get("entry_id") if answered else None,
                confidence=float(confidence) if isinstance(confidence, int | float) else None,
                escalated="action_escalate" in actions,
                degraded=False,
            )
        return await self._finish(conversation, message, decision.language, result)

    async def _finish(
        self,
        conversation: ConversationRecord,
        message: InboundMessage,
        inbound_language: str,
        result: TurnResult,
    ) -> TurnResult:
        """Add what channels need to the result (the entry's short version), then record the turn."""
        short = source = None
        if result.entry_id and self.answer_for:
            answer = self.answer_for(result.entry_id, result.language)
            if answer:
                short, source = answer.short, answer.sources[0]
        result = replace(result, conversation_id=conversation.id, short_answer=short, source_url=source)
        options = [
            {"title": b.title, "payload": b.payload}
            for b in (result.replies[-1].buttons if result.replies else [])
        ]
        await anyio.to_thread.run_sync(self._record, conversation, message, inbound_language, result, options)
        self.events.publish(
            Event(
                "message",
                result.conversation_id,
                {"channel": message.channel, "held_by_advisor": result.held_by_advisor},
            )
        )
        if result.escalated:
            self.events.publish(Event("escalation", result.conversation_id, {"channel": message.channel}))
        return result

    def _reply(self, replies: list[BotMessage], language: Language, **fields: Any) -> TurnResult:
        return TurnResult(
            replies=replies,
            language=language,
            intent=fields.get("intent"),
            topic=None,
            entry_id=None,
            confidence=None,
            escalated=False,
            degraded=False,
        )

    async def _pass_to_advisor(
        self, conversation: ConversationRecord, message: InboundMessage, text: str, language: Language
    ) -> TurnResult:
        """An advisor holds the conversation: record the message for them (any kind) and stay quiet."""
        result = replace(self._reply([], language), held_by_advisor=True)
        return await self._finish(conversation, message, language, result)

    async def _command(
        self,
        conversation: ConversationRecord,
        message: InboundMessage,
        parsed: ParsedCommand,
        language: Language,
    ) -> TurnResult:
        render = self.responses.render
        if parsed.command is Command.START:
            replies = [render("utter_privacy_notice", language), render("utter_choose_language", language)]
        elif parsed.command is Command.PRIVACY:
            replies = [render("utter_privacy", language)]
        elif parsed.command is Command.DELETE:
            replies = [render("utter_delete_confirm", language)]
        elif parsed.command is Command.DELETE_CANCEL:
            replies = [render("utter_delete_cancelled", language)]
        elif parsed.command is Command.DELETE_CONFIRM:
            return await self._erase(conversation, language)
        elif parsed.argument:  # LINK 123456: join this channel to the conversation that made the code
            joined = await anyio.to_thread.run_sync(
                self.store.redeem_link_code, parsed.argument, message.channel, message.sender_id
            )
            if joined is None:
                replies = [render("utter_link_invalid", language)]
            else:
                target = await anyio.to_thread.run_sync(self.store.get_conversation, joined)
                language = as_language(target.language) if target and target.language else language
                conversation = target or conversation
                replies = [render("utter_linked", language)]
        else:  # LINK: make a code for the other channel
            code = await anyio.to_thread.run_sync(self.store.create_link_code, conversation.id)
            replies = [render("utter_link_code", language, code=code)]
        return await self._finish(
            conversation, message, language, self._reply(replies, language, intent=f"/{parsed.command}")
        )

    async def _danger(
        self, conversation: ConversationRecord, message: InboundMessage, language: Language
    ) -> TurnResult:
        """Emergency information at once, and an urgent escalation so an advisor sees it first."""
        earlier = await anyio.to_thread.run_sync(self.store.messages, conversation.id)
        transcript = [{"from": "user" if d == "in" else "bot", "text": t} for d, t in earlier[-20:]]
        transcript.append({"from": "user", "text": message.text})
        await anyio.to_thread.run_sync(
            lambda: self.store.add_escalation(
                conversation.id,
                reason="safety",
                language=language,
                summary=None,
                contact=None,
                transcript=transcript,
                channel=message.channel,
                urgent=True,
            )
        )
        log.warning("urgent escalation raised: a message signalled danger")
        result = self._reply([self.responses.render("utter_safety_emergency", language)], language)
        return await self._finish(conversation, message, language, replace(result, escalated=True))

    async def _erase(self, conversation: ConversationRecord, language: Language) -> TurnResult:
        """Delete the person's data here and their dialogue state in Rasa; this turn is not recorded."""
        try:
            await self.dialogue.forget(conversation.id)
        except RasaUnavailable:
            log.warning("could not erase a conversation's dialogue state in Rasa (it is down)")
        await anyio.to_thread.run_sync(self.store.delete_person, conversation.id)
        log.info("a person's data was deleted at their request")
        result = self._reply(
            [self.responses.render("utter_deleted", language)], language, intent="/delete_confirm"
        )
        return replace(result, conversation_id=conversation.id)

    async def _degraded(self, text: str, language: Language, audience: str | None) -> TurnResult:
        """Rasa is down or slow: answer from retrieval directly and say that a person can follow up."""
        try:
            found = await anyio.to_thread.run_sync(self.search, text, language, audience)
        except InvalidQuery:
            found = None
        replies: list[BotMessage] = []
        answer = found.answer if found else None
        if answer:
            replies.append(answer_message(self.responses, answer, language))
        else:
            replies.append(self.responses.render("utter_no_answer", language))
        replies.append(self.responses.render("utter_degraded_note", language))
        return TurnResult(
            replies=replies,
            language=language,
            intent=None,
            topic=answer.topic if answer else None,
            entry_id=answer.entry_id if answer else None,
            confidence=round(found.confidence, 4) if found else None,
            escalated=False,
            degraded=True,
        )

    def _record(
        self,
        conversation: ConversationRecord,
        message: InboundMessage,
        language: str,
        result: TurnResult,
        options: list[dict[str, str]],
    ) -> None:
        outbound = [
            OutboundRecord(
                text=reply.text
                if not reply.buttons
                else reply.text + "\n" + json.dumps([b.title for b in reply.buttons], ensure_ascii=False),
                language=result.language,
                intent=result.intent,
                topic=result.topic,
                entry_id=result.entry_id,
                confidence=result.confidence,
                degraded=result.degraded,
            )
            for reply in result.replies
        ]
        self.store.record_turn(
            result.conversation_id or conversation.id,
            message.text,
            language,
            outbound,
            channel=message.channel,
            kind=message.kind.value,
            media_ref=message.media_ref,
            pending_options=options if options or conversation.pending_options else None,
        )
