"""Fixtures of the roaming advisory's tests: a fresh database and the bot's texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.dialogue.responses import ResponseCatalog
from bot.storage.store import ConversationStore


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(f"sqlite:///{tmp_path / 'roaming.db'}")


@pytest.fixture(scope="session")
def responses() -> ResponseCatalog:
    return ResponseCatalog.load(REPO_ROOT / "domain.yml")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
