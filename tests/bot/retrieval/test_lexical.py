"""The lexical index ranks matching documents first and keeps scores in [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest

from bot.retrieval.lexical import LexicalIndex
from bot.retrieval.text import features

pytestmark = pytest.mark.unit

DOCS = [
    "how do I extend my residence permit",
    "where can I get a tax card",
    "how to apply for child benefit from Kela",
]


@pytest.fixture
def index() -> LexicalIndex:
    return LexicalIndex.build([features(d, "en") for d in DOCS])


def test_matching_document_ranks_first(index: LexicalIndex) -> None:
    scores = index.scores(features("extending residence permits", "en"))
    assert int(np.argmax(scores)) == 0


def test_scores_are_cosines(index: LexicalIndex) -> None:
    scores = index.scores(features(DOCS[1], "en"))
    assert scores.max() == pytest.approx(scores[1])
    assert 0.99 < scores[1] <= 1.0 + 1e-5
    assert (scores >= 0).all()


def test_unknown_words_lower_the_score(index: LexicalIndex) -> None:
    focused = index.scores(features("tax card", "en"))[1]
    diluted = index.scores(features("tax card recipe pancakes bicycle football", "en"))[1]
    assert diluted < focused


def test_empty_query_scores_zero(index: LexicalIndex) -> None:
    assert not index.scores([]).any()
