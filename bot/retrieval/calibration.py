"""Fit fusion weights and the answer/no-answer threshold on our own tuning set (never the eval sets)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.evaluation.dataset import EvalQuestion
from bot.evaluation.retrieval_eval import ScoredQuestion, score_questions
from bot.retrieval.retriever import Retriever
from bot.retrieval.scoring import Calibration, Mode, ScoringParams

DENSE_WEIGHTS = {
    Mode.HYBRID: [round(w, 2) for w in np.arange(0.05, 0.95, 0.05)],
    Mode.LEXICAL: [0.0],
    Mode.DENSE: [1.0],
}
_MIXES = [0.0, 0.25, 0.5, 0.7, 0.85, 1.0]
WHOLE_ENTRY_WEIGHTS = {Mode.HYBRID: _MIXES, Mode.LEXICAL: _MIXES, Mode.DENSE: [0.0]}
PENALTIES = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3]
# A wrong answer misleads someone who may be in a difficult situation: it costs more than "I don't know".
WRONG_ANSWER_COST = 0.5


@dataclass(frozen=True)
class _Observation:
    top: float
    margin: float
    correct: bool
    in_scope: bool


def _observe(params: ScoringParams, topics: np.ndarray, sq: ScoredQuestion) -> _Observation:
    in_scope = sq.question.kind == "topic"
    if sq.scores is None:
        return _Observation(0.0, 0.0, False, in_scope)
    fused = params.fused(sq.scores)
    top = int(np.argmax(fused))
    others = fused[topics != topics[top]]
    margin = float(fused[top] - (others.max() if len(others) else 0.0))
    return _Observation(float(fused[top]), margin, in_scope and topics[top] == sq.question.topic, in_scope)


def _fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 50) -> np.ndarray:
    """Newton's method for a small L2-regularised logistic regression; returns [w..., bias]."""
    x1 = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x1.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(x1 @ w, -50, 50)))
        grad = x1.T @ (p - y) + l2 * w
        hess = (x1.T * (p * (1 - p))) @ x1 + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def _utility(
    obs: Sequence[_Observation], conf: np.ndarray, threshold: float
) -> tuple[float, dict[str, float]]:
    answered = conf >= threshold
    ins = np.array([o.in_scope for o in obs])
    correct = np.array([o.correct for o in obs])
    n_in, n_out = max(ins.sum(), 1), max((~ins).sum(), 1)
    right = (answered & correct).sum()
    wrong_in = (answered & ins & ~correct).sum()
    rejected_out = (~answered & ~ins).sum()
    utility = 0.5 * (right - WRONG_ANSWER_COST * wrong_in) / n_in + 0.5 * rejected_out / n_out
    n_answered = max(answered.sum(), 1)
    report = {
        "threshold": float(threshold),
        "precision": float(right / n_answered),
        "recall": float(right / n_in),
        "oos_rejection": float(rejected_out / n_out),
        "top1_accuracy": float(correct[ins].mean()) if ins.any() else 0.0,
    }
    return float(utility), report


def calibrate_mode(
    mode: Mode, topics: np.ndarray, scored: Sequence[ScoredQuestion]
) -> tuple[ScoringParams, dict[str, float]]:
    in_scope = [sq for sq in scored if sq.question.kind == "topic"]
    best: tuple[float, ScoringParams] | None = None
    grid = [(w, e, p) for w in DENSE_WEIGHTS[mode] for e in WHOLE_ENTRY_WEIGHTS[mode] for p in PENALTIES]
    for weight, whole_weight, penalty in grid:
        params = ScoringParams(
            dense_weight=float(weight), whole_entry_weight=whole_weight, cross_language_penalty=penalty
        )
        accuracy = np.mean([_observe(params, topics, sq).correct for sq in in_scope])
        if best is None or accuracy > best[0] + 1e-9:
            best = (float(accuracy), params)
    assert best is not None
    params = best[1]
    relevant = [sq for sq in scored if sq.question.kind in ("topic", "out_of_scope")]
    obs = [_observe(params, topics, sq) for sq in relevant]
    x = np.array([[o.top, o.margin] for o in obs])
    y = np.array([1.0 if o.correct else 0.0 for o in obs])
    w = _fit_logistic(x, y)
    params = replace(params, coef_score=float(w[0]), coef_margin=float(w[1]), intercept=float(w[2]))
    conf = np.array([params.confidence(o.top, o.margin) for o in obs])
    candidates = np.unique(np.round(np.concatenate([conf, np.linspace(0.05, 0.95, 19)]), 4))
    scored_thresholds = [(_utility(obs, conf, t), t) for t in candidates]
    (utility, report), threshold = max(scored_thresholds, key=lambda item: (item[0][0], -item[1]))
    params = replace(params, threshold=float(threshold))
    report = {
        **report,
        "utility": utility,
        "dense_weight": params.dense_weight,
        "whole_entry_weight": params.whole_entry_weight,
        "cross_language_penalty": params.cross_language_penalty,
        "questions": float(len(obs)),
    }
    return params, report


def calibrate(retriever: Retriever, questions: Sequence[EvalQuestion], model: str) -> Calibration:
    topics = np.array([e.topic for e in retriever.kb.entries])
    scored = score_questions(retriever, questions)
    modes: dict[Mode, ScoringParams] = {}
    reports: dict[str, dict[str, float]] = {}
    for mode in Mode:
        modes[mode], reports[mode.value] = calibrate_mode(mode, topics, scored)
    return Calibration(modes, kb_hash=retriever.kb.content_hash, model=model, report=reports)
