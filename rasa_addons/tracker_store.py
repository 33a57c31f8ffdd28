"""Rasa's SQL tracker store, plus erasure: saving an empty tracker deletes the conversation's stored events.

The app erases a person's dialogue state with `PUT /conversations/<id>/tracker/events` and an empty list
(`HttpRasaClient.forget`). The in-memory store then holds an empty tracker, but Rasa 3.6's `SQLTrackerStore`
only ever appends the events it has not stored yet, so the old events, message texts included, would stay in
PostgreSQL. Rasa saves a tracker without events only for such a replacement (a new conversation always starts
with events), so an empty tracker is taken as "delete every event of this sender".
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


class ErasableSQLTrackerStore(SQLTrackerStore):
    """`type: rasa_addons.tracker_store.ErasableSQLTrackerStore` in endpoints.production.yml."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.events:
            await super().save(tracker)
            return
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == tracker.sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        logger.debug(f"Erased {deleted} stored events of one conversation.")
