"""What the actions need from the app, handed to them when they are registered (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue.responses import BotMessage, ResponseCatalog
from bot.handoff.hours import AdvisorHours
from bot.languages import FALLBACK_LANGUAGE, Language, is_language
from bot.retrieval.retriever import RetrievalResult
from bot.storage.store import ConversationStore

# search(text, language, audience): audience "resident" limits answers to the facts-about-immigration topics.
Search = Callable[[str, Language, str | None], RetrievalResult]


@dataclass
class ActionServices:
    search: Search
    store: ConversationStore
    responses: ResponseCatalog
    # The advisors' hours as they are now (an admin may change them while the app runs).
    advisor_hours: Callable[[], AdvisorHours] = AdvisorHours


class NeuvoAction(Action):
    """A rasa-sdk action that is handed the app's services when it is registered (actions/registry.py)."""

    def __init__(self, services: ActionServices) -> None:
        self.services = services


def slot_language(tracker: Any) -> Language:
    value = tracker.get_slot("language")
    return value if isinstance(value, str) and is_language(value) else FALLBACK_LANGUAGE  # type: ignore[return-value]


def say(dispatcher: CollectingDispatcher, message: BotMessage) -> None:
    """Dispatch an app-rendered message (with its buttons) to Rasa's output."""
    buttons = [{"title": b.title, "payload": b.payload} for b in message.buttons]
    dispatcher.utter_message(text=message.text, buttons=buttons)
