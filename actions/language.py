"""Changing the conversation's language on request."""

from __future__ import annotations

from typing import Any

import anyio
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import NeuvoAction, say, slot_language
from bot.conversation.language_policy import requested_language
from bot.languages import is_language


class ActionSetLanguage(NeuvoAction):
    def name(self) -> str:
        return "action_set_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        current = slot_language(tracker)
        chosen = None
        for entity in tracker.latest_message.get("entities") or []:
            # A button payload names the language; the metadata entity only repeats the current one.
            if entity.get("entity") == "language" and entity.get("extractor") != "MetadataLanguageExtractor":
                chosen = entity.get("value")
        if not (isinstance(chosen, str) and is_language(chosen)):
            chosen = requested_language(str(tracker.latest_message.get("text") or ""))
        if chosen is None:
            say(dispatcher, self.services.responses.render("utter_choose_language", current))
            return []
        await anyio.to_thread.run_sync(
            lambda: self.services.store.set_language(tracker.sender_id, chosen, locked=True)
        )
        say(dispatcher, self.services.responses.render("utter_language_set", chosen))  # type: ignore[arg-type]
        return [SlotSet("language", chosen)]
