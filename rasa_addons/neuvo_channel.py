"""Input channel for the Neuvo app: one request in, the bot's messages plus intent and slots out.

Rasa's REST channel returns only the messages; the app also needs the recognised intent and the slots the
knowledge-base action set in this turn (topic, entry, confidence) — reading them from the tracker here saves
a second round trip per message. The channel runs the turn the way `Agent.handle_message` does (under
the sender's lock, then `MessageProcessor.handle_message`'s steps) but keeps the tracker it worked on,
instead of loading it again from the tracker store afterwards: that reload replays every event of the
conversation and costs Rasa several milliseconds a message. Requests must carry the shared token in
`X-Neuvo-Token` (Rasa listens on loopback only).
"""

from __future__ import annotations

import hmac
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.data import TrainingType
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_addons import action_validation, endpoint_sessions, event_types

action_validation.install()
endpoint_sessions.install()
event_types.install()


async def _handle_keeping_tracker(agent: Any, message: UserMessage) -> Optional[Any]:
    """The steps of `Agent.handle_message` + `MessageProcessor.handle_message` (Rasa 3.6), returning the
    tracker; None when the agent has no dialogue model (then the caller goes the standard way)."""
    processor = getattr(agent, "processor", None)
    if processor is None or processor.model_metadata.training_type == TrainingType.NLU:
        return None
    async with agent.lock_store.lock(message.sender_id):
        tracker = await processor.log_message(message, should_save_tracker=False)
        tracker = await processor.run_action_extract_slots(message.output_channel, tracker)
        await processor._run_prediction_loop(message.output_channel, tracker)
        await processor.run_anonymization_pipeline(tracker)
        await processor.save_tracker(tracker)
        return tracker


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

        @webhook.listener("after_server_stop")
        async def close_sessions(app: Any, loop: Any) -> None:
            await endpoint_sessions.close()

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
            message = UserMessage(text, collector, sender_id, input_channel=self.name(), metadata=metadata)
            agent = request.app.ctx.agent
            tracker = await _handle_keeping_tracker(agent, message)
            if tracker is None:
                await on_new_message(message)
                tracker = await agent.tracker_store.retrieve(sender_id)
            intent: Dict[Text, Any] = {}
            turn: Dict[Text, Any] = {"actions": [], "slots_set": {}}
            if tracker is not None:
                intent = dict(tracker.latest_message.intent) if tracker.latest_message else {}
                turn = _this_turn(tracker)
            return response.json({"messages": collector.messages, "intent": intent, "turn": turn})

        return webhook
