"""A tiny two-entry knowledge base, for tests that need a real retriever without the real content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.loader import load_knowledge_base
from bot.retrieval.index import load_or_build
from bot.retrieval.retriever import Retriever
from bot.retrieval.scoring import Calibration, Mode, ScoringParams
from tests.conftest import HashingEmbedder

QUESTIONS: dict[str, dict[str, list[str]]] = {
    "tax": {
        "en": [
            "how do i get a tax card",
            "tax card for my new job",
            "where to order tax card online",
            "tax number for construction work",
            "do i need a tax card",
            "my tax card percentage is wrong",
        ],
        "fi": [
            "mistä saan verokortin",
            "verokortti uuteen työhön",
            "miten tilaan verokortin netissä",
            "veronumero rakennustyömaalle",
            "tarvitsenko verokortin",
            "verokortin prosentti on väärin",
        ],
    },
    "bus": {
        "en": [
            "how much is a bus ticket",
            "where to buy a bus card",
            "bus timetable to the city centre",
            "can i pay the bus with my phone",
            "night buses on weekends",
            "student discount on buses",
        ],
        "fi": [
            "paljonko bussilippu maksaa",
            "mistä ostan bussikortin",
            "bussin aikataulu keskustaan",
            "voiko bussissa maksaa puhelimella",
            "yöbussit viikonloppuna",
            "opiskelija-alennus busseissa",
        ],
    },
}


def _translation(title: str, questions: list[str]) -> dict[str, Any]:
    return {
        "title": title,
        "answer": f"{title}: the answer.",
        "short": f"{title}.",
        "questions": questions,
        "review": {"status": "machine_draft", "by": None, "date": "2026-11-28"},
    }


def write_tiny_kb(root: Path) -> Path:
    entries = root / "entries"
    entries.mkdir(parents=True)
    for topic, key in (("tax_card", "tax"), ("public_transport", "bus")):
        entry = {
            "id": f"{topic}.basics",
            "topic": topic,
            "audience": "immigrant",
            "municipalities": [],
            "sources": ["https://www.infofinland.fi/"],
            "last_reviewed": "2026-11-28",
            "translations": {
                lang: _translation(f"{topic} {lang}", qs) for lang, qs in QUESTIONS[key].items()
            },
        }
        (entries / f"{topic}.yml").write_text(yaml.safe_dump({"entries": [entry]}, allow_unicode=True))
    return entries


def tiny_retriever(root: Path) -> Retriever:
    """A retriever over the tiny knowledge base with the deterministic hashing embedder."""
    entries = write_tiny_kb(root / "kb")
    kb = load_knowledge_base(entries)
    embedder = HashingEmbedder()
    index, _ = load_or_build(kb, embedder, root / "cache", show_progress=False)
    params = ScoringParams(dense_weight=0.5, coef_score=20, coef_margin=0, intercept=-8, threshold=0.5)
    calibration = Calibration({Mode.HYBRID: params, Mode.LEXICAL: params, Mode.DENSE: params})
    return Retriever(kb, index, embedder, calibration)
