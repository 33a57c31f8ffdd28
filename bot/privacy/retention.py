"""The retention job: conversations idle for longer than the retention period are erased everywhere."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

import anyio

from bot.conversation.rasa_client import DialogueEngine, RasaUnavailable
from bot.storage.store import ConversationStore

log = logging.getLogger(__name__)


async def erase_person(
    store: ConversationStore, dialogue: DialogueEngine | None, conversation_id: str
) -> int:
    """Erase one person's data in the app's tables and their dialogue state in Rasa.

    Rasa is asked first; when it is down the app's data is still erased and the log says so (Rasa keeps
    trackers in memory unless a tracker store is configured).
    """
    if dialogue is not None:
        try:
            await dialogue.forget(conversation_id)
        except RasaUnavailable:
            log.warning("Rasa unavailable: a conversation's dialogue state was not erased there")
    return await anyio.to_thread.run_sync(store.delete_person, conversation_id)


async def purge_expired(
    store: ConversationStore, dialogue: DialogueEngine | None, retention: dt.timedelta, now: dt.datetime
) -> int:
    """Erase every conversation with no activity within `retention` of `now`; returns how many."""
    expired = await anyio.to_thread.run_sync(store.conversations_idle_since, now - retention)
    for conversation_id in expired:
        await erase_person(store, dialogue, conversation_id)
    if expired:
        log.info("retention: %d conversation(s) older than %d days erased", len(expired), retention.days)
    return len(expired)


class RetentionJob:
    """Runs `purge_expired` now and then every `interval`; the period is read each time (admins change it)."""

    def __init__(
        self,
        store: ConversationStore,
        dialogue: DialogueEngine | None,
        retention_days: Callable[[], int],
        interval: dt.timedelta = dt.timedelta(hours=6),
        first_delay: dt.timedelta = dt.timedelta(seconds=30),
    ) -> None:
        self.store = store
        self.dialogue = dialogue
        self.retention_days = retention_days
        self.interval = interval
        self.first_delay = first_delay

    async def run(self) -> None:
        # The first round waits until start-up is over: the console loads the admin's saved period then.
        await asyncio.sleep(self.first_delay.total_seconds())
        while True:
            try:
                days = self.retention_days()
                await purge_expired(
                    self.store, self.dialogue, dt.timedelta(days=days), dt.datetime.now(dt.UTC)
                )
            except Exception:  # the job must keep running; the failure is logged with its traceback
                log.exception("retention job failed; retrying at the next interval")
            await asyncio.sleep(self.interval.total_seconds())
