"""The conversation engine: language, dialogue (Rasa) or degraded retrieval, and the record of each turn."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

import anyio

from bot.conversation.language_policy import decide, requested_language
from bot.conversation.messages import InboundMessage, TurnResult
from bot.conversation.rasa_client import DialogueEngine, RasaUnavailable
from bot.conversation.sender_locks import SenderLocks
from bot.dialogue.answers import answer_message
from bot.dialogue.responses import BotMessage, ResponseCatalog
from bot.languages import FALLBACK_LANGUAGE, Language, as_language, is_language
from bot.retrieval.language_detection import LanguageIdentifier
from bot.retrieval.retriever import RetrievalResult
from bot.retrieval.text import InvalidQuery, clean
from bot.storage.store import ConversationStore, OutboundRecord

log = logging.getLogger(__name__)

# Button payloads the bot itself sends; any other text starting with "/" is passed on as plain text.
_PAYLOAD = re.compile(
    r'^/(affirm|deny|feedback_positive|feedback_negative|set_language\{"language": ?"[a-z]{2}"\})$'
)
_LANGUAGE_COMMAND = re.compile(r"^/(?:language|lang|kieli|språk)(?:\s+\S+)?\s*$", re.IGNORECASE)


class ConversationEngine:
    def __init__(
        self,
        store: ConversationStore,
        dialogue: DialogueEngine,
        search: Callable[[str, Language], RetrievalResult],
        identifier: LanguageIdentifier,
        responses: ResponseCatalog,
    ) -> None:
        self.store = store
        self.dialogue = dialogue
        self.search = search
        self.identifier = identifier
        self.responses = responses
        self.locks = SenderLocks()

    async def handle(self, message: InboundMessage) -> TurnResult:
        """Answer one message. Messages of one conversation are handled strictly in order."""
        async with self.locks.hold(f"{message.channel}\0{message.sender_id}"):
            return await self._handle(message)

    async def _handle(self, message: InboundMessage) -> TurnResult:
        conversation = await anyio.to_thread.run_sync(
            self.store.conversation, message.channel, message.sender_id
        )
        text = clean(message.text)
        requested = message.language
        command = _LANGUAGE_COMMAND.match(text)
        if command:
            requested = requested_language(text) or requested
        current = as_language(conversation.language) if conversation.language else None
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
        elif text.startswith("/") and not _PAYLOAD.match(text):
            rasa_text = text.lstrip("/") or text
        else:
            rasa_text = text
        try:
            turn = await self.dialogue.send(conversation.id, rasa_text, {"language": language})
        except RasaUnavailable:
            result = await self._degraded(text, language)
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
        await anyio.to_thread.run_sync(self._record, conversation.id, message.text, decision.language, result)
        return result

    async def _degraded(self, text: str, language: Language) -> TurnResult:
        """Rasa is down or slow: answer from retrieval directly and say that a person can follow up."""
        try:
            found = await anyio.to_thread.run_sync(self.search, text, language)
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

    def _record(self, conversation_id: str, text: str, language: str, result: TurnResult) -> None:
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
        self.store.record_turn(conversation_id, text, language, outbound)
