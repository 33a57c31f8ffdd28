"""The answers a person gives in the booking and registration forms, read from buttons or typed text.

Button payloads are plain text ("slot 12", "interpreter ar"): the conversation engine passes any payload
that is not one of Rasa's own intents on as text, and the forms read their slots from the text. A person
on SMS answers by number, which the engine turns into the payload of that button.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from bot.dialogue.responses import ResponseCatalog, UnknownResponse
from bot.languages import LANGUAGES

SLOT, INTERPRETER, BOOKING, TRAINING = "slot", "interpreter", "booking", "training"
NO_INTERPRETER = "none"
NOTHING = "none"  # a form slot filled with this ends the form at once (nothing to choose from)
INTERPRETER_CODES = (*LANGUAGES, "ku", "ti", "fr", "es", "ps", "tr")

# A whole message that stops a form, in the eight languages (compared after trimming and casefolding).
_STOP_WORDS = frozenset(
    {
        "stop",
        "cancel",
        "quit",
        "peru",
        "peruuta",
        "lopeta",
        "keskeytä",
        "avbryt",
        "sluta",
        "стоп",
        "отмена",
        "отменить",
        "хватит",
        "скасувати",
        "зупинити",
        "إلغاء",
        "الغاء",
        "توقف",
        "jooji",
        "ka noqo",
        "لغو",
        "توقف کن",
        "بس",
    }
)
_TIME = re.compile(r"\b([01]?\d|2[0-3])[:.]([0-5]\d)\b")


def payload(kind: str, value: object) -> str:
    return f"{kind} {value}"


def parse_payload(kind: str, text: str) -> str | None:
    """The value of a button payload of this kind ("slot 12" -> "12"), else None."""
    match = re.fullmatch(rf"\s*{kind}\s+([\w-]+)\s*", text or "", flags=re.IGNORECASE)
    return match.group(1) if match else None


def parse_id(kind: str, text: str) -> int | None:
    value = parse_payload(kind, text)
    return int(value) if value is not None and value.isdigit() else None


def is_stop(text: str) -> bool:
    cleaned = re.sub(r"[^\w\s]", "", unicodedata.normalize("NFC", text or "")).strip().casefold()
    return cleaned in _STOP_WORDS


def typed_time(text: str) -> tuple[int, int] | None:
    """A clock time typed instead of pressing a button: "14:30", "klo 14.30"."""
    match = _TIME.search(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def interpreter_language(text: str, responses: ResponseCatalog) -> str | None:
    """The language code a typed answer names ("arabiaksi", "на арабском", "عربی", "ar"), else None.

    Language names come from the roaming_language_<code> texts in all eight languages. A word matches a
    name when it starts with the name's first five letters (Arabic script: contains its first four, after
    the article), so inflected forms match too. A bare code ("ar") counts only as the whole answer.
    """
    cleaned = _fold(re.sub(r"[^\w\s]", " ", unicodedata.normalize("NFC", text or "")).strip().casefold())
    if cleaned in INTERPRETER_CODES:
        return cleaned
    words = re.findall(r"\w+", cleaned)
    for code, stems in _language_stems(responses).items():
        for word in words:
            if any(word.startswith(stem) or (_is_arabic(stem) and stem in word) for stem in stems):
                return code
    return None


_EXTRA_STEMS = {"fi": ["suome"], "fa": ["farsi", "dari"]}
_ARABIC_SCRIPT = str.maketrans({"ی": "ي", "ى": "ي", "ک": "ك", "ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا"})


def _fold(text: str) -> str:
    return text.translate(_ARABIC_SCRIPT)


def _is_arabic(word: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in word)


def _language_stems(responses: ResponseCatalog) -> dict[str, list[str]]:
    stems: dict[str, list[str]] = {code: list(extra) for code, extra in _EXTRA_STEMS.items()}
    for code in INTERPRETER_CODES:
        for language in LANGUAGES:
            try:
                name = responses.render(f"roaming_language_{code}", language).text
            except UnknownResponse:
                continue
            stems.setdefault(code, []).extend(_name_stems(_fold(name.casefold())))
    return stems


def _name_stems(name: str) -> Iterable[str]:
    for word in re.findall(r"\w+", name):
        if _is_arabic(word):
            if word.startswith("ال") and len(word) > 4:  # the article: العربية -> عربيه
                word = word[2:]
            if len(word) >= 3:
                yield word[:4]
        elif len(word) >= 5:  # "Af" (Somali: "the language of") and other short words name nothing
            yield word[:5]


# Words that turn "news about events" into "no more news" (the NLU may miss the negation).
_NEGATIONS = re.compile(
    r"\b(en (halua|tahdo|tarvitse)|älä|älkää|ei enää|lopeta\w*|inte|inga|sluta|"
    r"don'?t|do not|no more|stop\w*|unsubscribe\w*|"
    r"не|больше не|більше не|хватит|досить|отпис\w*|відпис\w*|ma rabo|uma baahni|jooji\w*|ha ii)\b"
    r"|لا |ما بدي|بطلوا|أوقف|اوقف|الغ|إلغاء|نمی|لغو|قطع|بسه",
    re.IGNORECASE,
)


def sounds_negative(text: str) -> bool:
    """True when a request about event news says "no more" rather than "yes please"."""
    return bool(_NEGATIONS.search(unicodedata.normalize("NFC", text or "")))
