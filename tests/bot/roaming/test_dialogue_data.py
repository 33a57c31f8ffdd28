"""The roaming advisory's dialogue data fits together: domain, actions, NLU examples, buttons."""

from __future__ import annotations

import re

import pytest
import yaml

from actions.roaming import ROAMING_ACTIONS
from actions.services import ActionServices
from bot.config import REPO_ROOT
from bot.dialogue.responses import ResponseCatalog
from bot.languages import LANGUAGES
from channels.telegram.output import MAX_CALLBACK_DATA

pytestmark = pytest.mark.unit
NLU = yaml.safe_load((REPO_ROOT / "data" / "nlu" / "roaming.yml").read_text(encoding="utf-8"))["nlu"]
DOMAIN = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))
EXAMPLES = {block["intent"]: [e[2:].strip() for e in block["examples"].splitlines()] for block in NLU}


def test_every_roaming_intent_is_in_the_domain_with_examples_in_every_script() -> None:
    assert set(EXAMPLES) <= set(DOMAIN["intents"])
    for intent, examples in EXAMPLES.items():
        assert len(examples) >= 8 * len(LANGUAGES), intent
        scripts = {
            "cyrillic": any(re.search(r"[\u0400-\u04ff]", e) for e in examples),
            "arabic": any(re.search(r"[\u0600-\u06ff]", e) for e in examples),
            "finnish": any(re.search(r"[äö]", e) for e in examples),
        }
        assert all(scripts.values()), (intent, scripts)


def test_every_roaming_action_is_registered_and_in_the_domain(responses: ResponseCatalog) -> None:
    names = {action(ActionServices(None, None, responses)).name() for action in ROAMING_ACTIONS}  # type: ignore[arg-type]
    assert names <= set(DOMAIN["actions"])
    for form, spec in DOMAIN["forms"].items():
        if form == "handoff_form":
            continue
        assert f"validate_{form}" in names
        for slot in spec["required_slots"]:
            assert f"action_ask_{slot}" in names, slot


@pytest.mark.parametrize(
    ("text", "intent"),
    [("roaming_book_button", "book_visit"), ("roaming_subscribe_button", "subscribe_events")],
)
def test_a_pressed_button_is_an_example_of_its_intent_and_fits_telegram(
    responses: ResponseCatalog, text: str, intent: str
) -> None:
    for language in LANGUAGES:
        title = responses.render(text, language).text
        assert title in EXAMPLES[intent], (language, title)
        assert len(title.encode("utf-8")) <= MAX_CALLBACK_DATA, (language, title)
