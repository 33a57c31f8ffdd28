"""Normalisation and lexical features: what users type must meet what the knowledge base says."""

from __future__ import annotations

import pytest

from bot.retrieval.text import MAX_QUERY_CHARS, InvalidQuery, clean, features, fold, validate_query

pytestmark = pytest.mark.unit


def test_clean_removes_bidi_marks_controls_and_zero_width() -> None:
    assert clean("\u200fمرحبا\u200e \x00\x07 world\u200b\ufeff ") == "مرحبا world"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u200f\u200e", "\x00\x01"])
def test_empty_queries_are_rejected_in_plain_words(text: str) -> None:
    with pytest.raises(InvalidQuery, match="empty"):
        validate_query(text)


def test_oversized_query_is_rejected() -> None:
    with pytest.raises(InvalidQuery, match="too long"):
        validate_query("a" * (MAX_QUERY_CHARS + 1))


def test_non_text_is_rejected() -> None:
    with pytest.raises(InvalidQuery, match="text"):
        validate_query(None)


def test_folding_makes_missing_diacritics_and_script_variants_meet() -> None:
    assert fold("Äänekoskella") == fold("aanekoskella")
    assert fold("كيف") == fold("کیف")  # Arabic kaf/yeh typed on a Persian keyboard


@pytest.mark.parametrize(
    ("a", "b"), [("verokortti", "verokortin"), ("Kela", "Kelalta"), ("lapsilisä", "lapsilisää")]
)
def test_finnish_inflections_share_a_stem(a: str, b: str) -> None:
    assert [f for f in features(a, "fi") if f.startswith("w:")] == [
        f for f in features(b, "fi") if f.startswith("w:")
    ]


def test_consonant_gradation_still_shares_character_ngrams() -> None:
    # Snowball does not undo gradation (lupa -> luvan); the character n-grams carry the match.
    shared = set(features("oleskelulupa", "fi")) & set(features("oleskeluluvan", "fi"))
    assert len([f for f in shared if f.startswith("c:")]) >= 8


def test_languages_without_a_stemmer_still_get_character_ngrams() -> None:
    feats = features("дозвіл на проживання", "uk")
    assert "w:дозвіл" in feats
    assert any(f.startswith("c:") for f in feats)
