"""The once-built validator of action-server responses (rasa_addons/action_validation.py), in Rasa's own
environment: installed by importing the Neuvo channel, same verdicts and message as Rasa's, and cheaper."""

from __future__ import annotations

import pytest

from tests.rasa_env import run_in_rasa_env

pytestmark = pytest.mark.integration

SCRIPT = r"""
import json, time
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

original = RemoteAction._validate_action_result
import rasa_addons.neuvo_channel  # installs the patch
patched = RemoteAction._validate_action_result
schema = RemoteAction.action_response_format_spec()
action = RemoteAction("action_answer_question", None)
good = {
    "events": [{"event": "slot", "name": "topic", "value": "tax_card", "timestamp": None}],
    "responses": [{"text": "answer", "buttons": [{"title": "Yes", "payload": "/affirm"}]}],
}
bad = [
    {"events": "not a list", "responses": []},
    {"events": [{"name": "topic"}], "responses": []},
    {"events": [{"event": 5}], "responses": []},
]


def verdict(method, result):
    try:
        return ["ok", method(action, result)]
    except ValidationError as e:
        return ["invalid", e.message]


def per_call_ms(check, n=30):
    started = time.perf_counter()
    for _ in range(n):
        check()
    return 1000 * (time.perf_counter() - started) / n


print(json.dumps({
    "installed": patched is not original,
    "good": [verdict(original, good), verdict(patched, good)],
    "bad": [[verdict(original, b), verdict(patched, b)] for b in bad],
    "rasa_ms": per_call_ms(lambda: validate(good, schema)),
    "patched_ms": per_call_ms(lambda: patched(action, good)),
}))
"""


@pytest.fixture(scope="module")
def outcome() -> dict[str, object]:
    return run_in_rasa_env(SCRIPT)


def test_importing_the_channel_installs_the_validator(outcome: dict[str, object]) -> None:
    assert outcome["installed"] is True


def test_same_verdicts_and_messages_as_rasa(outcome: dict[str, object]) -> None:
    original, patched = outcome["good"]  # type: ignore[misc]
    assert original == patched == ["ok", True]
    for original, patched in outcome["bad"]:  # type: ignore[attr-defined]
        assert original[0] == "invalid" and original == patched
        assert "Failed to validate Action server response" in patched[1]


def test_the_patched_check_costs_a_fraction_of_rasas(outcome: dict[str, object]) -> None:
    assert float(outcome["patched_ms"]) * 4 < float(outcome["rasa_ms"]), outcome  # type: ignore[arg-type]
