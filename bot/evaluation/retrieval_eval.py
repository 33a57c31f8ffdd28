"""Run a question set through the retriever in every mode at once (hybrid and both single baselines)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.evaluation.dataset import EvalQuestion
from bot.evaluation.metrics import Prediction
from bot.languages import Language
from bot.retrieval.retriever import RetrievalResult, Retriever
from bot.retrieval.scoring import EntryScores, Mode, ScoringParams
from bot.retrieval.text import InvalidQuery, has_letters, validate_query


@dataclass(frozen=True)
class ScoredQuestion:
    """A question with its language and per-entry scores, computed once and decided under many params."""

    question: EvalQuestion
    language: Language
    language_confidence: float
    scores: EntryScores | None


def score_questions(retriever: Retriever, questions: Sequence[EvalQuestion]) -> list[ScoredQuestion]:
    out = []
    for q in questions:
        try:
            text = validate_query(q.text)
        except InvalidQuery:
            out.append(ScoredQuestion(q, "en", 0.0, None))
            continue
        lang, conf = retriever.detect_language(text, None)
        scores = retriever.entry_scores(text, lang) if has_letters(text) else None
        out.append(ScoredQuestion(q, lang, conf, scores))
    return out


def decide(retriever: Retriever, sq: ScoredQuestion, params: ScoringParams) -> RetrievalResult:
    if sq.scores is None:
        return RetrievalResult(sq.language, sq.language_confidence, 0.0, reason="no_words")
    return retriever.decide(sq.scores, params, sq.language, sq.language_confidence, k=5)


def to_prediction(sq: ScoredQuestion, result: RetrievalResult) -> Prediction:
    answer = result.answer
    return Prediction(
        question=sq.question,
        topic=answer.topic if answer else None,
        entry_id=answer.entry_id if answer else None,
        language=result.language,
        confidence=round(result.confidence, 4),
        ranked_topics=tuple(h.entry.topic for h in result.hits),
    )


def predict_all_modes(
    retriever: Retriever, questions: Sequence[EvalQuestion]
) -> dict[Mode, list[Prediction]]:
    scored = score_questions(retriever, questions)
    return {
        mode: [to_prediction(sq, decide(retriever, sq, params)) for sq in scored]
        for mode, params in retriever.calibration.modes.items()
    }
