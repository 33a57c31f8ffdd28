"""Handing a conversation to a human advisor: confirm, collect what they need, record the escalation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import anyio
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import NeuvoAction, say, slot_language
from bot.handoff.hours import closed_until

TRANSCRIPT_LIMIT = 100  # the latest messages are what an advisor reads first


def transcript(tracker: Tracker) -> list[dict[str, str]]:
    lines = []
    for event in tracker.events:
        if event.get("event") == "user" and event.get("text"):
            lines.append({"from": "user", "text": str(event["text"])})
        elif event.get("event") == "bot" and event.get("text"):
            lines.append({"from": "bot", "text": str(event["text"])})
    return lines[-TRANSCRIPT_LIMIT:]


class ActionOfferHandoff(NeuvoAction):
    def name(self) -> str:
        return "action_offer_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        say(dispatcher, self.services.responses.render("utter_confirm_handoff", slot_language(tracker)))
        return [SlotSet("pending", "handoff")]


class ActionDeclineHandoff(NeuvoAction):
    def name(self) -> str:
        return "action_decline_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        say(dispatcher, self.services.responses.render("utter_handoff_cancelled", slot_language(tracker)))
        return [SlotSet("pending", None), SlotSet("low_confidence_turns", 0)]


class ActionEscalate(NeuvoAction):
    def name(self) -> str:
        return "action_escalate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = slot_language(tracker)
        lines = transcript(tracker)
        conversation = await anyio.to_thread.run_sync(self.services.store.get_conversation, tracker.sender_id)
        await anyio.to_thread.run_sync(
            lambda: self.services.store.add_escalation(
                tracker.sender_id,
                reason="user_request",
                language=language,
                summary=tracker.get_slot("handoff_summary"),
                contact=tracker.get_slot("handoff_contact"),
                transcript=lines,
                channel=conversation.channel if conversation else None,
            )
        )
        say(dispatcher, self.services.responses.render("utter_handoff_done", language))
        opening = closed_until(self.services.advisor_hours(), dt.datetime.now(dt.UTC))
        if opening is not None:
            when = opening.strftime("%d.%m.%Y %H:%M")
            say(dispatcher, self.services.responses.render("utter_outside_hours", language, when=when))
        return [
            SlotSet("pending", None),
            SlotSet("handoff_summary", None),
            SlotSet("handoff_contact", None),
            SlotSet("low_confidence_turns", 0),
        ]
