"""The audit log: one row for every conversation an advisor views and every change made in the console.

Blocking: call from async code through a worker thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.console.clock import as_utc
from bot.storage.console_models import AuditEntry
from bot.storage.store import ConversationStore

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: dt.datetime
    actor: str
    action: str
    conversation_id: str | None
    detail: str | None


@dataclass(frozen=True)
class AuditPage:
    records: list[AuditRecord]
    total: int
    page: int
    pages: int


class AuditLog:
    def __init__(self, store: ConversationStore) -> None:
        self._store = store

    def write(self, actor: str, action: str, conversation_id: str | None = None, detail: str = "") -> None:
        """Record one action. `detail` says what changed (an outcome, a username), never message text."""
        with self._store.session() as s, s.begin():
            s.add(
                AuditEntry(actor=actor, action=action, conversation_id=conversation_id, detail=detail or None)
            )

    def page(
        self,
        page: int = 1,
        *,
        actor: str | None = None,
        action: str | None = None,
        conversation_id: str | None = None,
    ) -> AuditPage:
        """The newest entries first, filtered."""
        conditions = []
        if actor:
            conditions.append(AuditEntry.actor == actor)
        if action:
            conditions.append(AuditEntry.action == action)
        if conversation_id:
            conditions.append(AuditEntry.conversation_id == conversation_id)
        with self._store.session() as s:
            total = int(s.scalar(select(func.count(AuditEntry.id)).where(*conditions)) or 0)
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(1, page), pages)
            rows = s.scalars(
                select(AuditEntry)
                .where(*conditions)
                .order_by(AuditEntry.id.desc())
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            )
            records = [
                AuditRecord(r.id, as_utc(r.at), r.actor, r.action, r.conversation_id, r.detail) for r in rows
            ]
        return AuditPage(records, total, page, pages)

    def actions(self) -> list[str]:
        with self._store.session() as s:
            return sorted(s.scalars(select(AuditEntry.action).distinct()))
