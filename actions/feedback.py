"""Recording whether an answer helped; a "no" offers a person."""

from __future__ import annotations

from typing import Any

import anyio
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import NeuvoAction, say, slot_language

POSITIVE_INTENTS = {"feedback_positive", "affirm"}


class ActionFeedback(NeuvoAction):
    def name(self) -> str:
        return "action_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        positive = (tracker.latest_message.get("intent") or {}).get("name") in POSITIVE_INTENTS
        entry_id = tracker.get_slot("entry_id")
        await anyio.to_thread.run_sync(
            lambda: self.services.store.add_feedback(tracker.sender_id, entry_id, positive=positive)
        )
        language = slot_language(tracker)
        if positive:
            say(dispatcher, self.services.responses.render("utter_glad", language))
            return [SlotSet("pending", None)]
        say(dispatcher, self.services.responses.render("utter_sorry_feedback", language))
        return [SlotSet("pending", "handoff")]
