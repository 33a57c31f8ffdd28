"""The escalation queue: who is waiting, for how long, and the claim / assign / release / resolve workflow.

Claiming an escalation also assigns its conversation to the advisor (`ConversationStore.assign`), which makes
the bot stay quiet; releasing or resolving hands the conversation back to the bot.
Blocking: call from async code through a worker thread.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.console.clock import as_utc
from bot.console.errors import Conflict, InvalidInput, NotFound
from bot.storage.models import Conversation, Escalation, utcnow
from bot.storage.store import ConversationStore

PAGE_SIZE = 50


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Outcome(StrEnum):
    """How an advisor closed an escalation."""

    ANSWERED = "answered"
    REFERRED = "referred"  # sent on to another service (Migri, Kela, the municipality, ...)
    NO_RESPONSE = "no_response"  # the person did not answer the advisor
    DUPLICATE = "duplicate"
    OTHER = "other"


# What the queue's status filter offers; "active" is everything not yet resolved.
STATUS_FILTERS = ("active", "open", "claimed", "resolved", "all")


@dataclass(frozen=True)
class QueueFilter:
    status: str = "active"
    language: str | None = None
    municipality: str | None = None
    channel: str | None = None
    urgent: bool | None = None
    assigned_to: str | None = None
    page: int = 1

    def __post_init__(self) -> None:
        if self.status not in STATUS_FILTERS:
            raise InvalidInput(f"status: one of {', '.join(STATUS_FILTERS)}")


@dataclass(frozen=True)
class QueueRow:
    id: int
    conversation_id: str
    status: str
    reason: str
    urgent: bool
    language: str | None
    channel: str | None
    municipality: str | None
    summary: str | None
    contact: str | None
    recording_url: str | None
    assigned_to: str | None
    created_at: dt.datetime
    claimed_at: dt.datetime | None
    first_reply_at: dt.datetime | None
    resolved_at: dt.datetime | None
    outcome: str | None
    resolved_topic: str | None

    def waiting(self, now: dt.datetime) -> dt.timedelta:
        """How long the person has waited for a human: until the first reply, else until now or resolution."""
        end = self.first_reply_at or self.resolved_at or now
        return end - self.created_at

    def answered(self) -> bool:
        return self.first_reply_at is not None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return as_utc(value) if value else None


# Everything the queue shows, and not the transcript, which can be long: rows are built from these columns.
_QUEUE_COLUMNS = (
    Escalation.id,
    Escalation.conversation_id,
    Escalation.status,
    Escalation.reason,
    Escalation.urgent,
    Escalation.language,
    Escalation.channel,
    Conversation.municipality,
    Escalation.summary,
    Escalation.contact,
    Escalation.recording_url,
    Escalation.assigned_to,
    Escalation.created_at,
    Escalation.claimed_at,
    Escalation.first_reply_at,
    Escalation.resolved_at,
    Escalation.outcome,
    Escalation.resolved_topic,
)


def _queue_row(values: Sequence[Any]) -> QueueRow:
    row = QueueRow(*values)
    return replace(
        row,
        urgent=bool(row.urgent),
        created_at=as_utc(row.created_at),
        claimed_at=_aware(row.claimed_at),
        first_reply_at=_aware(row.first_reply_at),
        resolved_at=_aware(row.resolved_at),
    )


def _row(e: Escalation, municipality: str | None) -> QueueRow:
    return QueueRow(
        id=e.id,
        conversation_id=e.conversation_id,
        status=e.status,
        reason=e.reason,
        urgent=bool(e.urgent),
        language=e.language,
        channel=e.channel,
        municipality=municipality,
        summary=e.summary,
        contact=e.contact,
        recording_url=e.recording_url,
        assigned_to=e.assigned_to,
        created_at=as_utc(e.created_at),
        claimed_at=_aware(e.claimed_at),
        first_reply_at=_aware(e.first_reply_at),
        resolved_at=_aware(e.resolved_at),
        outcome=e.outcome,
        resolved_topic=e.resolved_topic,
    )


class EscalationQueue:
    def __init__(self, store: ConversationStore) -> None:
        self._store = store

    def page(self, f: QueueFilter) -> QueuePage:
        """One page of escalations: urgent first, then whoever has waited longest."""
        conditions: list[ColumnElement[bool]] = []
        if f.status == "active":
            # Not "IN (open, claimed)": with no usable index on the condition, SQLite walks the queue's
            # order index and stops after one page instead of sorting every unresolved escalation.
            conditions.append(Escalation.status != Status.RESOLVED.value)
        elif f.status != "all":
            conditions.append(Escalation.status == f.status)
        if f.language:
            conditions.append(Escalation.language == f.language)
        if f.channel:
            conditions.append(Escalation.channel == f.channel)
        if f.urgent is not None:
            conditions.append(Escalation.urgent.is_(f.urgent))
        if f.assigned_to:
            conditions.append(Escalation.assigned_to == f.assigned_to)
        if f.municipality:
            conditions.append(Conversation.municipality == f.municipality)
        join = and_(Conversation.id == Escalation.conversation_id)
        with self._store.session() as s:
            count = select(func.count(Escalation.id)).where(*conditions)
            if f.municipality:
                count = count.join(Conversation, join)
            total = int(s.scalar(count) or 0)
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(1, f.page), pages)
            newest_first = f.status == "resolved"
            order = (
                [Escalation.resolved_at.desc(), Escalation.id.desc()]
                if newest_first
                else [Escalation.urgent.desc(), Escalation.created_at, Escalation.id]
            )
            query = (
                select(*_QUEUE_COLUMNS)
                .select_from(Escalation)
                .outerjoin(Conversation, join)
                .where(*conditions)
                .order_by(*order)
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            )
            rows = [_queue_row(values) for values in s.execute(query)]
        return QueuePage(rows, total, page, pages)

    def municipalities(self) -> list[str]:
        with self._store.session() as s:
            return sorted(
                s.scalars(
                    select(Conversation.municipality).where(Conversation.municipality.is_not(None)).distinct()
                )
            )

    def get(self, escalation_id: int) -> QueueRow:
        with self._store.session() as s:
            return self._get(s, escalation_id)

    def for_conversation(self, conversation_id: str) -> list[QueueRow]:
        with self._store.session() as s:
            query = (
                select(*_QUEUE_COLUMNS)
                .select_from(Escalation)
                .outerjoin(Conversation, Conversation.id == Escalation.conversation_id)
                .where(Escalation.conversation_id == conversation_id)
                .order_by(Escalation.id)
            )
            return [_queue_row(values) for values in s.execute(query)]

    def transcript(self, escalation_id: int) -> list[dict[str, str]]:
        """The transcript saved with the escalation (what the bot saw when it handed over)."""
        with self._store.session() as s:
            raw = s.scalar(select(Escalation.transcript).where(Escalation.id == escalation_id))
        if raw is None:
            raise NotFound(f"no escalation #{escalation_id}")
        lines = json.loads(raw)
        return [line for line in lines if isinstance(line, dict)] if isinstance(lines, list) else []

    def claim(self, escalation_id: int, advisor: str, now: dt.datetime | None = None) -> QueueRow:
        """Take an open escalation. Claiming one that someone else holds is a conflict, not a takeover."""
        now = now or utcnow()
        with self._store.session() as s, s.begin():
            # A conditional UPDATE: of two advisors claiming at once, exactly one wins.
            won = s.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id, Escalation.status == Status.OPEN.value)
                .values(status=Status.CLAIMED.value, assigned_to=advisor, claimed_at=now)
            ).rowcount  # type: ignore[attr-defined]
            row = self._get(s, escalation_id)
        if not won and not (row.status == Status.CLAIMED and row.assigned_to == advisor):
            if row.status == Status.RESOLVED:
                raise Conflict(f"escalation #{escalation_id} is already resolved")
            raise Conflict(f"escalation #{escalation_id} is already claimed by {row.assigned_to}")
        self._store.assign(row.conversation_id, advisor)
        return row

    def assign(self, escalation_id: int, advisor: str, now: dt.datetime | None = None) -> QueueRow:
        """Give an unresolved escalation to an advisor (an admin's decision), whoever held it."""
        now = now or utcnow()
        with self._store.session() as s, s.begin():
            e = self._escalation(s, escalation_id)
            if e.status == Status.RESOLVED:
                raise Conflict(f"escalation #{escalation_id} is already resolved")
            e.status, e.assigned_to = Status.CLAIMED.value, advisor
            e.claimed_at = e.claimed_at or now
            conversation_id = e.conversation_id
        self._store.assign(conversation_id, advisor)
        return self.get(escalation_id)

    def release(self, escalation_id: int) -> QueueRow:
        """Put a claimed escalation back in the queue and the conversation back with the bot."""
        with self._store.session() as s, s.begin():
            e = self._escalation(s, escalation_id)
            if e.status == Status.RESOLVED:
                raise Conflict(f"escalation #{escalation_id} is already resolved")
            e.status, e.assigned_to, e.claimed_at = Status.OPEN.value, None, None
            conversation_id = e.conversation_id
        self._store.assign(conversation_id, None)
        return self.get(escalation_id)

    def resolve(
        self,
        escalation_id: int,
        advisor: str,
        outcome: Outcome,
        topic: str | None,
        now: dt.datetime | None = None,
    ) -> QueueRow:
        """Close an escalation with its outcome and topic; with nothing else held, the bot answers again."""
        now = now or utcnow()
        with self._store.session() as s, s.begin():
            e = self._escalation(s, escalation_id)
            if e.status == Status.RESOLVED:
                raise Conflict(f"escalation #{escalation_id} is already resolved")
            e.status, e.resolved_at = Status.RESOLVED.value, now
            e.outcome, e.resolved_topic = outcome.value, topic
            e.assigned_to = e.assigned_to or advisor
            conversation_id = e.conversation_id
            still_held = s.scalar(
                select(func.count(Escalation.id)).where(
                    Escalation.conversation_id == conversation_id,
                    Escalation.status == Status.CLAIMED.value,
                )
            )
        if not still_held:
            self._store.assign(conversation_id, None)
        return self.get(escalation_id)

    def mark_first_reply(self, conversation_id: str, now: dt.datetime | None = None) -> int:
        """Note the first human reply on the conversation's unresolved escalations; returns how many."""
        now = now or utcnow()
        with self._store.session() as s, s.begin():
            return int(
                s.execute(
                    update(Escalation)
                    .where(
                        Escalation.conversation_id == conversation_id,
                        Escalation.status != Status.RESOLVED.value,
                        Escalation.first_reply_at.is_(None),
                    )
                    .values(first_reply_at=now)
                ).rowcount  # type: ignore[attr-defined]
                or 0
            )

    def _get(self, s: Session, escalation_id: int) -> QueueRow:
        e = self._escalation(s, escalation_id)
        municipality = s.scalar(select(Conversation.municipality).where(Conversation.id == e.conversation_id))
        return _row(e, municipality)

    @staticmethod
    def _escalation(s: Session, escalation_id: int) -> Escalation:
        e = s.get(Escalation, escalation_id)
        if e is None:
            raise NotFound(f"no escalation #{escalation_id}")
        return e
