"""Shared fixtures: no network but loopback, the real knowledge base, and deterministic fakes."""

from __future__ import annotations

import hashlib
import ipaddress
import shutil
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.config import REPO_ROOT, KnowledgeSettings

SHARED = REPO_ROOT.parent / "shared"
DEV_SET = SHARED / "eval" / "dev.jsonl"


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach the internet: any connection but loopback fails loudly."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise RuntimeError(f"network access in a test: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(scope="session")
def settings() -> KnowledgeSettings:
    return KnowledgeSettings.from_env()


@pytest.fixture
def kb_copy(tmp_path: Path, settings: KnowledgeSettings) -> Path:
    """A writable copy of the real knowledge-base folder (entries only)."""
    target = tmp_path / "knowledge_base"
    shutil.copytree(settings.entries_dir, target / "entries")
    return target


class HashingEmbedder:
    """A deterministic stand-in for a sentence-transformers model: hashed character trigrams."""

    def __init__(self, dimension: int = 64, salt: str = "") -> None:
        self._dimension = dimension
        self._salt = salt

    @property
    def fingerprint(self) -> str:
        return f"hashing-{self._dimension}-{self._salt}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f"  {text.casefold()}  "
            for i in range(len(padded) - 2):
                h = int.from_bytes(hashlib.blake2b(padded[i : i + 3].encode(), digest_size=4).digest(), "big")
                out[row, h % self._dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def real_retriever(settings: KnowledgeSettings) -> Iterator[Any]:
    """The production retriever over the real knowledge base (builds or loads the cached index)."""
    from bot.retrieval.retriever import Retriever

    yield Retriever.from_settings(settings, show_progress=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on SQLite (the default) and on the real PostgreSQL (skipped when absent)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}"
        return
    from tests.databases import fresh_postgres_database

    with fresh_postgres_database() as url:
        yield url
