"""Checks across entries that a single entry's schema cannot see: taxonomy, coverage, duplicates."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from bot.knowledge.loader import KnowledgeBase, Problem, load_knowledge_base
from bot.knowledge.taxonomy import Taxonomy
from bot.languages import LANGUAGES


def _question_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def validate_knowledge_base(
    entries_dir: Path, taxonomy: Taxonomy, *, require_all_topics: bool = True
) -> tuple[KnowledgeBase, list[Problem]]:
    """Load and check the knowledge base; an empty problem list means it is valid."""
    kb = load_knowledge_base(entries_dir)
    problems = list(kb.problems)
    known_topics = set(taxonomy.ids)
    seen_questions: dict[str, str] = {}

    for entry in kb.entries:
        file = kb.source_files[entry.id]
        if entry.topic not in known_topics:
            problems.append(Problem(file, entry.id, f"unknown topic {entry.topic!r} (not in the taxonomy)"))
        expected_file = f"{entry.topic}.yml"
        if not file.endswith("/" + expected_file) and entry.topic in known_topics:
            problems.append(Problem(file, entry.id, f"topic {entry.topic!r} belongs in {expected_file}"))
        missing = [lang for lang in LANGUAGES if lang not in entry.translations]
        if missing:
            problems.append(Problem(file, entry.id, f"missing language(s): {', '.join(missing)}"))
        for lang, translation in entry.translations.items():
            for question in translation.questions:
                key = f"{lang}:{_question_key(question)}"
                if key in seen_questions:
                    problems.append(
                        Problem(
                            file,
                            entry.id,
                            f"{lang}: duplicate example question {question!r} "
                            f"(also in entry {seen_questions[key]!r})",
                        )
                    )
                else:
                    seen_questions[key] = entry.id
    if require_all_topics:
        covered = kb.topics
        for topic_id in taxonomy.ids:
            if topic_id not in covered:
                problems.append(
                    Problem(f"entries/{topic_id}.yml", None, f"topic {topic_id!r} has no valid entry")
                )
    return kb, problems


def coverage(kb: KnowledgeBase, taxonomy: Taxonomy) -> dict[str, dict[str, int]]:
    """Number of entries per topic and language, for every taxonomy topic."""
    table: dict[str, dict[str, int]] = {t: dict.fromkeys(LANGUAGES, 0) for t in taxonomy.ids}
    for entry in kb.entries:
        # Entries of unknown topics are listed too, after the taxonomy's topics.
        row = table.setdefault(entry.topic, dict.fromkeys(LANGUAGES, 0))
        for lang in entry.translations:
            row[lang] += 1
    return table
