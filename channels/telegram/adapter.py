"""The Telegram channel: the webhook route, long polling when there is no webhook, and its lifecycle.

Webhook mode when TELEGRAM_WEBHOOK_SECRET is set (Telegram sends the secret with every update); long
polling otherwise, and then the webhook route refuses everything. Either way an update becomes an
`InboundMessage` for the hub, deduplicated by its update_id, and the route answers Telegram at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from telegram.error import TelegramError

from bot.dialogue.responses import ResponseCatalog
from channels.base import OutputChannel
from channels.hub import ChannelHub
from channels.settings import ChannelSettings
from channels.telegram.client import Backoff, Timeouts, describe, make_bot, protect_logs
from channels.telegram.output import RetryPolicy, Sleep, TelegramOutput
from channels.telegram.polling import LongPoller
from channels.telegram.updates import CHANNEL, MalformedUpdate, Translation, parse_update, translate

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000  # Telegram's updates are a few kB; anything near this is not from Telegram


class BodyTooLarge(ValueError):
    """The request body is over the limit (declared or counted while reading)."""


class TelegramChannel:
    name = CHANNEL

    def __init__(
        self,
        token: str,
        api_base_url: str,
        responses: ResponseCatalog,
        *,
        webhook_secret: str = "",
        retry: RetryPolicy | None = None,
        backoff: Backoff | None = None,
        poll_timeout: int = 25,
        timeouts: Timeouts | None = None,
        sleep: Sleep = asyncio.sleep,
        drain_timeout: float = 10.0,
    ) -> None:
        """A channel talking to the Bot API at `api_base_url`; it does nothing until `start`.

        Args:
            webhook_secret: webhook mode when set; long polling when empty.
            retry: how each reply's Bot API calls are retried before DeliveryFailed.
            backoff: waits between attempts to reach the Bot API (start-up and polling).
            poll_timeout: seconds one getUpdates call waits for updates.
        """
        protect_logs()
        self.client = make_bot(token, api_base_url, timeouts)
        self.telegram_output = TelegramOutput(self.client.bot, responses, retry, sleep)
        self.output: OutputChannel = self.telegram_output
        self._secret = webhook_secret.encode()
        self.mode = "webhook" if webhook_secret else "polling"
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._drain_timeout = drain_timeout
        self.poller = (
            LongPoller(self.client.bot, self._take, timeout=poll_timeout, backoff=self._backoff, sleep=sleep)
            if self.mode == "polling"
            else None
        )
        self.connected = False  # getMe has answered since start
        self.connect_failures = 0
        self._hub: ChannelHub | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """The background work (connecting, polling) is going on."""
        return self._task is not None and not self._task.done()

    @classmethod
    def from_settings(cls, settings: ChannelSettings, responses: ResponseCatalog) -> TelegramChannel | None:
        """The channel, or None while TELEGRAM_BOT_TOKEN is unset."""
        if not settings.telegram_token:
            return None
        return cls(
            settings.telegram_token,
            settings.telegram_api_base_url,
            responses,
            webhook_secret=settings.telegram_webhook_secret,
        )

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route(WEBHOOK_PATH, self.webhook, methods=["POST"], include_in_schema=False)
        return router

    async def start(self, hub: ChannelHub) -> None:
        """Connect (and poll) in the background: an unreachable Bot API never holds up or stops the app."""
        self._hub = hub
        self._task = asyncio.get_running_loop().create_task(self._run(), name="telegram-channel")
        self._task.add_done_callback(_report_crash)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._hub is not None:
            # Replies still being handled need the bot's HTTP client: let them finish first (bounded).
            # Shielded, so that running out of time here does not cancel the hub's work.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._hub.idle()), self._drain_timeout)
        await self.client.aclose()

    async def webhook(self, request: Request) -> JSONResponse:
        """POST /webhooks/telegram: check the secret, then the body, then hand the update to the hub."""
        provided = request.headers.get(SECRET_HEADER, "").encode()
        # Without a configured secret (polling mode) nothing can prove a request comes from Telegram.
        if not self._secret or not hmac.compare_digest(provided, self._secret):
            return _error(403, "forbidden")
        try:
            body = await _read_body(request, MAX_BODY_BYTES)
        except BodyTooLarge:
            return _error(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        except ValueError as exc:
            return _error(400, str(exc))
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _error(400, "the body is not valid UTF-8")
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError:
            return _error(400, "the body is not valid JSON")
        try:
            translation = translate(parse_update(data))
        except MalformedUpdate as exc:
            return _error(400, f"not a Telegram update: {exc}")
        hub: ChannelHub = request.app.state.hub
        await self._receive(hub, translation)
        return JSONResponse({"ok": True})

    async def _take(self, data: dict[str, Any]) -> None:
        """One update from long polling: the same checks and path as a webhook body."""
        assert self._hub is not None, "start() sets the hub before polling begins"
        await self._receive(self._hub, translate(parse_update(data)))

    async def _receive(self, hub: ChannelHub, translation: Translation) -> None:
        external_id = str(translation.update_id)
        if translation.message is None:
            log.debug("telegram update %d ignored: %s", translation.update_id, translation.ignored)
            if translation.callback_query_id and await hub.is_new(CHANNEL, external_id):
                hub.spawn(self.telegram_output.answer_callback(translation.callback_query_id))
            return
        accepted = await hub.accept(translation.message, external_id=external_id)
        if accepted and translation.callback_query_id:
            hub.spawn(self.telegram_output.answer_callback(translation.callback_query_id))

    async def _run(self) -> None:
        await self._connect()
        if self.poller is not None:
            await self.poller.run()
        else:
            await self._check_webhook()

    async def _check_webhook(self) -> None:
        """Say in the log when Telegram will not deliver here: no webhook set, or its last delivery failed."""
        try:
            info = await self.client.bot.get_webhook_info()
        except TelegramError as exc:
            log.warning("telegram: could not read the webhook's state: %s", describe(exc))
            return
        if not info.url:
            log.warning("telegram: webhook mode, but no webhook is set: run `neuvo telegram webhook set`")
        elif not info.url.endswith(WEBHOOK_PATH):
            log.warning("telegram: the webhook points somewhere else; run `neuvo telegram webhook set`")
        elif info.last_error_message:
            log.warning("telegram: Telegram's last webhook delivery failed: %s", info.last_error_message)

    async def _connect(self) -> None:
        """getMe until it answers: checks the token, and tells the log the API is reachable."""
        delays = self._backoff.delays()
        while True:
            try:
                await self.client.bot.initialize()
            except TelegramError as exc:
                self.connect_failures += 1
                wait = next(delays)
                log.warning(
                    "telegram: Bot API not reachable yet (%s); retrying in %.1f s", describe(exc), wait
                )
                await self._sleep(wait)
            else:
                self.connected = True
                log.info("telegram: connected, %s mode", self.mode)
                return


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("telegram: the background task stopped", exc_info=task.exception())


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to exceed `limit` (declared length or bytes read)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise ValueError("Content-Length is not a number")
        if int(declared) > limit:
            raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


def _error(status: int, message: str) -> JSONResponse:
    log.info("telegram webhook refused a request (%d): %s", status, message)
    return JSONResponse({"ok": False, "error": message}, status_code=status)
