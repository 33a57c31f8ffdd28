"""The PTB `Bot` as this service builds it, backoff timing, and keeping the bot token out of logs."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from telegram import Bot
from telegram.error import InvalidToken
from telegram.request import HTTPXRequest

# Update types the bot asks Telegram for (webhook and long polling alike). Edited messages are received
# and deliberately not answered: replying to an edit would answer the same question twice.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")

_TOKEN_IN_URL = re.compile(r"/(file/)?bot[^/\s]+")


@dataclass(frozen=True)
class Timeouts:
    """Seconds for one Bot API request (PTB's own defaults are 5 s; a long poll adds its wait)."""

    connect: float = 5.0
    read: float = 10.0
    write: float = 10.0
    pool: float = 5.0


@dataclass(frozen=True)
class Backoff:
    """Exponential waits with jitter: first, first*factor, ... up to `maximum` seconds."""

    first: float = 1.0
    maximum: float = 60.0
    factor: float = 2.0
    jitter: float = 0.2  # each wait is shortened by up to this fraction, so restarts do not line up

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay * (1 - self.jitter * random.random())
            delay = min(delay * self.factor, self.maximum)


@dataclass
class BotClient:
    """A Bot with the two HTTP clients it uses, so both can be closed even if the bot never connected."""

    bot: Bot
    requests: tuple[HTTPXRequest, HTTPXRequest]

    async def aclose(self) -> None:
        await self.bot.shutdown()  # does nothing unless initialize() succeeded, hence the next lines
        for request in self.requests:
            await request.shutdown()


def make_bot(token: str, api_base_url: str, timeouts: Timeouts | None = None) -> BotClient:
    """A Bot talking to `api_base_url` (Telegram, a local Bot API server or a test fake)."""
    timeouts = timeouts or Timeouts()
    base = api_base_url.rstrip("/")

    def request(pool_size: int) -> HTTPXRequest:
        return HTTPXRequest(
            connection_pool_size=pool_size,
            connect_timeout=timeouts.connect,
            read_timeout=timeouts.read,
            write_timeout=timeouts.write,
            pool_timeout=timeouts.pool,
        )

    # One connection is enough for getUpdates; replies to many people go out in parallel.
    updates_request, api_request = request(1), request(64)
    bot = Bot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=api_request,
        get_updates_request=updates_request,
    )
    return BotClient(bot, (updates_request, api_request))


def redact(text: str) -> str:
    """`text` with any Bot API URL's token replaced, for log lines built from errors."""
    return _TOKEN_IN_URL.sub(lambda m: f"/{m.group(1) or ''}bot<redacted>", text)


def describe(exc: BaseException) -> str:
    """An error for the log: its type and message, with tokens redacted (never the traceback's locals)."""
    if isinstance(exc, InvalidToken):  # PTB quotes the rejected token in this message
        return "InvalidToken: TELEGRAM_BOT_TOKEN was rejected by the Bot API"
    name, message = type(exc).__name__, redact(str(exc))
    return message if message.startswith(name) else f"{name}: {message}"


class RedactBotToken(logging.Filter):
    """Replaces `/bot<token>` in log lines (httpx logs every request URL at INFO) with `/bot<redacted>`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/bot" in message:
            record.msg = redact(message)
            record.args = ()
        return True


def protect_logs() -> None:
    """Keep the token and personal data out of logs, whatever level the app logs at.

    httpx logs request URLs, which contain the token; PTB logs every call's parameters (chat ids,
    message texts) at DEBUG.
    """
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactBotToken) for f in httpx_logger.filters):
        httpx_logger.addFilter(RedactBotToken())
    telegram_logger = logging.getLogger("telegram")
    if telegram_logger.getEffectiveLevel() < logging.INFO:
        telegram_logger.setLevel(logging.INFO)
