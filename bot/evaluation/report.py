"""Plain-text tables of evaluation metrics, modes side by side."""

from __future__ import annotations

from typing import Any

from bot.languages import LANGUAGES

METRICS = [
    ("topic_accuracy", "topic accuracy"),
    ("mrr_at_5", "MRR@5"),
    ("oos_rejection", "out-of-scope rejection"),
    ("answer_precision", "precision of answers"),
    ("intent_accuracy", "intent accuracy"),
    ("language_match", "language match"),
]


def _fmt(value: Any) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def format_comparison(tables: dict[str, dict[str, dict[str, Any]]]) -> str:
    modes = list(tables)
    lines = []
    overall = {m: tables[m]["overall"] for m in modes}
    first = overall[modes[0]]
    lines.append(
        f"{first['questions']} questions: {first['topic_questions']} topic, "
        f"{first['oos_questions']} out of scope, {first['intent_questions']} intent"
    )
    lines.append("")
    lines.append("overall".ljust(26) + "".join(m.rjust(10) for m in modes))
    for key, label in METRICS:
        if all(overall[m][key] is None for m in modes):
            continue
        lines.append(label.ljust(26) + "".join(_fmt(overall[m][key]).rjust(10) for m in modes))
    for key, label in METRICS:
        if all(overall[m][key] is None for m in modes):
            continue
        lines.append("")
        lines.append(f"{label} per language".ljust(26) + "".join(m.rjust(10) for m in modes))
        for lang in LANGUAGES:
            lines.append(f"  {lang}".ljust(26) + "".join(_fmt(tables[m][lang][key]).rjust(10) for m in modes))
    return "\n".join(lines)
