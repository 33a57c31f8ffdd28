"""Language-aware text normalisation and lexical features (Snowball stems where available, char n-grams)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import snowballstemmer

from bot.languages import Language

MAX_QUERY_CHARS = 4000

# Snowball has no Ukrainian or Somali stemmer; those rely on character n-grams alone.
_STEMMERS: dict[str, str] = {
    "fi": "finnish",
    "sv": "swedish",
    "en": "english",
    "ru": "russian",
    "ar": "arabic",
    "fa": "persian",
}
_BIDI_AND_ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u061c]")
_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_WORD = re.compile(r"\w+", re.UNICODE)
_FOLD = str.maketrans(
    {
        # Arabic-script variants that users type interchangeably (Arabic vs Persian keyboards).
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ي": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "ؤ": "و",
        "ئ": "ی",
        # Cyrillic: ё is usually typed as е.
        "ё": "е",
    }
)
_LATIN_FOLD = str.maketrans({"ä": "a", "ö": "o", "å": "a", "ü": "u", "é": "e", "è": "e", "á": "a"})


class InvalidQuery(ValueError):
    """A search text that cannot be searched; the message says why in plain words."""


def clean(text: str) -> str:
    """NFKC, without control characters, bidi marks or zero-width characters, whitespace folded."""
    text = unicodedata.normalize("NFKC", text)
    text = _BIDI_AND_ZERO_WIDTH.sub("", text)
    text = "".join(" " if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} else ch for ch in text)
    return " ".join(text.split())


def validate_query(text: object) -> str:
    """Return the cleaned query, or raise InvalidQuery for input that is not a searchable text."""
    if not isinstance(text, str):
        raise InvalidQuery("the question must be text")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"the question is too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    cleaned = clean(text)
    if not cleaned:
        raise InvalidQuery("the question is empty")
    return cleaned


def has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def fold(text: str) -> str:
    """Lower-case and fold spelling variants users type interchangeably (ä/a, Arabic/Persian letters)."""
    text = _ARABIC_DIACRITICS.sub("", text.casefold())
    return text.translate(_FOLD).translate(_LATIN_FOLD)


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer | None:
    name = _STEMMERS.get(language)
    return snowballstemmer.stemmer(name) if name else None


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def features(text: str, language: Language, ngram_sizes: tuple[int, ...] = (3, 4)) -> list[str]:
    """Lexical features of `text`: folded word stems (or words) plus character n-grams within words."""
    tokens = [w for w in words(_ARABIC_DIACRITICS.sub("", text)) if not w.isdigit() or len(w) > 1]
    stemmer = _stemmer(language)
    stems = stemmer.stemWords(tokens) if stemmer else tokens
    out = [f"w:{fold(stem)}" for stem in stems]
    for token in tokens:
        padded = f" {fold(token)} "
        for n in ngram_sizes:
            if len(padded) > n:
                out.extend(f"c:{padded[i : i + n]}" for i in range(len(padded) - n + 1))
    return out
