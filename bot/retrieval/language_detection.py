"""Detect which of the eight languages a text is written in (lingua, offline, restricted to the eight)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from lingua import Language as LinguaLanguage
from lingua import LanguageDetector, LanguageDetectorBuilder

from bot.languages import FALLBACK_LANGUAGE, Language

_LINGUA: dict[Language, LinguaLanguage] = {
    "fi": LinguaLanguage.FINNISH,
    "sv": LinguaLanguage.SWEDISH,
    "en": LinguaLanguage.ENGLISH,
    "ru": LinguaLanguage.RUSSIAN,
    "uk": LinguaLanguage.UKRAINIAN,
    "ar": LinguaLanguage.ARABIC,
    "so": LinguaLanguage.SOMALI,
    "fa": LinguaLanguage.PERSIAN,
}
_FROM_LINGUA = {v: k for k, v in _LINGUA.items()}
_WORD = re.compile(r"\w+")
_NORDIC_LETTER = re.compile("[äöåÄÖÅ]")


@dataclass(frozen=True)
class DetectedLanguage:
    language: Language
    confidence: float
    scores: dict[Language, float]


class LanguageIdentifier:
    """lingua limited to Neuvo's languages; the models load on first use.

    `shared_terms` are words the knowledge base uses in several languages alike — place names and Finnish
    official terms such as "Kela", "neuvola", "Jyväskylä" — which say nothing about the language a person
    writes in; they are set aside before detection when enough other words remain.
    """

    def __init__(self, shared_terms: frozenset[str] = frozenset()) -> None:
        self.shared_terms = shared_terms

    @cached_property
    def _detector(self) -> LanguageDetector:
        return (
            LanguageDetectorBuilder.from_languages(*_LINGUA.values()).with_preloaded_language_models().build()
        )

    def warm_up(self) -> None:
        self.detect("warm up")

    def detect(self, text: str, default: Language = FALLBACK_LANGUAGE) -> DetectedLanguage:
        """The most likely language; `default` with confidence 0 when the text has no letters."""
        words = _WORD.findall(text)
        own_words = [w for w in words if w.casefold() not in self.shared_terms]
        if len(own_words) >= 2 and len(own_words) < len(words):
            text = " ".join(own_words)
            words = own_words
        scores = self._confidences(text)
        if not scores or max(scores.values()) <= 0.0:
            return DetectedLanguage(default, 0.0, scores)
        best = max(scores, key=lambda lang: scores[lang])
        if best in ("fi", "sv"):
            # English questions often carry Finnish place names and terms ("moving to Jyväskylä", "what is
            # työkokeilu"), whose ä/ö/å pull the whole text towards Finnish or Swedish. Judge the rest.
            rest = [w for w in words if not _NORDIC_LETTER.search(w)]
            if len(rest) >= 3 and len(rest) < len(words):
                without_names = self._confidences(" ".join(rest))
                if (
                    max(without_names, key=lambda lang: without_names[lang]) == "en"
                    and without_names["en"] >= 0.5
                ):
                    return DetectedLanguage("en", without_names["en"], without_names)
        return DetectedLanguage(best, scores[best], scores)

    def _confidences(self, text: str) -> dict[Language, float]:
        values = self._detector.compute_language_confidence_values(text)
        return {_FROM_LINGUA[v.language]: float(v.value) for v in values}


def shared_terms(texts_by_language: dict[Language, list[str]], min_languages: int = 4) -> frozenset[str]:
    """Words (3+ letters) that occur in the texts of at least `min_languages` languages."""
    seen: dict[str, set[Language]] = {}
    for language, texts in texts_by_language.items():
        for text in texts:
            for word in _WORD.findall(text.casefold()):
                if len(word) >= 3 and not word.isdigit():
                    seen.setdefault(word, set()).add(language)
    return frozenset(w for w, langs in seen.items() if len(langs) >= min_languages)
