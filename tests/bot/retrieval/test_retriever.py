"""The retriever's logic on a tiny knowledge base with a deterministic embedder (no model needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.loader import load_knowledge_base
from bot.retrieval.index import load_or_build
from bot.retrieval.retriever import Retriever
from bot.retrieval.text import InvalidQuery
from tests.conftest import HashingEmbedder
from tests.tiny_kb import tiny_retriever

pytestmark = pytest.mark.unit


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Retriever, Path]:
    return tiny_retriever(tmp_path), tmp_path


def test_answers_in_the_users_language(tiny: tuple[Retriever, Path]) -> None:
    retriever, _ = tiny
    result = retriever.search("tarvitsen verokortin uuteen työpaikkaan", language="fi")
    assert result.answer is not None
    assert result.answer.topic == "tax_card"
    assert result.answer.language == "fi"
    assert not result.answer.fallback_language


def test_falls_back_to_english_and_says_so(tiny: tuple[Retriever, Path]) -> None:
    retriever, _ = tiny
    result = retriever.search("bus card ticket", language="so")
    assert result.answer is not None
    assert result.answer.topic == "public_transport"
    assert result.answer.language == "en"
    assert result.answer.fallback_language


def test_unrelated_question_gets_no_answer(tiny: tuple[Retriever, Path]) -> None:
    retriever, _ = tiny
    result = retriever.search("quantum chromodynamics lattice gauge symmetry", language="en")
    assert result.answer is None
    assert result.reason == "below_threshold"


def test_unknown_language_code_is_a_clear_error(tiny: tuple[Retriever, Path]) -> None:
    retriever, _ = tiny
    with pytest.raises(ValueError, match="unsupported language 'xx'"):
        retriever.search("tax card", language="xx")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\u200f\u200f", "x" * 10_000, None],
    ids=["empty", "whitespace", "rtl-marks-only", "10k-chars", "not-text"],
)
def test_bad_input_raises_a_clear_error(tiny: tuple[Retriever, Path], text: Any) -> None:
    retriever, _ = tiny
    with pytest.raises(InvalidQuery):
        retriever.search(text)


@pytest.mark.parametrize(
    "text",
    ["🙂🙂🙂", "123 456", "tax карта ضريبة card", "\x07tax\x00 card\x1b", "\u202everokortti\u202c"],
    ids=["emoji-only", "digits-only", "mixed-scripts", "control-chars", "bidi-override"],
)
def test_odd_input_never_crashes(tiny: tuple[Retriever, Path], text: str) -> None:
    retriever, _ = tiny
    result = retriever.search(text)
    assert result.language in {"fi", "sv", "en", "ru", "uk", "ar", "so", "fa"}
    if result.answer is None:
        assert result.reason in {"no_words", "below_threshold"}


def test_index_cache_is_reused_and_rebuilt_when_content_or_model_changes(
    tiny: tuple[Retriever, Path],
) -> None:
    _, root = tiny
    entries, cache = root / "kb" / "entries", root / "cache"
    kb = load_knowledge_base(entries)
    _, built = load_or_build(kb, HashingEmbedder(), cache, show_progress=False)
    assert not built
    _, built = load_or_build(kb, HashingEmbedder(salt="other-model"), cache, show_progress=False)
    assert built
    path = entries / "tax_card.yml"
    path.write_text(path.read_text().replace("the answer.", "the updated answer."))
    changed = load_or_build(
        load_knowledge_base(entries), HashingEmbedder(salt="other-model"), cache, show_progress=False
    )
    assert changed[1]
    assert len(list(cache.glob("index-*"))) == 1, "stale indexes are removed"


def test_a_corrupt_cache_is_rebuilt(tiny: tuple[Retriever, Path]) -> None:
    _, root = tiny
    kb = load_knowledge_base(root / "kb" / "entries")
    (folder,) = (root / "cache").glob("index-*")
    (folder / "lexical.pkl").write_bytes(b"garbage")
    index, built = load_or_build(kb, HashingEmbedder(), root / "cache", show_progress=False)
    assert built
    assert len(index.entry_ids) == 2


def test_an_audience_limits_which_entries_can_answer(tiny: tuple[Retriever, Path]) -> None:
    retriever, _ = tiny
    question = "tarvitsen verokortin uuteen työpaikkaan"
    assert retriever.search(question, language="fi", audience="immigrant").answer is not None
    # The tiny knowledge base has only immigrant entries: a resident's line finds none of them.
    result = retriever.search(question, language="fi", audience="resident")
    assert result.answer is None


def test_answer_for_gives_an_entry_in_the_asked_language(tiny: tuple[Retriever, Path]) -> None:
    retriever, _ = tiny
    entry_id = retriever.kb.entries[0].id
    answer = retriever.answer_for(entry_id, "fi")
    assert answer is not None and answer.language == "fi" and answer.short
    assert retriever.answer_for("no-such-entry", "fi") is None
