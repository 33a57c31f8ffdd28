"""Long polling: fetch updates with getUpdates when no webhook is configured, forever, whatever fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from channels.telegram.client import ALLOWED_UPDATES, Backoff, describe
from channels.telegram.output import Sleep, retry_after_seconds
from channels.telegram.updates import MalformedUpdate

log = logging.getLogger(__name__)

# Takes one update's JSON (the same path as a webhook body); raises MalformedUpdate for one it cannot read.
Take = Callable[[dict[str, Any]], Awaitable[None]]


class LongPoller:
    """Calls getUpdates in a loop and hands each update to `take`, confirming it with the next offset.

    Errors never end the loop: it waits (exponential backoff, or as long as flood control says) and tries
    again. An update whose handling fails is retried a few times, then skipped, so one bad update cannot
    stall the bot; redelivered updates are harmless because the hub drops update ids it has seen.
    """

    def __init__(
        self,
        bot: Bot,
        take: Take,
        *,
        timeout: int = 25,
        backoff: Backoff | None = None,
        attempts_per_update: int = 3,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self.take = take
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.attempts_per_update = attempts_per_update
        self._sleep = sleep
        self.failures = 0  # consecutive failed calls; 0 while the Bot API answers
        self._offset: int | None = None
        self._tries: dict[int, int] = {}

    async def run(self) -> None:
        delays = self.backoff.delays()
        webhook_cleared = False
        while True:
            try:
                if not webhook_cleared:
                    # getUpdates is refused while a webhook is set: polling mode means no webhook.
                    await self.bot.delete_webhook(drop_pending_updates=False)
                    webhook_cleared = True
                updates = await self.bot.get_updates(
                    offset=self._offset, timeout=self.timeout, allowed_updates=list(ALLOWED_UPDATES)
                )
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                log.warning("telegram polling: flood control, waiting %.1f s", wait)
            except Conflict as exc:
                wait = next(delays)
                log.warning(
                    "telegram polling: %s (another instance, or a webhook set elsewhere)", describe(exc)
                )
            except InvalidToken as exc:
                wait = next(delays)
                log.error("telegram polling: %s; retrying in %.1f s", describe(exc), wait)
            except TelegramError as exc:  # network trouble, timeouts, 5xx
                wait = next(delays)
                log.warning("telegram polling: %s; retrying in %.1f s", describe(exc), wait)
            except Exception:  # e.g. an update PTB itself cannot parse: keep the loop alive, loudly
                wait = next(delays)
                log.exception("telegram polling: unexpected failure; retrying in %.1f s", wait)
            else:
                self.failures = 0
                delays = self.backoff.delays()
                if not await self._hand_over([(u.update_id, u.to_dict()) for u in updates]):
                    await self._sleep(next(delays))
                continue
            self.failures += 1
            await self._sleep(wait)

    async def _hand_over(self, updates: list[tuple[int, dict[str, Any]]]) -> bool:
        """Give each update to `take` in order; False when one failed and should be fetched again."""
        for update_id, data in updates:
            try:
                await self.take(data)
            except MalformedUpdate as exc:
                log.warning("telegram polling: skipped unreadable update %d: %s", update_id, exc)
            except Exception:
                tries = self._tries[update_id] = self._tries.get(update_id, 0) + 1
                if tries < self.attempts_per_update:
                    log.exception(
                        "telegram polling: update %d failed (attempt %d); will retry", update_id, tries
                    )
                    return False
                log.exception("telegram polling: update %d failed %d times; skipped", update_id, tries)
            self._tries.pop(update_id, None)
            self._offset = update_id + 1
        return True
