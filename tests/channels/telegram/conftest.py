"""Fixtures for the Telegram channel: the fake Bot API on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes_telegram import FakeBotApi
from tests.tiny_kb import tiny_retriever


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api


@pytest.fixture(scope="session", autouse=True)
def warm_language_models(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Load the language detector's models once, before any test's clock starts (the first use takes
    seconds, the rest milliseconds), so the time limits in these tests measure the channel."""
    tiny_retriever(tmp_path_factory.mktemp("warm")).identifier.warm_up()
