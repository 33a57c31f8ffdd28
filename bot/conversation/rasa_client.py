"""Talking to the Rasa server over loopback HTTP; only this module knows Rasa's wire format."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from bot.dialogue.responses import BotMessage, Button

log = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer in time, could not be reached, or answered with an error."""


@dataclass(frozen=True)
class RasaTurn:
    """What Rasa did with one message: replies, intent, and the actions run and slots set this turn."""

    messages: list[BotMessage]
    intent: str | None
    intent_confidence: float | None
    actions: list[str] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)


class DialogueEngine(Protocol):
    """The dialogue manager as the app sees it (Rasa, or a fake in tests)."""

    @property
    def available(self) -> bool: ...

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> RasaTurn: ...

    async def check(self) -> bool: ...

    async def forget(self, conversation_id: str) -> None:
        """Erase the dialogue state of one conversation (a person asked to delete their data)."""
        ...


class HttpRasaClient:
    """Sends messages to the Neuvo channel of a Rasa server; remembers whether Rasa is up.

    After a failure the client goes straight to degraded mode (no waiting on a dead server) until `check`
    sees Rasa answer again; `monitor` runs that check in the background, so full mode resumes by itself.
    """

    def __init__(self, base_url: str, token: str, timeout: float = 2.0) -> None:
        self._base_url = base_url
        self._token = token
        self._timeout = timeout
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=httpx.Timeout(timeout), limits=httpx.Limits(max_connections=64)
        )
        self._available = False
        self._last_error = "not checked yet"
        self._checked_at = 0.0

    @property
    def available(self) -> bool:
        return self._available

    @property
    def status(self) -> dict[str, Any]:
        return {
            "reachable": self._available,
            "url": self._base_url,
            "last_error": None if self._available else self._last_error,
            "checked_seconds_ago": round(time.monotonic() - self._checked_at, 1)
            if self._checked_at
            else None,
        }

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        if not self._available:
            raise RasaUnavailable(self._last_error)
        try:
            response = await self._client.post(
                "/webhooks/neuvo/webhook",
                json={"sender": conversation_id, "message": text, "metadata": metadata},
                headers={"X-Neuvo-Token": self._token},
            )
        except httpx.TimeoutException as exc:
            self._mark_down(f"no answer within {self._timeout:g} s")
            raise RasaUnavailable("timeout") from exc
        except httpx.HTTPError as exc:
            self._mark_down(f"{type(exc).__name__}")
            raise RasaUnavailable(str(exc)) from exc
        if response.status_code != 200:
            self._mark_down(f"HTTP {response.status_code}")
            raise RasaUnavailable(f"HTTP {response.status_code}")
        return _parse_turn(response.json())

    async def forget(self, conversation_id: str) -> None:
        """Replace the conversation's tracker with an empty one. Raises RasaUnavailable if Rasa refuses."""
        try:
            response = await self._client.put(
                f"/conversations/{conversation_id}/tracker/events",
                params={"token": self._token},
                json=[],
            )
        except httpx.HTTPError as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code}")

    async def check(self) -> bool:
        """Ask Rasa for its status (needs the loaded model); updates `available`."""
        try:
            response = await self._client.get("/status", params={"token": self._token})
            ok = response.status_code == 200 and bool(response.json().get("model_file"))
            error = "" if ok else f"status HTTP {response.status_code}"
        except (httpx.HTTPError, ValueError) as exc:
            ok, error = False, type(exc).__name__
        self._checked_at = time.monotonic()
        if ok and not self._available:
            log.info("Rasa is reachable: full mode")
        if not ok:
            self._mark_down(error)
        self._available = ok
        return ok

    async def monitor(self, interval_up: float = 10.0, interval_down: float = 1.0) -> None:
        while True:
            await self.check()
            await asyncio.sleep(interval_up if self._available else interval_down)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _mark_down(self, reason: str) -> None:
        if self._available:
            log.warning("Rasa unavailable (%s): degraded mode", reason)
        self._available = False
        self._last_error = reason


def _parse_turn(body: dict[str, Any]) -> RasaTurn:
    messages = []
    for m in body.get("messages") or []:
        text = m.get("text")
        if not text:
            continue
        buttons = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in m.get("buttons") or []]
        messages.append(BotMessage(str(text), buttons))
    intent = body.get("intent") or {}
    turn = body.get("turn") or {}
    return RasaTurn(
        messages=messages,
        intent=intent.get("name"),
        intent_confidence=intent.get("confidence"),
        actions=[str(a) for a in turn.get("actions") or []],
        slots=dict(turn.get("slots_set") or {}),
    )
