"""lingua, restricted to Neuvo's eight languages, recognises each of them in everyday questions."""

from __future__ import annotations

import pytest

from bot.retrieval.language_detection import LanguageIdentifier

pytestmark = pytest.mark.unit

SAMPLES = {
    "fi": "Mistä saan apua kun vuokranantaja ei palauta takuuvuokraa?",
    "sv": "Var kan jag få hjälp om hyresvärden inte betalar tillbaka depositionen?",
    "en": "Where can I get help if my landlord keeps the deposit?",
    "ru": "Куда обратиться, если арендодатель не возвращает залог?",
    "uk": "Куди звернутися, якщо орендодавець не повертає заставу?",
    "ar": "أين أجد المساعدة إذا لم يُرجع المالك مبلغ التأمين؟",
    "so": "Xaggee ka heli karaa caawimaad haddii milkiiluhu uusan soo celin dammaanadda?",
    "fa": "اگر صاحبخانه ودیعه را پس ندهد از کجا کمک بگیرم؟",
}


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


@pytest.mark.parametrize("language", list(SAMPLES))
def test_each_language_is_recognised(identifier: LanguageIdentifier, language: str) -> None:
    assert identifier.detect(SAMPLES[language]).language == language


def test_text_without_letters_falls_back_with_zero_confidence(identifier: LanguageIdentifier) -> None:
    detected = identifier.detect("🙂🙂 123", default="fi")
    assert detected.language == "fi"
    assert detected.confidence == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "I'm moving from Jyväskylä to Äänekoski next month, who do I tell?",
        "what is a work trial (työkokeilu) and how do I get one?",
    ],
)
def test_finnish_names_inside_english_stay_english(identifier: LanguageIdentifier, text: str) -> None:
    assert identifier.detect(text).language == "en"


def test_shared_terms_are_set_aside() -> None:
    identifier = LanguageIdentifier(frozenset({"neuvola", "kela"}))
    assert identifier.detect("what is neuvola for my baby").language == "en"
    assert identifier.detect("kela neuvola").language == "fi", "too few other words: judged as written"


def test_shared_terms_are_words_used_across_languages() -> None:
    from bot.retrieval.language_detection import shared_terms

    texts = {
        "en": ["Apply to Kela"],
        "fi": ["Hae Kela tukea"],
        "sv": ["Ansök hos Kela"],
        "ru": ["Kela поможет"],
    }
    assert shared_terms(texts) == frozenset({"kela"})  # type: ignore[arg-type]
    assert shared_terms(texts, min_languages=5) == frozenset()  # type: ignore[arg-type]
