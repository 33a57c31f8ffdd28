"""A fake Rasa server on loopback: the Neuvo channel, /status and tracker erasure, with a switch to stop it.

It speaks the wire format of `rasa_addons/neuvo_channel.py`, so the real `HttpRasaClient` talks to it over
real sockets: a stopped server refuses connections exactly as a dead Rasa does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.launcher import free_port


@dataclass
class FakeRasaServer:
    """Answers "<name>: <text>"; `delay` makes it slow (a timeout), `stop`/`start` take it away and back."""

    name: str
    token: str = "test-token"
    port: int = field(default_factory=free_port)
    delay: float = 0.0
    received: list[tuple[str, str]] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def senders(self) -> set[str]:
        return {sender for sender, _ in self.received}

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/status")
        async def status(token: str = "") -> JSONResponse:
            if token != self.token:
                return JSONResponse({"error": "forbidden"}, status_code=401)
            return JSONResponse({"model_file": "fake.tar.gz"})

        @app.post("/webhooks/neuvo/webhook")
        async def webhook(request: Request) -> JSONResponse:
            if request.headers.get("X-Neuvo-Token") != self.token:
                return JSONResponse({"error": "forbidden"}, status_code=403)
            body: dict[str, Any] = await request.json()
            if self.delay:
                await asyncio.sleep(self.delay)
            self.received.append((body["sender"], body["message"]))
            return JSONResponse(
                {
                    "messages": [{"recipient_id": body["sender"], "text": f"{self.name}: {body['message']}"}],
                    "intent": {"name": "greet", "confidence": 0.9},
                    "turn": {"actions": ["utter_greet", "action_listen"], "slots_set": {}},
                }
            )

        @app.put("/conversations/{conversation_id}/tracker/events")
        async def replace_events(conversation_id: str, token: str = "") -> JSONResponse:
            if token != self.token:
                return JSONResponse({"error": "forbidden"}, status_code=401)
            self.forgotten.append(conversation_id)
            return JSONResponse({"sender_id": conversation_id, "events": []})

        return app

    async def start(self) -> None:
        config = uvicorn.Config(
            self._app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises why it could not start
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._server = self._task = None


@contextlib.asynccontextmanager
async def fake_rasa_servers(*names: str) -> AsyncIterator[list[FakeRasaServer]]:
    servers = [FakeRasaServer(name) for name in names]
    for server in servers:
        await server.start()
    try:
        yield servers
    finally:
        for server in servers:
            await server.stop()
