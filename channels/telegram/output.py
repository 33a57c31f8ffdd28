"""Replies to Telegram: inline keyboards for buttons, long texts in pieces, retries the Bot API asks for."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.dialogue.responses import BotMessage, ResponseCatalog
from bot.languages import Language
from channels.base import DeliveryDeferred, DeliveryFailed, Outgoing, numbered_options
from channels.telegram.client import Backoff, describe

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # characters per message, counted in UTF-16 code units as Telegram does
MAX_CALLBACK_DATA = 64  # bytes of a button's callback_data

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one Bot API call is tried before the reply counts as undeliverable."""

    attempts: int = 5
    backoff: Backoff = field(default_factory=lambda: Backoff(first=0.5, maximum=8.0))
    retry_after_cap: float = 30.0  # never wait longer than this for a flood-control pause


@dataclass(frozen=True)
class Piece:
    """One sendMessage: its text and, on the last piece of a message, the buttons."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


class TelegramOutput:
    """Sends an `Outgoing` to one chat; raises DeliveryFailed when Telegram refuses or never answers."""

    name = "telegram"

    def __init__(
        self,
        bot: Bot,
        responses: ResponseCatalog,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self.responses = responses
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        # PTB 22 warns whenever it makes a RetryAfter (it reads its own deprecated int property); this
        # class reads the value as either type (retry_after_seconds), so the warning says nothing here.
        warnings.filterwarnings("ignore", message=r".*`retry_after`", category=PTBDeprecationWarning)

    async def send(self, recipient_id: str, outgoing: Outgoing) -> None:
        chat_id = _chat_id(recipient_id)
        for message in outgoing.messages:
            for piece in pieces(message, self.responses, outgoing.language):
                send = partial(
                    self.bot.send_message, chat_id=chat_id, text=piece.text, reply_markup=piece.keyboard
                )
                await self._call("sendMessage", send)

    async def answer_callback(self, callback_query_id: str) -> None:
        """Stop the button's spinner. Best effort: a missed acknowledgement costs the person nothing."""
        try:
            await self._call(
                "answerCallbackQuery", partial(self.bot.answer_callback_query, callback_query_id)
            )
        except DeliveryFailed as exc:
            log.info("button press not acknowledged: %s", exc)

    async def _call(self, method: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run one Bot API call, waiting out flood control and network trouble, up to the policy's limits."""
        delays = self.retry.backoff.delays()
        problem: TelegramError | None = None
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return await call()
            except RetryAfter as exc:
                problem, wait = exc, min(retry_after_seconds(exc), self.retry.retry_after_cap)
            except (Forbidden, BadRequest, InvalidToken, ChatMigrated) as exc:
                # Blocked by the person, a chat that is gone, a request Telegram will never take: no retry.
                # (BadRequest is a NetworkError subclass in PTB, so it must be caught before NetworkError.)
                raise DeliveryFailed(f"{method} refused: {describe(exc)}") from exc
            except NetworkError as exc:  # includes TimedOut and 5xx answers
                problem, wait = exc, next(delays)
            except TelegramError as exc:
                raise DeliveryFailed(f"{method} failed: {describe(exc)}") from exc
            if attempt < self.retry.attempts:
                log.info(
                    "telegram %s: %s (attempt %d of %d); retrying in %.2f s",
                    method,
                    describe(problem),
                    attempt,
                    self.retry.attempts,
                    wait,
                )
                await self._sleep(wait)
        assert problem is not None
        raise DeliveryDeferred(
            f"{method}: gave up after {self.retry.attempts} attempts ({describe(problem)})"
        )


def pieces(message: BotMessage, responses: ResponseCatalog, language: Language) -> list[Piece]:
    """The sendMessage calls for one bot message: one button per row, or numbered lines when Telegram
    cannot carry a button's payload; the buttons go on the last piece of a long text."""
    keyboard = None
    text = message.text
    if message.buttons:
        fits = all(0 < len(b.payload.encode("utf-8")) <= MAX_CALLBACK_DATA for b in message.buttons)
        if fits and text.strip():
            keyboard = InlineKeyboardMarkup(
                [[InlineKeyboardButton(b.title, callback_data=b.payload)] for b in message.buttons]
            )
        else:
            text = numbered_options(message, responses, language)
    chunks = split_text(text)
    result = [Piece(chunk) for chunk in chunks]
    if result and keyboard is not None:
        result[-1] = Piece(result[-1].text, keyboard)
    return result


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in pieces of at most `limit` UTF-16 units, cut at a paragraph, else a line, else a space."""
    rest = text.strip()
    chunks: list[str] = []
    while rest:
        window = _prefix_within(rest, limit)
        if len(window) == len(rest):
            chunks.append(rest)
            break
        cut = _cut_point(window)
        head, rest = window[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            chunks.append(head)
    return chunks


def _prefix_within(text: str, limit: int) -> str:
    """The longest prefix of `text` of at most `limit` UTF-16 code units (emoji outside the BMP count 2)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def _cut_point(window: str) -> int:
    """Where to end a piece: the last paragraph, line or word break in its second half, else anywhere."""
    separators = ("\n\n", "\n", " ")
    for separator in separators:
        index = window.rfind(separator)
        if index >= len(window) // 2:
            return index
    for separator in separators:
        index = window.rfind(separator)
        if index > 0:
            return index
    return len(window)  # one unbroken word longer than a message


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns on reading `retry_after` unless PTB_TIMEDELTA is set; either type means seconds.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _chat_id(recipient_id: str) -> int | str:
    """Telegram chat ids are integers; an @username stays a string."""
    return int(recipient_id) if recipient_id.lstrip("-").isdigit() else recipient_id
