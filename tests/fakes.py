"""Deterministic stand-ins for the dialogue engine, and an app wired to them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from bot.app.main import create_app
from bot.config import KnowledgeSettings
from bot.conversation.rasa_client import RasaTurn, RasaUnavailable
from bot.dialogue.responses import BotMessage
from bot.settings import AppSettings
from tests.tiny_kb import tiny_retriever


class FakeDialogue:
    """Echoes every message; can be switched off to act like a Rasa that is down."""

    def __init__(self) -> None:
        self.available = True
        self.seen: list[tuple[str, str, str]] = []
        self.forgotten: list[str] = []

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        if not self.available:
            raise RasaUnavailable("down")
        self.seen.append((conversation_id, text, metadata["language"]))
        await asyncio.sleep(0)  # give other requests the chance to interleave, were there no per-sender lock
        return RasaTurn([BotMessage(f"echo: {text}")], "greet", 0.99)

    async def check(self) -> bool:
        return self.available

    async def forget(self, conversation_id: str) -> None:
        self.forgotten.append(conversation_id)

    async def monitor(self) -> None:
        return None


@asynccontextmanager
async def running_app(
    tmp_path: Path, dialogue: FakeDialogue, database_url: str | None = None
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = AppSettings.from_env(
        {"DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'app.db'}", "NEUVO_RASA_TOKEN": "test-token"}
    )
    app = create_app(
        settings,
        KnowledgeSettings.from_env(),
        dialogue=dialogue,
        retriever=tiny_retriever(tmp_path),
        channels=[],
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield app, client
