"""The topic taxonomy every knowledge-base entry must use (../shared/taxonomy.yml)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict


class Topic(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    audience: str
    # Two titles in the shared file contain unquoted commas inside a flow mapping, which YAML reads as
    # extra keys with null values; only the ids matter to Neuvo, so titles are kept as read.
    title: dict[str, str | None]
    scope: str


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int
    topics: list[Topic]

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.topics]

    def get(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)


def load_taxonomy(path: Path) -> Taxonomy:
    with path.open(encoding="utf-8") as f:
        return Taxonomy.model_validate(yaml.safe_load(f))
