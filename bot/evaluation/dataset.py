"""Question sets in the ../shared/eval JSONL format."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bot.languages import Language, is_language


class DatasetError(ValueError):
    """A line of an evaluation file is not in the expected format; the message names the line."""


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    lang: Language
    text: str
    kind: str  # "topic", "out_of_scope" or "intent"
    topic: str | None = None
    intent: str | None = None


def load_questions(path: Path) -> list[EvalQuestion]:
    questions: list[EvalQuestion] = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                lang, text, expect = row["lang"], row["text"], row["expect"]
                qid = str(row.get("id", f"line{number}"))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DatasetError(f"{path}:{number}: not a question line ({exc})") from exc
            if not is_language(lang) or not isinstance(text, str) or not isinstance(expect, dict):
                raise DatasetError(f"{path}:{number}: bad lang, text or expect")
            if "intent" in expect:
                questions.append(EvalQuestion(qid, lang, text, "intent", intent=str(expect["intent"])))
            elif "topic" in expect:
                topic = expect["topic"]
                kind = "topic" if topic else "out_of_scope"
                questions.append(EvalQuestion(qid, lang, text, kind, topic=topic or None))
            else:
                raise DatasetError(f"{path}:{number}: expect has neither topic nor intent")
    return questions
