"""Telling people whose escalation nobody has answered in time that it is still queued (and not lost)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from bot.languages import FALLBACK_LANGUAGE, as_language, is_language

if TYPE_CHECKING:
    from channels.hub import ChannelHub

log = logging.getLogger(__name__)


class WaitingNotifier:
    def __init__(
        self,
        hub: ChannelHub,
        no_answer_minutes: Callable[[], int],
        interval: dt.timedelta = dt.timedelta(minutes=1),
    ) -> None:
        self.hub = hub
        self.no_answer_minutes = no_answer_minutes
        self.interval = interval

    async def run_once(self, now: dt.datetime) -> int:
        """Notify each escalation older than the no-answer time once, on the person's latest channel.

        Claimed (marked) before sending, so several workers never notify twice; a person reachable on no
        push channel (web chat) is marked too: the notice is due once, not on every round."""
        from channels.base import Outgoing

        store = self.hub.store
        cutoff = now - dt.timedelta(minutes=self.no_answer_minutes())
        notified = 0
        for _escalation_id, conversation_id, language in await anyio.to_thread.run_sync(
            store.claim_unanswered_escalations, cutoff
        ):
            lang = as_language(language) if language and is_language(language) else FALLBACK_LANGUAGE
            identities = await anyio.to_thread.run_sync(store.identities, conversation_id)
            target = next(((c, a) for c, a in identities if c in self.hub.outputs), None)
            if target is not None:
                message = self.hub.responses.render("utter_no_answer_yet", lang)
                outgoing = Outgoing([message], lang, conversation_id=conversation_id)
                if await self.hub.deliver(target[0], target[1], outgoing):
                    notified += 1
        return notified

    async def run(self) -> None:
        while True:
            try:
                await self.run_once(dt.datetime.now(dt.UTC))
            except Exception:  # keep the loop alive; the failure is logged with its traceback
                log.exception("waiting-notice round failed")
            await asyncio.sleep(self.interval.total_seconds())
