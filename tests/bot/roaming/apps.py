"""The whole app for the roaming tests: real engine, store, hub and actions; `RoamingDialogue` for Rasa."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from bot.app.main import create_app
from bot.config import KnowledgeSettings
from bot.dialogue.responses import ResponseCatalog
from bot.settings import AppSettings
from bot.storage.store import ConversationStore
from channels.base import ChannelAdapter
from tests.bot.roaming.dialogue import RoamingDialogue
from tests.tiny_kb import tiny_retriever


@functools.cache
def catalog(domain: Path) -> ResponseCatalog:
    return ResponseCatalog.load(domain)


@dataclass
class RoamingApp:
    app: FastAPI
    client: httpx.AsyncClient
    dialogue: RoamingDialogue

    @property
    def store(self) -> ConversationStore:
        store: ConversationStore = self.app.state.store
        return store

    @property
    def responses(self) -> ResponseCatalog:
        responses: ResponseCatalog = self.app.state.responses
        return responses

    def text(self, name: str, language: str, **values: Any) -> str:
        return self.responses.render(name, language, **values).text  # type: ignore[arg-type]

    async def chat(self, sender: str, text: str, language: str | None = None) -> dict[str, Any]:
        """One message through /api/chat (the web chat's channel)."""
        body: dict[str, Any] = {"sender_id": sender, "text": text}
        if language:
            body["language"] = language
        response = await self.client.post("/api/chat", json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


def make_dialogue(holder: dict[str, FastAPI], domain: Path, intents: dict[str, str]) -> RoamingDialogue:
    return RoamingDialogue(lambda: holder["app"].state.executor, catalog(domain), intents)


@asynccontextmanager
async def roaming_app(
    tmp_path: Path, intents: dict[str, str], channels: Sequence[ChannelAdapter] = ()
) -> AsyncIterator[RoamingApp]:
    settings = AppSettings.from_env(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "NEUVO_RASA_TOKEN": "test-token"}
    )
    holder: dict[str, FastAPI] = {}
    dialogue = make_dialogue(holder, settings.domain_path, intents)
    app = create_app(
        settings,
        KnowledgeSettings.from_env(),
        dialogue=dialogue,
        retriever=tiny_retriever(tmp_path),
        channels=list(channels),
    )
    holder["app"] = app
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield RoamingApp(app, client, dialogue)


def texts(reply: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in reply["replies"])


def payloads(reply: dict[str, Any]) -> list[str]:
    return [b["payload"] for r in reply["replies"] for b in r["buttons"]]
