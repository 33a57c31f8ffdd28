"""Input channel for the Neuvo app: one request in, the bot's messages plus intent and slots out.

Rasa's REST channel returns only the messages; the app also needs the recognised intent and the slots the
knowledge-base action set in this turn (topic, entry, confidence) — reading them from the tracker here saves
a second round trip per message. Requests must carry the shared token in `X-Neuvo-Token` (Rasa listens on
loopback only).
"""

from __future__ import annotations

import hmac
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse


def _this_turn(tracker: Any) -> Dict[Text, Any]:
    """Actions run and slots set since the latest user message (slots persist; the app needs this turn's)."""
    actions, slots = [], {}
    for event in reversed(tracker.events):
        kind = getattr(event, "type_name", "")
        if kind == "user":
            break
        if kind == "action":
            actions.append(event.action_name)
        elif kind == "slot" and event.key not in slots:
            slots[event.key] = event.value
    return {"actions": list(reversed(actions)), "slots_set": slots}


class NeuvoInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "neuvo"

    def __init__(self, token: Text) -> None:
        self.token = token

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        token = (credentials or {}).get("token") or os.environ.get("NEUVO_RASA_TOKEN", "")
        return cls(str(token))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("neuvo_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.token and not hmac.compare_digest(request.headers.get("X-Neuvo-Token", ""), self.token):
                return response.json({"error": "forbidden"}, status=403)
            body = request.json if isinstance(request.json, dict) else {}
            sender_id, text = body.get("sender"), body.get("message")
            if not isinstance(sender_id, str) or not isinstance(text, str) or not sender_id or not text:
                return response.json({"error": "sender and message must be non-empty strings"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(text, collector, sender_id, input_channel=self.name(), metadata=metadata)
            )
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender_id)
            intent: Dict[Text, Any] = {}
            turn: Dict[Text, Any] = {"actions": [], "slots_set": {}}
            if tracker is not None:
                intent = dict(tracker.latest_message.intent) if tracker.latest_message else {}
                turn = _this_turn(tracker)
            return response.json({"messages": collector.messages, "intent": intent, "turn": turn})

        return webhook
