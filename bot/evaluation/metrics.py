"""Scores of predictions against expectations, per language and overall (see ../shared/eval/README.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.evaluation.dataset import EvalQuestion
from bot.languages import LANGUAGES


@dataclass(frozen=True)
class Prediction:
    question: EvalQuestion
    topic: str | None
    entry_id: str | None
    language: str
    confidence: float | None
    ranked_topics: tuple[str, ...] = ()
    intent: str | None = None
    # False where the system under test has no intent classifier (the retriever alone): no intent score then.
    classifies_intents: bool = False
    # False where only the top answer is known (through /api/chat): no MRR then.
    ranks_topics: bool = True


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def score(predictions: Iterable[Prediction]) -> dict[str, dict[str, float | int | None]]:
    """Metrics per language and "overall": topic accuracy, MRR@5, OOS rejection, intent, language match."""
    groups: dict[str, list[Prediction]] = defaultdict(list)
    for p in predictions:
        groups[p.question.lang].append(p)
        groups["overall"].append(p)
    table: dict[str, dict[str, float | int | None]] = {}
    for name in [*LANGUAGES, "overall"]:
        preds = groups.get(name, [])
        topical = [p for p in preds if p.question.kind == "topic"]
        oos = [p for p in preds if p.question.kind == "out_of_scope"]
        intents = [p for p in preds if p.question.kind == "intent" and p.classifies_intents]
        answered = [p for p in topical + oos if p.topic is not None]
        rr = []
        for p in (p for p in topical if p.ranks_topics):
            ranks = [i for i, t in enumerate(p.ranked_topics[:5], start=1) if t == p.question.topic]
            rr.append(1.0 / ranks[0] if ranks else 0.0)
        table[name] = {
            "questions": len(preds),
            "topic_questions": len(topical),
            "topic_accuracy": _share(sum(p.topic == p.question.topic for p in topical), len(topical)),
            "mrr_at_5": sum(rr) / len(rr) if rr else None,
            "oos_questions": len(oos),
            "oos_rejection": _share(sum(p.topic is None for p in oos), len(oos)),
            "answer_precision": _share(sum(p.topic == p.question.topic for p in answered), len(answered)),
            "intent_questions": len(intents),
            "intent_accuracy": _share(sum(p.intent == p.question.intent for p in intents), len(intents)),
            "language_match": _share(sum(p.language == p.question.lang for p in preds), len(preds)),
        }
    return table
