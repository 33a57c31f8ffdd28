"""Talking to the Rasa server over loopback HTTP; only this module knows Rasa's wire format."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Sequence
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
    """Sends messages to the Neuvo channel of one or more Rasa servers; remembers which of them are up.

    After a failure the client goes straight to degraded mode (no waiting on a dead server) until `check`
    sees Rasa answer again; `monitor` runs that check in the background, so full mode resumes by itself.

    With several servers (`RASA_URL` listing them; they must share their tracker and lock stores, see
    `endpoints.production.yml`), each conversation goes to the same healthy server, chosen by rendezvous
    hashing of its id, so a server going down moves only its own conversations. A message is passed on to the
    next server only when the first could not be connected to: after a timeout or an error the first may have
    handled it already, and handling it twice would repeat the turn, so that one message is answered in
    degraded mode and the next goes elsewhere.
    """

    def __init__(self, base_url: str | Sequence[str], token: str, timeout: float = 2.0) -> None:
        urls = [u.strip().rstrip("/") for u in base_url.split(",")] if isinstance(base_url, str) else base_url
        if not urls or not all(urls):
            raise ValueError(f"no Rasa URL in {base_url!r}")
        self._token = token
        self._timeout = timeout
        self._instances = [
            _Instance(
                url,
                httpx.AsyncClient(
                    base_url=url, timeout=httpx.Timeout(timeout), limits=httpx.Limits(max_connections=64)
                ),
            )
            for url in urls
        ]

    @property
    def available(self) -> bool:
        return any(i.available for i in self._instances)

    @property
    def urls(self) -> list[str]:
        return [i.url for i in self._instances]

    @property
    def status(self) -> dict[str, Any]:
        if len(self._instances) == 1:
            return self._instances[0].status()
        checked = [i.checked_at for i in self._instances if i.checked_at]
        return {
            "reachable": self.available,
            "url": ",".join(self.urls),
            "last_error": None if self.available else self._last_error(),
            "checked_seconds_ago": round(time.monotonic() - max(checked), 1) if checked else None,
            "instances": [i.status() for i in self._instances],
        }

    def route(self, conversation_id: str) -> list[str]:
        """The healthy servers in the order this conversation tries them (the first one normally)."""
        return [i.url for i in self._ranked(conversation_id)]

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        candidates = self._ranked(conversation_id)
        if not candidates:
            raise RasaUnavailable(self._last_error())
        refused: httpx.HTTPError | None = None
        for instance in candidates:
            try:
                response = await instance.client.post(
                    "/webhooks/neuvo/webhook",
                    json={"sender": conversation_id, "message": text, "metadata": metadata},
                    headers={"X-Neuvo-Token": self._token},
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                self._mark_down(instance, type(exc).__name__)
                refused = exc  # the message never reached this server: the next one may take it
                continue
            except httpx.TimeoutException as exc:
                self._mark_down(instance, f"no answer within {self._timeout:g} s")
                raise RasaUnavailable("timeout") from exc
            except httpx.HTTPError as exc:
                self._mark_down(instance, f"{type(exc).__name__}")
                raise RasaUnavailable(str(exc)) from exc
            if response.status_code != 200:
                self._mark_down(instance, f"HTTP {response.status_code}")
                raise RasaUnavailable(f"HTTP {response.status_code}")
            return _parse_turn(response.json())
        raise RasaUnavailable(str(refused)) from refused

    async def forget(self, conversation_id: str) -> None:
        """Replace the conversation's tracker with an empty one on every server.

        With shared stores one server is enough; with in-memory stores each server holds its own copy. Raises
        RasaUnavailable if no server accepted it.
        """
        errors = []
        for instance in self._instances:
            try:
                response = await instance.client.put(
                    f"/conversations/{conversation_id}/tracker/events",
                    params={"token": self._token},
                    json=[],
                )
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
                continue
            if response.status_code != 200:
                errors.append(f"HTTP {response.status_code}")
        if len(errors) == len(self._instances):
            raise RasaUnavailable("; ".join(errors))
        if errors:
            log.warning("dialogue state not erased on %d Rasa server(s): %s", len(errors), "; ".join(errors))

    async def check(self) -> bool:
        """Ask every server for its status (needs the loaded model); updates `available`."""
        was_available = self.available
        await asyncio.gather(*(self._check(i) for i in self._instances))
        if self.available and not was_available:
            log.info("Rasa is reachable: full mode")
        return self.available

    async def monitor(self, interval_up: float = 10.0, interval_down: float = 1.0) -> None:
        while True:
            await self.check()
            all_up = all(i.available for i in self._instances)
            await asyncio.sleep(interval_up if all_up else interval_down)

    async def aclose(self) -> None:
        for instance in self._instances:
            await instance.client.aclose()

    def _ranked(self, conversation_id: str) -> list[_Instance]:
        """Healthy servers, highest rendezvous weight first: stable while the set of healthy servers is."""
        healthy = [i for i in self._instances if i.available]
        return sorted(healthy, key=lambda i: _weight(i.url, conversation_id), reverse=True)

    async def _check(self, instance: _Instance) -> None:
        try:
            response = await instance.client.get("/status", params={"token": self._token})
            ok = response.status_code == 200 and bool(response.json().get("model_file"))
            error = "" if ok else f"status HTTP {response.status_code}"
        except (httpx.HTTPError, ValueError) as exc:
            ok, error = False, type(exc).__name__
        instance.checked_at = time.monotonic()
        if not ok:
            self._mark_down(instance, error)
            return
        if not instance.available and len(self._instances) > 1:
            log.info("Rasa at %s is reachable again", instance.url)
        instance.available = True

    def _mark_down(self, instance: _Instance, reason: str) -> None:
        if instance.available:
            if any(i.available for i in self._instances if i is not instance):
                log.warning(
                    "Rasa at %s unavailable (%s): its conversations go to the others", instance.url, reason
                )
            else:
                log.warning("Rasa unavailable (%s): degraded mode", reason)
        instance.available = False
        instance.last_error = reason

    def _last_error(self) -> str:
        if len(self._instances) == 1:
            return self._instances[0].last_error
        return "; ".join(f"{i.url}: {i.last_error}" for i in self._instances)


@dataclass
class _Instance:
    """One Rasa server and what the client last saw of it."""

    url: str
    client: httpx.AsyncClient
    available: bool = False
    last_error: str = "not checked yet"
    checked_at: float = 0.0

    def status(self) -> dict[str, Any]:
        return {
            "reachable": self.available,
            "url": self.url,
            "last_error": None if self.available else self.last_error,
            "checked_seconds_ago": round(time.monotonic() - self.checked_at, 1) if self.checked_at else None,
        }


def _weight(url: str, conversation_id: str) -> bytes:
    return hashlib.blake2b(f"{url}\0{conversation_id}".encode(), digest_size=8).digest()


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
