"""Load knowledge-base YAML files into validated entries, collecting every problem instead of stopping."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.knowledge.schema import Entry

# libyaml's C parser reads the knowledge base several times faster than the pure-Python one (start-up time).
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge base, located by file and entry."""

    file: str
    entry: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: entry {self.entry!r}" if self.entry else self.file
        return f"{where}: {self.message}"


@dataclass
class KnowledgeBase:
    """The loaded entries, the file each came from, and a hash of the content they were read from."""

    entries: list[Entry]
    source_files: dict[str, str]
    content_hash: str
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_id = {e.id: e for e in self.entries}

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    @property
    def topics(self) -> set[str]:
        return {e.topic for e in self.entries}


def _format_validation_error(error: ValidationError) -> Iterable[str]:
    for detail in error.errors():
        loc = ".".join(str(part) for part in detail["loc"]) or "(entry)"
        yield f"{loc}: {detail['msg']}"


def entry_files(entries_dir: Path) -> list[Path]:
    return sorted(p for p in entries_dir.glob("*.yml") if p.is_file())


def content_hash(files: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def load_knowledge_base(entries_dir: Path) -> KnowledgeBase:
    """Read every `*.yml` in `entries_dir`; invalid entries are left out and reported in `problems`."""
    files = entry_files(entries_dir)
    problems: list[Problem] = []
    entries: list[Entry] = []
    source_files: dict[str, str] = {}
    if not files:
        problems.append(Problem(str(entries_dir), None, "no entry files (*.yml) found"))
    for path in files:
        label = _label(path)
        try:
            with path.open(encoding="utf-8") as f:
                document = yaml.load(f, Loader=_YamlLoader)  # a safe loader (CSafeLoader or SafeLoader)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(Problem(label, None, f"not valid YAML/UTF-8: {exc}"))
            continue
        if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
            problems.append(Problem(label, None, "expected a mapping with a list under `entries`"))
            continue
        for position, raw in enumerate(document["entries"], start=1):
            name = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") else f"#{position}"
            if not isinstance(raw, dict):
                problems.append(Problem(label, name, "an entry must be a mapping"))
                continue
            try:
                entry = Entry.model_validate(raw)
            except ValidationError as exc:
                problems.extend(Problem(label, name, msg) for msg in _format_validation_error(exc))
                continue
            if entry.id in source_files:
                problems.append(
                    Problem(label, entry.id, f"duplicate entry id (also in {source_files[entry.id]})")
                )
                continue
            entries.append(entry)
            source_files[entry.id] = label
    return KnowledgeBase(entries, source_files, content_hash(files), problems)


def _label(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[-3:]) if len(parts) >= 3 else str(path)
