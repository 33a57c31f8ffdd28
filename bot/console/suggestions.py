"""Advisors' replies proposed for the knowledge base (a draft answer or an example question); their review.

Blocking: call from async code through a worker thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select

from bot.console.clock import as_utc
from bot.console.conversation_desk import check_text
from bot.console.errors import Conflict, InvalidInput, NotFound
from bot.languages import LANGUAGES
from bot.storage.console_models import KbSuggestion
from bot.storage.models import utcnow
from bot.storage.store import ConversationStore


class SuggestionKind(StrEnum):
    ANSWER = "answer"  # a draft answer for a topic the knowledge base misses or answers badly
    QUESTION = "question"  # a way people ask, to add as an example question


class Review(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Suggestion:
    id: int
    kind: str
    text: str
    topic: str
    language: str
    conversation_id: str | None
    author: str
    status: str
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    created_at: dt.datetime


def _suggestion(r: KbSuggestion) -> Suggestion:
    return Suggestion(
        id=r.id,
        kind=r.kind,
        text=r.text,
        topic=r.topic,
        language=r.language,
        conversation_id=r.conversation_id,
        author=r.author,
        status=r.status,
        reviewed_by=r.reviewed_by,
        reviewed_at=as_utc(r.reviewed_at) if r.reviewed_at else None,
        created_at=as_utc(r.created_at),
    )


class SuggestionBox:
    def __init__(self, store: ConversationStore, topics: list[str]) -> None:
        self._store = store
        self._topics = frozenset(topics)

    def add(
        self,
        *,
        kind: SuggestionKind,
        text: str,
        topic: str,
        language: str,
        author: str,
        conversation_id: str | None,
    ) -> int:
        text = check_text(text, "suggestion")
        if topic not in self._topics:
            raise InvalidInput("topic: choose one from the taxonomy")
        if language not in LANGUAGES:
            raise InvalidInput(f"language: one of {', '.join(LANGUAGES)}")
        with self._store.session() as s, s.begin():
            row = KbSuggestion(
                kind=kind.value,
                text=text,
                topic=topic,
                language=language,
                author=author,
                conversation_id=conversation_id,
                status=Review.NEW.value,
            )
            s.add(row)
            s.flush()
            return int(row.id)

    def list(self, status: str | None = Review.NEW.value, limit: int = 200) -> list[Suggestion]:
        with self._store.session() as s:
            query = select(KbSuggestion).order_by(KbSuggestion.id.desc()).limit(limit)
            if status:
                query = query.where(KbSuggestion.status == status)
            return [_suggestion(r) for r in s.scalars(query)]

    def count_new(self) -> int:
        with self._store.session() as s:
            return int(
                s.scalar(select(func.count(KbSuggestion.id)).where(KbSuggestion.status == Review.NEW.value))
                or 0
            )

    def review(self, suggestion_id: int, decision: Review, reviewer: str) -> Suggestion:
        if decision is Review.NEW:
            raise InvalidInput("decision: accepted or rejected")
        with self._store.session() as s, s.begin():
            row = s.get(KbSuggestion, suggestion_id)
            if row is None:
                raise NotFound(f"no suggestion #{suggestion_id}")
            if row.status != Review.NEW.value:
                raise Conflict(f"suggestion #{suggestion_id} was already {row.status}")
            row.status, row.reviewed_by, row.reviewed_at = decision.value, reviewer, utcnow()
            return _suggestion(row)
