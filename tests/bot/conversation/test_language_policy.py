"""The conversation's language: sticky, switched only on request."""

from __future__ import annotations

import pytest

from bot.conversation.language_policy import decide, requested_language
from bot.retrieval.language_detection import DetectedLanguage

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("puhu suomea", "fi"),
        ("can we speak English please", "en"),
        ("kan vi prata på svenska", "sv"),
        ("можно по-русски?", "ru"),
        ("відповідай українською", "uk"),
        ("بالعربي لو سمحت", "ar"),
        ("af soomaali igala hadal", "so"),
        ("لطفا فارسی صحبت کن", "fa"),
        ("/language fi", "fi"),
        ("/kieli ar", "ar"),
    ],
)
def test_requests_name_the_language(text: str, language: str) -> None:
    assert requested_language(text) == language


@pytest.mark.parametrize("text", ["ok", "kiitos", "how do I renew my permit", "/language xx"])
def test_other_messages_request_nothing(text: str) -> None:
    assert requested_language(text) is None


def _detected(language: str, confidence: float) -> DetectedLanguage:
    return DetectedLanguage(language, confidence, {language: confidence})  # type: ignore[arg-type]


def test_a_settled_language_is_not_switched_by_a_short_message() -> None:
    decision = decide("ar", True, _detected("en", 0.9), 1, None)
    assert decision.language == "ar" and not decision.changed


def test_an_unsettled_language_follows_a_confident_detection() -> None:
    decision = decide("en", False, _detected("fi", 0.95), 6, None)
    assert decision.language == "fi" and decision.settled and decision.changed


def test_an_explicit_request_always_wins() -> None:
    decision = decide("fi", True, _detected("fi", 1.0), 5, "so")
    assert decision.language == "so" and decision.settled and decision.changed
