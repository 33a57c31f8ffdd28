"""The eight languages Neuvo speaks, and the fallback used when an entry lacks one."""

from typing import Final, Literal, get_args

Language = Literal["fi", "sv", "en", "ru", "uk", "ar", "so", "fa"]

LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
FALLBACK_LANGUAGE: Final[Language] = "en"
RIGHT_TO_LEFT: Final[frozenset[Language]] = frozenset({"ar", "fa"})

LANGUAGE_NAMES: Final[dict[Language, str]] = {
    "fi": "suomi",
    "sv": "svenska",
    "en": "English",
    "ru": "русский",
    "uk": "українська",
    "ar": "العربية",
    "so": "Soomaali",
    "fa": "فارسی / دری",
}


def is_language(code: str) -> bool:
    """True when `code` is one of the eight supported ISO 639-1 codes."""
    return code in LANGUAGES


def as_language(code: str) -> Language:
    """Return `code` as a Language or raise ValueError naming the supported codes."""
    if code not in LANGUAGES:
        raise ValueError(f"unsupported language {code!r}; use one of {', '.join(LANGUAGES)}")
    return code
