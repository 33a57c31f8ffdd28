"""Retrieval quality on the development set (the issue's acceptance figures) and through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.evaluation.dataset import load_questions
from bot.evaluation.metrics import score
from bot.evaluation.retrieval_eval import predict_all_modes
from bot.languages import LANGUAGES
from bot.retrieval.scoring import Mode
from tests.conftest import DEV_SET

pytestmark = [pytest.mark.integration, pytest.mark.slow]

needs_dev_set = pytest.mark.skipif(not DEV_SET.is_file(), reason=f"development set not found at {DEV_SET}")


@pytest.fixture(scope="module")
def dev_tables(real_retriever: Any) -> dict[Mode, dict[str, dict[str, Any]]]:
    predictions = predict_all_modes(real_retriever, load_questions(DEV_SET))
    return {mode: score(preds) for mode, preds in predictions.items()}


@needs_dev_set
def test_hybrid_meets_the_overall_targets_on_the_dev_set(
    dev_tables: dict[Mode, dict[str, dict[str, Any]]],
) -> None:
    overall = dev_tables[Mode.HYBRID]["overall"]
    assert overall["topic_accuracy"] >= 0.90
    assert overall["oos_rejection"] >= 0.80
    assert overall["language_match"] >= 0.95
    assert overall["answer_precision"] >= 0.95


@needs_dev_set
def test_hybrid_topic_accuracy_in_every_language(dev_tables: dict[Mode, dict[str, dict[str, Any]]]) -> None:
    hybrid = dev_tables[Mode.HYBRID]
    weak = {
        lang: hybrid[lang]["topic_accuracy"]
        for lang in LANGUAGES
        if hybrid[lang]["topic_accuracy"] is not None and hybrid[lang]["topic_accuracy"] < 0.80
    }
    assert weak == {}


@needs_dev_set
def test_hybrid_clearly_beats_the_dense_baseline(dev_tables: dict[Mode, dict[str, dict[str, Any]]]) -> None:
    hybrid, dense = dev_tables[Mode.HYBRID]["overall"], dev_tables[Mode.DENSE]["overall"]
    assert hybrid["topic_accuracy"] >= dense["topic_accuracy"] + 0.1
    assert hybrid["mrr_at_5"] > dense["mrr_at_5"]


@needs_dev_set
def test_hybrid_beats_the_lexical_baseline(dev_tables: dict[Mode, dict[str, dict[str, Any]]]) -> None:
    hybrid, lexical = dev_tables[Mode.HYBRID]["overall"], dev_tables[Mode.LEXICAL]["overall"]
    assert hybrid["topic_accuracy"] > lexical["topic_accuracy"]


def test_eval_cli_writes_predictions_and_compares_modes(
    tmp_path: Path, real_retriever: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "q.jsonl"
    rows = [
        {
            "id": "a",
            "lang": "en",
            "text": "How can I get a Finnish tax card for my job?",
            "expect": {"topic": "tax_card"},
        },
        {"id": "b", "lang": "fi", "text": "Kuka voitti jääkiekon MM-kisat 1995?", "expect": {"topic": None}},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out_file = tmp_path / "pred.jsonl"
    assert main(["eval", str(questions), "--json", "--predictions", str(out_file)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["modes"]) == {"hybrid", "lexical", "dense"}
    lines = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert [set(line) for line in lines] == [{"id", "topic", "entry_id", "language", "confidence"}] * 2
    assert lines[0]["topic"] == "tax_card" and lines[0]["language"] == "en"
    assert lines[1]["topic"] is None and lines[1]["entry_id"] is None


@pytest.mark.parametrize(
    "text",
    [
        "🙂🙂🙂",
        "asdfghjkl qwerty",
        "x" * 3999,
        "مرحبا hello привет hei",
        "\u200fکارت مالیاتی\u200f",
        "\x1b[31mverokortti\x1b[0m",
    ],
    ids=["emoji", "keyboard-mash", "almost-max-length", "mixed-scripts", "rtl-marks", "ansi-escapes"],
)
def test_real_retriever_survives_odd_input(real_retriever: Any, text: str) -> None:
    result = real_retriever.search(text)
    assert result.language in LANGUAGES
    assert result.answer is None or result.answer.topic


def test_search_cli_reports_bad_input_clearly(
    real_retriever: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "search", "   "]) == 2
    assert "error: the question is empty" in capsys.readouterr().err
    assert main(["kb", "search", "verokortti", "--lang", "xx"]) == 2
    assert "unsupported language 'xx'" in capsys.readouterr().err
