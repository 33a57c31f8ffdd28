"""A stand-in for Rasa that runs the roaming rules and forms with the app's real actions.

Texts are mapped to intents by a table the test gives (no NLU). The rules are read from data/roaming.yml
and followed step by step: actions run through the app's rasa-sdk executor with a tracker built here,
forms loop as Rasa's FormAction does (the requested slot is filled from the text, `validate_<form>` checks
it, `action_ask_<slot>` asks the next one, and the "form complete" rule's action runs at the end). So a
broken rule, a missing action or a validator that never ends its form fails the tests that use this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from rasa_sdk.executor import ActionExecutor

from bot.config import REPO_ROOT
from bot.conversation.rasa_client import RasaTurn
from bot.dialogue.responses import BotMessage, Button, ResponseCatalog

RULES = REPO_ROOT / "data" / "roaming.yml"
DOMAIN = REPO_ROOT / "domain.yml"


@dataclass
class _Conversation:
    slots: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    active_loop: str | None = None
    started: bool = False


class UnknownText(KeyError):
    """The test's intent table has no entry for a text (write one: the fake has no NLU)."""


class RoamingDialogue:
    def __init__(
        self,
        executor: Callable[[], ActionExecutor],
        responses: ResponseCatalog,
        intents: dict[str, str],
        default_intent: str | None = None,
    ) -> None:
        """
        Args:
            executor: returns the app's executor (it exists once the app has started).
            intents: text -> intent; texts not in it get `default_intent` (e.g. for form answers).
        """
        self._executor = executor
        self._responses = responses
        self.intents = intents
        self.default_intent = default_intent
        self.domain: dict[str, Any] = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
        self.rules: list[dict[str, Any]] = yaml.safe_load(RULES.read_text(encoding="utf-8"))["rules"]
        self.available = True
        self.conversations: dict[str, _Conversation] = {}
        self.forgotten: list[str] = []

    # the DialogueEngine protocol

    async def check(self) -> bool:
        return True

    async def forget(self, conversation_id: str) -> None:
        self.forgotten.append(conversation_id)
        self.conversations.pop(conversation_id, None)

    async def monitor(self) -> None:
        return None

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        state = self.conversations.setdefault(conversation_id, _Conversation())
        intent = self.intents.get(text, self.default_intent)
        if intent is None and state.active_loop is None:
            raise UnknownText(text)
        state.slots["language"] = metadata.get("language", "en")
        latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
        state.events.append({"event": "user", "text": text, "parse_data": latest})
        turn = _Turn(latest)
        if state.active_loop is not None:
            await self._continue_form(conversation_id, state, turn, text)
        else:
            await self._follow_rules(conversation_id, state, turn, intent or "")
        state.started = True
        return RasaTurn(turn.messages, intent, 1.0, turn.actions, dict(state.slots))

    # rules

    async def _follow_rules(
        self, conversation_id: str, state: _Conversation, turn: _Turn, intent: str
    ) -> None:
        candidates = [
            r["steps"]
            for r in self.rules
            if r["steps"][0].get("intent") == intent
            and bool(r.get("conversation_start")) == (not state.started)
        ]
        if not candidates:
            raise AssertionError(f"no rule in {RULES.name} for intent {intent!r}")
        position = 1
        while candidates and position < len(candidates[0]):
            step = candidates[0][position]
            if "slot_was_set" in step:
                ((slot, _value),) = step["slot_was_set"][0].items()
                candidates = [
                    c for c in candidates if c[position]["slot_was_set"][0] == {slot: state.slots.get(slot)}
                ]
                if not candidates:
                    raise AssertionError(f"no rule continues with {slot}={state.slots.get(slot)!r}")
            elif "action" in step:
                name = step["action"]
                if name in self.domain["forms"]:
                    await self._activate(conversation_id, state, turn, name)
                    return
                await self._run(conversation_id, state, turn, name)
            position += 1

    # forms

    async def _activate(self, conversation_id: str, state: _Conversation, turn: _Turn, form: str) -> None:
        state.active_loop = form
        turn.actions.append(form)
        prefilled = [s for s in self._required(form) if state.slots.get(s) is not None]
        done = False
        if prefilled:
            done = await self._validate(
                conversation_id, state, turn, form, {s: state.slots[s] for s in prefilled}
            )
        await self._next(conversation_id, state, turn, form, done)

    async def _continue_form(
        self, conversation_id: str, state: _Conversation, turn: _Turn, text: str
    ) -> None:
        form = state.active_loop
        assert form is not None
        turn.actions.append(form)
        requested = str(state.slots.get("requested_slot"))
        done = await self._validate(conversation_id, state, turn, form, {requested: text})
        await self._next(conversation_id, state, turn, form, done)

    async def _validate(
        self, conversation_id: str, state: _Conversation, turn: _Turn, form: str, candidates: dict[str, Any]
    ) -> bool:
        """Run validate_<form> on the candidates; True when it ended the form (requested_slot set to None)."""
        state.slots.update(candidates)
        # As Rasa's temporary tracker: the form's own action event, then the candidates (slots_to_validate).
        extra = [
            {"event": "action", "name": form},
            *({"event": "slot", "name": k, "value": v} for k, v in candidates.items()),
        ]
        events = await self._run(conversation_id, state, turn, f"validate_{form}", extra_events=extra)
        return any(e.get("name") == "requested_slot" and e.get("value") is None for e in events)

    async def _next(
        self, conversation_id: str, state: _Conversation, turn: _Turn, form: str, done: bool
    ) -> None:
        missing = (
            None if done else next((s for s in self._required(form) if state.slots.get(s) is None), None)
        )
        if missing is not None:
            state.slots["requested_slot"] = missing
            await self._run(conversation_id, state, turn, f"action_ask_{missing}")
            return
        state.slots["requested_slot"] = None
        state.active_loop = None
        submit = next(
            r["steps"][-1]["action"] for r in self.rules if r.get("condition") == [{"active_loop": form}]
        )
        await self._run(conversation_id, state, turn, submit)

    def _required(self, form: str) -> list[str]:
        return list(self.domain["forms"][form]["required_slots"])

    # actions

    async def _run(
        self,
        conversation_id: str,
        state: _Conversation,
        turn: _Turn,
        name: str,
        extra_events: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        turn.actions.append(name)
        if name.startswith("utter_"):
            turn.messages.append(self._responses.render(name, state.slots.get("language", "en")))
            return []
        tracker = {
            "sender_id": conversation_id,
            "slots": dict(state.slots),
            "latest_message": turn.latest,
            "events": [*state.events, *(extra_events or [])],
            "active_loop": {"name": state.active_loop} if state.active_loop else {},
            "latest_action_name": "action_listen",
        }
        result = await self._executor().run(
            {"next_action": name, "sender_id": conversation_id, "tracker": tracker, "domain": self.domain}
        )
        assert result is not None, name
        body = result.model_dump()
        for event in body["events"]:
            if event.get("event") == "slot":
                state.slots[event["name"]] = event["value"]
        for response in body["responses"]:
            buttons = [Button(b["title"], b["payload"]) for b in response.get("buttons") or []]
            turn.messages.append(BotMessage(response.get("text") or "", buttons))
        state.events += [{"event": "action", "name": name}, *body["events"]]
        return list(body["events"])


@dataclass
class _Turn:
    latest: dict[str, Any]
    messages: list[BotMessage] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
