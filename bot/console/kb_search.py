"""Knowledge-base search for advisors: the entries that fit their words, answered in the person's language."""

from __future__ import annotations

from dataclasses import dataclass

from bot.console.errors import InvalidInput
from bot.languages import Language
from bot.retrieval.retriever import Retriever
from bot.retrieval.text import InvalidQuery


@dataclass(frozen=True)
class KbHit:
    entry_id: str
    topic: str
    score: float
    title: str
    answer: str  # in the person's language, or English when the entry lacks it (`fallback_language`)
    language: Language
    fallback_language: bool
    source: str | None

    @property
    def reply_text(self) -> str:
        """What "insert" puts in the reply box: the answer and where it comes from."""
        return f"{self.answer}\n\n{self.source}" if self.source else self.answer


def search_kb(retriever: Retriever, query: str, answer_language: Language, k: int = 5) -> list[KbHit]:
    """Blocking (embedding and scoring): run in a worker thread. The query's own language is detected."""
    try:
        result = retriever.search(query, k=k)
    except InvalidQuery as exc:
        raise InvalidInput(f"search: {exc}") from exc
    hits = []
    for hit in result.hits:
        answer = retriever.answer_for(hit.entry.id, answer_language)
        if answer is None:
            continue
        hits.append(
            KbHit(
                entry_id=answer.entry_id,
                topic=answer.topic,
                score=round(hit.score, 3),
                title=answer.title,
                answer=answer.text,
                language=answer.language,
                fallback_language=answer.fallback_language,
                source=answer.sources[0] if answer.sources else None,
            )
        )
    return hits
