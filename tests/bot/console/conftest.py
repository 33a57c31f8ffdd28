"""Console fixtures: an app with fakes, accounts, a logged-in client, a collecting channel, an SSE reader."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from bot.console.accounts import Role
from bot.storage.store import ConversationStore
from tests.bot.console.fakes import CollectingOutput, EscalatingDialogue
from tests.fakes import running_app

PASSWORD = "correct horse battery"
SECRET_TEXT = "my residence permit number is FI-12345"  # what must never leak to someone not logged in


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def console_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed session secret, and argon2 cheap enough for tests that log in dozens of times."""
    monkeypatch.setenv("NEUVO_SESSION_SECRET", "s" * 48)
    monkeypatch.setenv("NEUVO_CONSOLE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("NEUVO_CONSOLE_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.delenv("NEUVO_CONSOLE_SECURE_COOKIES", raising=False)
    monkeypatch.delenv("NEUVO_CONSOLE_LOCKOUT_ATTEMPTS", raising=False)


@dataclass
class Console:
    """The running app and what tests need to drive the console."""

    app: FastAPI
    client: httpx.AsyncClient
    dialogue: EscalatingDialogue
    telegram: CollectingOutput
    sms: CollectingOutput

    @property
    def store(self) -> ConversationStore:
        return self.app.state.store  # type: ignore[no-any-return]

    def new_client(self) -> httpx.AsyncClient:
        """Another browser: its own cookies."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://app")

    async def account(self, username: str, role: Role = Role.ADVISOR, password: str = PASSWORD) -> None:
        await anyio.to_thread.run_sync(self.app.state.console.accounts.create, username, password, role)

    async def login(
        self, username: str, password: str = PASSWORD, client: httpx.AsyncClient | None = None
    ) -> httpx.Response:
        client = client or self.client
        form = await client.get("/console/login")
        nonce = field_value(form.text, "csrf_token")
        return await client.post(
            "/console/login",
            data={"username": username, "password": password, "csrf_token": nonce, "next": "/console"},
            headers={"accept": "text/html"},
        )

    async def csrf(self, client: httpx.AsyncClient | None = None) -> str:
        page = await (client or self.client).get("/console", headers={"accept": "text/html"})
        match = re.search(r'<meta name="csrf-token" content="([^"]*)">', page.text)
        assert match, page.text[:500]
        return html.unescape(match.group(1))

    async def post(
        self, path: str, data: dict[str, str] | None = None, client: httpx.AsyncClient | None = None
    ) -> httpx.Response:
        """A form POST as the browser sends it, with the session's CSRF token."""
        client = client or self.client
        token = await self.csrf(client)
        return await client.post(
            path, data={**(data or {}), "csrf_token": token}, headers={"accept": "text/html"}
        )

    async def say(self, sender: str, text: str, channel: str = "telegram") -> Any:
        """A person's message through the hub, as a channel adapter hands it over."""
        from bot.conversation.messages import InboundMessage

        return await self.app.state.hub.process(InboundMessage(sender_id=sender, text=text, channel=channel))

    async def escalate(
        self, sender: str = "1001", channel: str = "telegram", text: str = ""
    ) -> tuple[str, int]:
        """A person on `channel` asks for a human; returns (conversation id, escalation id)."""
        await self.say(sender, text or "hello there, I have a question about my permit", channel)
        result = await self.say(sender, "I want a human please", channel)
        escalations = self.store.escalations(result.conversation_id)
        return result.conversation_id, escalations[-1].id


def field_value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no {name} field"
    return html.unescape(match.group(1))


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    dialogue = EscalatingDialogue()
    async with running_app(tmp_path, dialogue) as (app, client):
        dialogue.store = app.state.store
        telegram, sms = CollectingOutput("telegram"), CollectingOutput("sms")
        app.state.hub.register_output(telegram)
        app.state.hub.register_output(sms)
        yield Console(app, client, dialogue, telegram, sms)


class SseStream:
    """Reads /console/events as a browser does, chunk by chunk, while the test goes on.

    httpx's ASGI transport only returns a response once it is complete, so the stream is read by calling
    the ASGI app directly with a `send` that queues every body chunk.
    """

    def __init__(self, app: FastAPI, cookies: httpx.Cookies) -> None:
        self.app = app
        self.cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        self.status: int | None = None
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self._closed = asyncio.Event()
        self._buffer = ""
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SseStream:
        requested = False

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await self._closed.wait()
            return {"type": "http.disconnect"}

        started: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and not started.done():
                started.set_result(message["status"])
            elif message["type"] == "http.response.body":
                self._chunks.put_nowait(message.get("body", b""))

        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/console/events",
            "raw_path": b"/console/events",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"app"),
                (b"accept", b"text/event-stream"),
                (b"cookie", self.cookie.encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("app", 80),
        }
        self._task = asyncio.create_task(self.app(scope, receive, send))  # type: ignore[arg-type]
        self.status = await asyncio.wait_for(started, 5)
        return self

    async def next_event(self, timeout: float = 5.0) -> tuple[str, dict[str, Any]]:
        """The next `event:` frame (comments and the retry line are skipped)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            while "\n\n" in self._buffer:
                frame, self._buffer = self._buffer.split("\n\n", 1)
                kind, data = "", ""
                for line in frame.splitlines():
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        data = line[6:]
                if kind:
                    return kind, json.loads(data)
            remaining = deadline - asyncio.get_running_loop().time()
            chunk = await asyncio.wait_for(self._chunks.get(), max(0.01, remaining))
            self._buffer += chunk.decode()

    async def connected(self) -> None:
        """Wait for the stream's first line: from then on no event is missed."""
        chunk = await asyncio.wait_for(self._chunks.get(), 5)
        assert b"connected" in chunk
        self._buffer += chunk.decode().split(": connected\n\n", 1)[1]

    async def __aexit__(self, *exc: object) -> None:
        self._closed.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, 5)
