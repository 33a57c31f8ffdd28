"""The app with only the Telegram channel, wired to the fake Bot API, and a dialogue that acts like Rasa."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from bot.app.main import create_app
from bot.config import KnowledgeSettings
from bot.conversation.rasa_client import RasaTurn
from bot.dialogue.responses import BotMessage, ResponseCatalog
from bot.languages import Language
from bot.settings import AppSettings
from bot.storage.models import Conversation, InboundReceipt, Message
from bot.storage.store import ConversationRecord, ConversationStore
from channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from channels.telegram.client import Backoff, Timeouts
from channels.telegram.output import RetryPolicy
from tests.fakes import FakeDialogue
from tests.fakes_telegram import FakeBotApi
from tests.tiny_kb import tiny_retriever

SECRET = "test-webhook-secret_0123456789"
FAST_BACKOFF = Backoff(first=0.01, maximum=0.05, jitter=0)
FAST_RETRY = RetryPolicy(attempts=4, backoff=FAST_BACKOFF, retry_after_cap=30)
_SET_LANGUAGE = re.compile(r'^/set_language\{"language": ?"([a-z]{2})"\}$')


class RasaLikeDialogue(FakeDialogue):
    """Echoes like FakeDialogue, but a language button does what Rasa's action_set_language does
    (stores the language, answers utter_language_set in it), and `scripted` texts get fixed replies."""

    def __init__(self, responses: ResponseCatalog) -> None:
        super().__init__()
        self.responses = responses
        self.store: ConversationStore | None = None
        self.scripted: dict[str, list[BotMessage]] = {}

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        chosen = _SET_LANGUAGE.match(text)
        if chosen:
            self.seen.append((conversation_id, text, metadata["language"]))
            language: Language = chosen.group(1)  # type: ignore[assignment]
            assert self.store is not None
            store = self.store
            await anyio.to_thread.run_sync(lambda: store.set_language(conversation_id, language, locked=True))
            return RasaTurn(
                [self.responses.render("utter_language_set", language)],
                "set_language",
                1.0,
                actions=["action_set_language"],
                slots={"language": language},
            )
        if text in self.scripted:
            self.seen.append((conversation_id, text, metadata["language"]))
            return RasaTurn(self.scripted[text], "ask_question", 0.99)
        return await super().send(conversation_id, text, metadata)


class RecordingSleep:
    """Records every wait asked for and waits only briefly, so retry timing is checked without waiting it."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(min(seconds, 0.01))


@dataclass
class TelegramApp:
    app: FastAPI
    client: httpx.AsyncClient
    channel: TelegramChannel
    fake: FakeBotApi
    dialogue: RasaLikeDialogue
    sleep: RecordingSleep
    secret: str = SECRET

    @property
    def store(self) -> ConversationStore:
        store: ConversationStore = self.app.state.store
        return store

    @property
    def responses(self) -> ResponseCatalog:
        responses: ResponseCatalog = self.app.state.responses
        return responses

    def text(self, name: str, language: Language, **values: Any) -> str:
        return self.responses.render(name, language, **values).text

    async def post(
        self, update: dict[str, Any] | bytes | AsyncIterator[bytes], secret: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """POST to the webhook as Telegram does (with the secret header unless told otherwise)."""
        headers = kwargs.pop("headers", {})
        token = self.secret if secret is None else secret
        if token:
            headers[SECRET_HEADER] = token
        if isinstance(update, dict):
            return await self.client.post(WEBHOOK_PATH, json=update, headers=headers, **kwargs)
        return await self.client.post(WEBHOOK_PATH, content=update, headers=headers, **kwargs)

    async def settle(self) -> None:
        """Wait until every accepted update has been handled and its replies sent (or given up)."""
        await self.app.state.hub.idle()

    def stored_rows(self) -> dict[str, int]:
        """How many conversations, messages and update receipts the database holds."""
        with self.store.session() as s:
            return {
                model.__tablename__: int(s.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Conversation, Message, InboundReceipt)
            }

    def conversation(self, chat_id: int) -> ConversationRecord:
        return self.store.conversation("telegram", str(chat_id))


@functools.cache
def _catalog(domain: Path) -> ResponseCatalog:
    return ResponseCatalog.load(domain)


@asynccontextmanager
async def telegram_app(
    tmp_path: Path,
    fake: FakeBotApi,
    *,
    secret: str = SECRET,
    api_url: str | None = None,
    retry: RetryPolicy = FAST_RETRY,
    backoff: Backoff = FAST_BACKOFF,
) -> AsyncIterator[TelegramApp]:
    """The whole app (engine, store, hub) with `channels=[TelegramChannel]` talking to `fake`.

    Webhook mode when `secret` is set, long polling when it is empty.
    """
    settings = AppSettings.from_env(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "NEUVO_RASA_TOKEN": "test-token"}
    )
    responses = _catalog(settings.domain_path)
    sleep = RecordingSleep()
    channel = TelegramChannel(
        fake.token,
        api_url or fake.url,
        responses,
        webhook_secret=secret,
        retry=retry,
        backoff=backoff,
        poll_timeout=1,
        timeouts=Timeouts(connect=1.0, read=3.0, write=3.0, pool=3.0),
        sleep=sleep,
        drain_timeout=5.0,
    )
    dialogue = RasaLikeDialogue(responses)
    app = create_app(
        settings,
        KnowledgeSettings.from_env(),
        dialogue=dialogue,
        retriever=tiny_retriever(tmp_path),
        channels=[channel],
    )
    async with app.router.lifespan_context(app):
        dialogue.store = app.state.store
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield TelegramApp(app, client, channel, fake, dialogue, sleep, secret)
