"""Answering from the knowledge base, honestly saying so when there is no reliable answer."""

from __future__ import annotations

from typing import Any

import anyio
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import NeuvoAction, say, slot_language
from bot.dialogue.answers import answer_message
from bot.retrieval.retriever import RetrievalResult
from bot.retrieval.text import InvalidQuery

# After this many unanswered turns in a row, offer a person instead of asking to rephrase again.
LOW_CONFIDENCE_TURNS_BEFORE_OFFER = 2


class ActionAnswerQuestion(NeuvoAction):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = slot_language(tracker)
        text = str(tracker.latest_message.get("text") or "")
        responses = self.services.responses

        def search() -> RetrievalResult | None:
            conversation = self.services.store.get_conversation(tracker.sender_id)
            try:
                return self.services.search(text, language, conversation.audience if conversation else None)
            except InvalidQuery:
                return None

        result = await anyio.to_thread.run_sync(search)  # one thread hop for both
        if result is not None and result.answer is not None:
            answer = result.answer
            say(dispatcher, answer_message(responses, answer, language))
            say(dispatcher, responses.render("utter_did_it_help", language))
            return [
                SlotSet("topic", answer.topic),
                SlotSet("entry_id", answer.entry_id),
                SlotSet("confidence", round(result.confidence, 4)),
                SlotSet("low_confidence_turns", 0),
                SlotSet("pending", "feedback"),
            ]
        misses = int(tracker.get_slot("low_confidence_turns") or 0) + 1
        offer = misses >= LOW_CONFIDENCE_TURNS_BEFORE_OFFER
        say(dispatcher, responses.render("utter_offer_person" if offer else "utter_no_answer", language))
        return [
            SlotSet("topic", None),
            SlotSet("entry_id", None),
            SlotSet("confidence", round(result.confidence, 4) if result else 0.0),
            SlotSet("low_confidence_turns", 0 if offer else misses),
            SlotSet("pending", "handoff" if offer else None),
        ]
