"""What the line says: all eight languages, fit for listening, and replies cleaned for speech."""

from __future__ import annotations

import re
import string

import pytest
import yaml

from bot.config import REPO_ROOT
from bot.dialogue.responses import TEXTS_DIR, BotMessage, Button, ResponseCatalog
from bot.languages import LANGUAGES
from channels.twilio.voice_languages import BY_DIGIT, PERSON_DIGIT, RESIDENT_DIGIT, VOICE_LANGUAGES
from channels.twilio.voice_twiml import MAX_SPOKEN_CHARS, speakable

pytestmark = pytest.mark.unit
VOICE_TEXTS = TEXTS_DIR / "voice.yml"
_WEB_ADDRESS = re.compile(r"https?://|www\.|\b[\w-]+\.(?:fi|com|org|net|eu|info)\b", re.IGNORECASE)


def _texts() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(VOICE_TEXTS.read_text(encoding="utf-8"))
    return {name: spec["text"] for name, spec in data.items()}


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_every_voice_text_is_named_voice_and_written_in_all_eight_languages() -> None:
    for name, by_language in _texts().items():
        assert name.startswith("voice_"), name
        assert set(by_language) == set(LANGUAGES), name
        assert all(str(text).strip() for text in by_language.values()), name


def test_every_translation_has_the_same_placeholders_and_no_web_address() -> None:
    for name, by_language in _texts().items():
        english = _fields(by_language["en"])
        for language, text in by_language.items():
            assert _fields(text) == english, (name, language)
            assert not _WEB_ADDRESS.search(text), (name, language)


def test_the_catalog_loads_the_voice_texts_next_to_the_others() -> None:
    catalog = ResponseCatalog.load(REPO_ROOT / "domain.yml")
    assert catalog.render("voice_menu_option", "sv", digit="2").text == "På svenska, tryck 2."
    named = catalog.render("voice_menu_option_named", "en", language_name="Somali", digit="7")
    assert named.text == "For Somali, press 7."


def test_keypad_digits_pick_each_language_once_and_leave_0_and_9_for_a_person_and_residents() -> None:
    assert set(VOICE_LANGUAGES) == set(LANGUAGES)
    assert sorted(BY_DIGIT) == [str(d) for d in range(1, 9)]
    assert {PERSON_DIGIT, RESIDENT_DIGIT}.isdisjoint(BY_DIGIT)
    assert (VOICE_LANGUAGES["so"].digit, VOICE_LANGUAGES["fa"].digit) == ("7", "8")


def test_speech_drops_links_and_buttons_but_keeps_the_rest_of_a_sentence_list() -> None:
    replies = [
        BotMessage("**Kela** pays the benefit. See https://www.kela.fi/asumistuki for the form."),
        BotMessage("Did this help?", [Button("Yes", "/feedback_positive"), Button("No", "/deny")]),
    ]
    assert speakable(replies) == "Kela pays the benefit. Did this help?"


def test_long_replies_are_cut_at_a_sentence_end() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(100))
    spoken = speakable([BotMessage(text)])
    assert len(spoken) <= MAX_SPOKEN_CHARS
    assert spoken.endswith("is here.")
