"""The hybrid retriever: detect the language, score every entry, rank, and decide whether to answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.config import KnowledgeSettings
from bot.knowledge.loader import KnowledgeBase, load_knowledge_base
from bot.knowledge.schema import Entry
from bot.languages import Language, as_language
from bot.retrieval.embedders import Embedder, SentenceTransformerEmbedder
from bot.retrieval.index import ALL, KnowledgeIndex, load_or_build
from bot.retrieval.language_detection import LanguageIdentifier
from bot.retrieval.scoring import Calibration, EntryScores, Mode, ScoringParams
from bot.retrieval.text import InvalidQuery, features, has_letters, validate_query

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class Answer:
    """The text to give the user, in their language where the entry has it (else English, flagged)."""

    entry_id: str
    topic: str
    language: Language
    fallback_language: bool
    title: str
    text: str
    short: str
    sources: list[str]
    last_reviewed: str
    review_status: str


@dataclass(frozen=True)
class RetrievalResult:
    language: Language
    language_confidence: float
    confidence: float
    hits: list[Hit] = field(default_factory=list)
    answer: Answer | None = None
    reason: str = ""


def make_answer(entry: Entry, language: Language) -> Answer:
    lang, tr = entry.translation(language)
    return Answer(
        entry_id=entry.id,
        topic=entry.topic,
        language=lang,
        fallback_language=lang != language,
        title=tr.title,
        text=tr.answer,
        short=tr.short,
        sources=list(entry.sources),
        last_reviewed=entry.last_reviewed.isoformat(),
        review_status=tr.review.status.value,
    )


class Retriever:
    """Answers a question from the knowledge base, or honestly finds no answer."""

    def __init__(
        self,
        kb: KnowledgeBase,
        index: KnowledgeIndex,
        embedder: Embedder,
        calibration: Calibration,
        identifier: LanguageIdentifier | None = None,
    ) -> None:
        if index.entry_ids != [e.id for e in kb.entries]:
            raise ValueError("the index was built from other knowledge-base content")
        self.kb = kb
        self.index = index
        self.embedder = embedder
        self.calibration = calibration
        self.identifier = identifier or LanguageIdentifier(index.shared_terms)
        self._topics = np.array([e.topic for e in kb.entries])
        self._audiences = np.array([e.audience.value for e in kb.entries])
        self._by_id = {e.id: e for e in kb.entries}

    def answer_for(self, entry_id: str, language: Language) -> Answer | None:
        """The answer of one entry in `language` (English where it lacks it), or None for an unknown id."""
        entry = self._by_id.get(entry_id)
        return make_answer(entry, language) if entry else None

    @classmethod
    def from_settings(cls, settings: KnowledgeSettings, *, show_progress: bool = True) -> Retriever:
        kb = load_knowledge_base(settings.entries_dir)
        for problem in kb.problems:
            log.warning("knowledge base: %s (entry left out)", problem)
        calibration = load_calibration(settings.calibration_path, kb)
        embedder = SentenceTransformerEmbedder(settings.embedding_model, cache_dir=settings.cache_dir)
        index, _ = load_or_build(kb, embedder, settings.cache_dir, show_progress=show_progress)
        retriever = cls(kb, index, embedder, calibration)
        retriever.identifier.warm_up()  # load lingua's models now, not on the first user's message
        return retriever

    def entry_scores(self, text: str, language: Language) -> EntryScores:
        n = len(self.kb.entries)
        vector = self.embedder.encode([text])[0]
        query_features = features(text, language)

        def best_per_entry(scope: str, kind: str) -> np.ndarray:
            out = np.zeros(n, dtype=np.float32)
            idx = self.index.scopes.get(scope)
            if idx is None:
                return out
            if kind == "whole":
                np.maximum.at(out, idx.whole_entry_ids, idx.whole_entries.scores(query_features))
                return out
            doc_scores = idx.dense.scores(vector) if kind == "dense" else idx.lexical.scores(query_features)
            np.maximum.at(out, idx.entries, np.maximum(doc_scores, 0.0))
            return out

        own = language if language in self.index.scopes else ALL
        return EntryScores(
            dense=best_per_entry(own, "dense"),
            lexical=best_per_entry(own, "lexical"),
            whole_entry=best_per_entry(own, "whole"),
            lexical_all=best_per_entry(ALL, "lexical"),
            whole_entry_all=best_per_entry(ALL, "whole"),
        )

    def detect_language(self, text: str, language: str | None) -> tuple[Language, float]:
        if language:
            return as_language(language), 1.0
        detected = self.identifier.detect(text)
        return detected.language, detected.confidence

    def decide(
        self,
        scores: EntryScores,
        params: ScoringParams,
        language: Language,
        language_confidence: float,
        k: int,
        audience: str | None = None,
    ) -> RetrievalResult:
        """Rank entries by fused score; answer from the top one only if its calibrated confidence is high.

        With an `audience`, only entries for that audience (or for all) can be found.
        """
        fused = params.fused(scores)
        if audience is not None:
            fused = np.where(np.isin(self._audiences, [audience, "all"]), fused, -1e6)
        order = np.argsort(-fused, kind="stable")
        top = int(order[0])
        other_topic = fused[(self._topics != self._topics[top]) & (fused > -1e5)]
        margin = float(fused[top] - (other_topic.max() if len(other_topic) else 0.0))
        confidence = params.confidence(float(fused[top]), margin)
        hits = [
            Hit(self.kb.entries[i], float(fused[i]), float(scores.dense[i]), float(scores.lexical[i]))
            for i in (int(j) for j in order[:k])
        ]
        answer = make_answer(self.kb.entries[top], language) if confidence >= params.threshold else None
        return RetrievalResult(
            language=language,
            language_confidence=language_confidence,
            confidence=confidence,
            hits=hits,
            answer=answer,
            reason="" if answer else "below_threshold",
        )

    def search(
        self,
        text: str,
        *,
        language: str | None = None,
        k: int = 5,
        mode: Mode = Mode.HYBRID,
        audience: str | None = None,
    ) -> RetrievalResult:
        """Raises InvalidQuery (with a plain message) for empty, oversized or non-text input."""
        cleaned = validate_query(text)
        if k < 1:
            raise InvalidQuery("k must be at least 1")
        lang, lang_confidence = self.detect_language(cleaned, language)
        if not has_letters(cleaned):
            return RetrievalResult(lang, lang_confidence, 0.0, reason="no_words")
        scores = self.entry_scores(cleaned, lang)
        return self.decide(scores, self.calibration.modes[mode], lang, lang_confidence, k, audience)


def load_calibration(path: Path, kb: KnowledgeBase) -> Calibration:
    if not path.is_file():
        log.warning("no calibration at %s: using defaults; run `neuvo kb calibrate`", path)
        return Calibration.default()
    calibration = Calibration.load(path)
    if calibration.kb_hash and calibration.kb_hash != kb.content_hash:
        log.warning("the calibration was fitted on other knowledge-base content; run `neuvo kb calibrate`")
    return calibration
