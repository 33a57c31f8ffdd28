"""Scoring follows ../shared/eval/README.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.evaluation.dataset import DatasetError, EvalQuestion, load_questions
from bot.evaluation.metrics import Prediction, score

pytestmark = pytest.mark.unit


def _p(
    kind: str, lang: str, expected: str | None, got: str | None, said: str, ranked: tuple[str, ...] = ()
) -> Prediction:
    q = EvalQuestion("q", lang, "text", kind, topic=expected)  # type: ignore[arg-type]
    return Prediction(q, got, None, said, 0.5, ranked)


def test_scores_per_language_and_overall() -> None:
    preds = [
        _p("topic", "fi", "tax_card", "tax_card", "fi", ("tax_card", "citizenship")),
        _p("topic", "fi", "citizenship", None, "fi", ("tax_card", "citizenship")),
        _p("out_of_scope", "en", None, None, "en"),
        _p("out_of_scope", "en", None, "tax_card", "sv"),
    ]
    table = score(preds)
    assert table["fi"]["topic_accuracy"] == 0.5
    assert table["fi"]["mrr_at_5"] == pytest.approx(0.75)
    assert table["en"]["oos_rejection"] == 0.5
    assert table["overall"]["language_match"] == 0.75
    assert table["overall"]["answer_precision"] == 0.5
    assert table["so"]["topic_accuracy"] is None


def test_no_mrr_when_only_the_top_answer_is_known() -> None:
    q = EvalQuestion("q", "fi", "text", "topic", topic="tax_card")
    table = score([Prediction(q, "tax_card", None, "fi", 0.9, ranks_topics=False)])
    assert table["overall"]["topic_accuracy"] == 1.0
    assert table["overall"]["mrr_at_5"] is None


def test_dataset_lines_are_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "a", "lang": "fi", "text": "moi", "expect": {"intent": "greet"}},
                {"id": "b", "lang": "en", "text": "weather?", "expect": {"topic": None}},
                {"id": "c", "lang": "sv", "text": "skattekort", "expect": {"topic": "tax_card"}},
            ]
        )
        + "\n"
    )
    kinds = [q.kind for q in load_questions(good)]
    assert kinds == ["intent", "out_of_scope", "topic"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "lang": "de", "text": "hallo", "expect": {"topic": null}}\n')
    with pytest.raises(DatasetError, match=r"bad\.jsonl:1"):
        load_questions(bad)
