"""Which language a conversation uses: sticky once known, changed only on an explicit request.

A one-word "ok" must not switch an Arabic conversation to English, so a detected language replaces the
conversation's language only until it is settled (a confident detection on a message of a few words, or an
explicit choice); after that only a request ("puhu suomea", a language button, /language sv) changes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.languages import Language
from bot.retrieval.language_detection import DetectedLanguage
from bot.retrieval.text import fold

# Confident enough, on a message long enough, to settle the conversation's language.
SETTLE_CONFIDENCE = 0.75
SETTLE_WORDS = 3

# How people name the eight languages, in the eight languages (folded: lower case, ä->a, Arabic variants).
_NAMES: dict[Language, tuple[str, ...]] = {
    "fi": (
        "suomi",
        "suomea",
        "suomeksi",
        "finnish",
        "finska",
        "finsk",
        "финский",
        "по-фински",
        "фінська",
        "фінською",
        "الفنلندية",
        "فنلندي",
        "finnishka",
        "af-finnish",
        "فنلاندی",
        "فنلاندي",
    ),
    "sv": (
        "ruotsi",
        "ruotsia",
        "ruotsiksi",
        "swedish",
        "svenska",
        "på svenska",
        "шведский",
        "по-шведски",
        "шведська",
        "шведською",
        "السويدية",
        "swiidhish",
        "سوئدی",
    ),
    "en": (
        "englanti",
        "englantia",
        "englanniksi",
        "english",
        "engelska",
        "på engelska",
        "английский",
        "по-английски",
        "англійська",
        "англійською",
        "الانجليزية",
        "الإنجليزية",
        "انجليزي",
        "ingiriisi",
        "af-ingiriisi",
        "انگلیسی",
    ),
    "ru": (
        "venäjä",
        "venäjää",
        "venäjäksi",
        "russian",
        "ryska",
        "på ryska",
        "русский",
        "по-русски",
        "російська",
        "російською",
        "الروسية",
        "ruushka",
        "روسی",
    ),
    "uk": (
        "ukraina",
        "ukrainaa",
        "ukrainaksi",
        "ukrainian",
        "ukrainska",
        "på ukrainska",
        "украинский",
        "по-украински",
        "українська",
        "українською",
        "по-українськи",
        "الأوكرانية",
        "ukrayn",
        "اوکراینی",
    ),
    "ar": (
        "arabia",
        "arabiaa",
        "arabiaksi",
        "arabic",
        "arabiska",
        "på arabiska",
        "арабский",
        "по-арабски",
        "арабська",
        "арабською",
        "العربية",
        "عربي",
        "بالعربي",
        "carabi",
        "af-carabi",
        "عربی",
    ),
    "so": (
        "somali",
        "somalia",
        "somaliksi",
        "somaliska",
        "på somaliska",
        "сомали",
        "сомалійська",
        "الصومالية",
        "soomaali",
        "af-soomaali",
        "af soomaali",
        "سومالیایی",
    ),
    "fa": (
        "persia",
        "persiaa",
        "persiaksi",
        "farsi",
        "farsia",
        "farsiksi",
        "dari",
        "dariksi",
        "persian",
        "persiska",
        "på persiska",
        "фарси",
        "персидский",
        "дари",
        "перська",
        "الفارسية",
        "فارسي",
        "فارسی",
        "دری",
        "af-faarsi",
    ),
}
_COMMAND = re.compile(r"^/(?:language|lang|kieli|språk)\s+([a-z]{2})\s*$", re.IGNORECASE)


def _folded_names() -> list[tuple[str, Language]]:
    pairs = [(fold(name), lang) for lang, names in _NAMES.items() for name in names]
    return sorted(pairs, key=lambda p: -len(p[0]))  # longest first: "af-soomaali" before "soomaali"


_FOLDED = _folded_names()
_WORD_EDGE = r"(?<![\w-]){}(?![\w-])"


def requested_language(text: str) -> Language | None:
    """The language a message asks for by name or command ("/language fi"), if any."""
    command = _COMMAND.match(text.strip())
    if command:
        code = command.group(1).lower()
        return code if code in _NAMES else None
    folded = fold(text)
    for name, lang in _FOLDED:
        if re.search(_WORD_EDGE.format(re.escape(name)), folded):
            return lang
    return None


@dataclass(frozen=True)
class LanguageDecision:
    language: Language
    settled: bool
    changed: bool


def decide(
    current: Language | None,
    settled: bool,
    detected: DetectedLanguage,
    word_count: int,
    requested: str | None,
) -> LanguageDecision:
    """The language to use for this message."""
    if requested:
        return LanguageDecision(requested, True, requested != current)  # type: ignore[arg-type]
    if current and settled:
        return LanguageDecision(current, True, False)
    confident = detected.confidence >= SETTLE_CONFIDENCE and word_count >= SETTLE_WORDS
    if current and not confident:
        return LanguageDecision(current, False, False)
    return LanguageDecision(detected.language, confident, detected.language != current)
