"""Run a question set through a running service's /api/chat (Rasa included), one new conversation each."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import httpx

from bot.evaluation.dataset import EvalQuestion
from bot.evaluation.metrics import Prediction


class PipelineError(RuntimeError):
    """The service answered with an error or could not be reached."""


def predict_via_api(
    base_url: str, questions: Sequence[EvalQuestion], timeout: float = 30.0
) -> list[Prediction]:
    run = uuid.uuid4().hex[:8]
    predictions = []
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout) as client:
        for q in questions:
            try:
                response = client.post(
                    "/api/chat", json={"sender_id": f"eval-{run}-{q.id}", "text": q.text, "channel": "eval"}
                )
            except httpx.HTTPError as exc:
                raise PipelineError(f"{base_url}: {exc}") from exc
            if response.status_code != 200:
                raise PipelineError(f"question {q.id}: HTTP {response.status_code} {response.text[:200]}")
            body = response.json()
            predictions.append(
                Prediction(
                    question=q,
                    topic=body["topic"],
                    entry_id=body["entry_id"],
                    language=body["language"],
                    confidence=body["confidence"],
                    intent=body["intent"],
                    classifies_intents=True,
                    ranks_topics=False,
                )
            )
    return predictions
