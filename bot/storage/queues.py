"""Durable queues in the database: inbound messages before they are handled, replies before they are sent.

Both are safe with several workers: rows are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has
one writer at a time, which serialises claims), and a claim is a lease, so rows held by a worker that died are
claimed again when the lease runs out. Blocking: call from async code through a worker thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.models import InboundReceipt, OutboxMessage, utcnow

LEASE = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    channel: str
    recipient: str
    conversation_id: str | None
    payload: str
    attempts: int
    idempotency_key: str


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


class DurableQueues:
    def __init__(self, sessions: sessionmaker[Session], dialect: str) -> None:
        self._sessions = sessions
        self._skip_locked = dialect == "postgresql"

    # Inbound ----------------------------------------------------------------------------------------------

    def receive(self, channel: str, external_id: str, payload: str, sender: str | None = None) -> bool:
        """Store a message under its platform id before acknowledging it; False for a redelivery."""
        try:
            with self._sessions() as s, s.begin():
                s.add(
                    InboundReceipt(
                        channel=channel,
                        external_id=external_id,
                        payload=payload,
                        status="pending",
                        lease_until=utcnow() + LEASE,
                        sender=sender,
                    )
                )
        except IntegrityError:
            return False
        return True

    def pending_for_sender(self, channel: str, sender: str) -> list[tuple[str, str]]:
        """(external id, payload) of one person's messages not yet handled, oldest first. Call it while
        holding that person's lock: then nobody else is handling any of them."""
        with self._sessions() as s:
            rows = s.execute(
                select(InboundReceipt.external_id, InboundReceipt.payload)
                .where(
                    InboundReceipt.channel == channel,
                    InboundReceipt.sender == sender,
                    InboundReceipt.status == "pending",
                )
                .order_by(InboundReceipt.received_at, InboundReceipt.external_id)
            )
            return [(e, p or "") for e, p in rows]

    def handled(self, channel: str, external_id: str) -> None:
        """The message was answered: keep only its id (for dedup), not its content."""
        with self._sessions() as s, s.begin():
            s.execute(
                update(InboundReceipt)
                .where(InboundReceipt.channel == channel, InboundReceipt.external_id == external_id)
                .values(status="done", payload=None, lease_until=None)
            )

    def claim_stranded_inbound(self, now: dt.datetime, limit: int = 50) -> list[tuple[str, str, str]]:
        """Messages accepted but never handled (their worker died): (channel, id, payload), leased to us."""
        stranded = (
            select(InboundReceipt.channel, InboundReceipt.external_id)
            .where(InboundReceipt.status == "pending", InboundReceipt.lease_until < now)
            .order_by(InboundReceipt.received_at)
            .limit(limit)
        )
        if self._skip_locked:
            stranded = stranded.with_for_update(skip_locked=True)
        # One UPDATE ... RETURNING: on SQLite the statement holds the write lock from its read to its write,
        # on PostgreSQL the sub-select skips rows another worker is claiming: a row goes to one worker only.
        claim = (
            update(InboundReceipt)
            .where(tuple_(InboundReceipt.channel, InboundReceipt.external_id).in_(stranded.scalar_subquery()))
            .values(lease_until=now + LEASE)
            .returning(InboundReceipt.channel, InboundReceipt.external_id, InboundReceipt.payload)
        )
        with self._sessions() as s, s.begin():
            return [(c, e, p or "") for c, e, p in s.execute(claim)]

    # Outbox -----------------------------------------------------------------------------------------------

    def enqueue(
        self, channel: str, recipient: str, conversation_id: str | None, payload: str, idempotency_key: str
    ) -> int:
        """Queue a reply; the same idempotency key queues it once (its existing row id is returned)."""
        try:
            with self._sessions() as s, s.begin():
                row = OutboxMessage(
                    idempotency_key=idempotency_key,
                    channel=channel,
                    recipient=recipient,
                    conversation_id=conversation_id,
                    payload=payload,
                )
                s.add(row)
                s.flush()
                return int(row.id)
        except IntegrityError:
            with self._sessions() as s:
                existing = s.scalar(
                    select(OutboxMessage.id).where(OutboxMessage.idempotency_key == idempotency_key)
                )
                return int(existing or 0)

    def claim_due(self, now: dt.datetime, limit: int = 20, only_id: int | None = None) -> list[OutboxItem]:
        """Lease due replies (pending and due, or sending with a lapsed lease) to this worker."""
        due = (
            select(OutboxMessage.id)
            .where(
                ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
                | ((OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now))
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if only_id is not None:
            due = due.where(OutboxMessage.id == only_id)
        if self._skip_locked:
            due = due.with_for_update(skip_locked=True)
        claim = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()))
            .values(status="sending", lease_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
            .returning(
                OutboxMessage.id,
                OutboxMessage.channel,
                OutboxMessage.recipient,
                OutboxMessage.conversation_id,
                OutboxMessage.payload,
                OutboxMessage.attempts,
                OutboxMessage.idempotency_key,
            )
        )
        with self._sessions() as s, s.begin():
            items = [OutboxItem(*row) for row in s.execute(claim)]
        return sorted(items, key=lambda item: item.id)

    def sent(self, item_id: int) -> None:
        with self._sessions() as s, s.begin():
            s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item_id)
                .values(status="sent", sent_at=utcnow(), lease_until=None, payload="")
            )

    def retry(self, item_id: int, at: dt.datetime, error: str) -> None:
        with self._sessions() as s, s.begin():
            s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item_id)
                .values(status="pending", next_attempt_at=at, lease_until=None, last_error=error[:200])
            )

    def failed(self, item_id: int, error: str) -> None:
        with self._sessions() as s, s.begin():
            s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item_id)
                .values(status="failed", lease_until=None, last_error=error[:200])
            )

    def status(self, item_id: int) -> str | None:
        with self._sessions() as s:
            return s.scalar(select(OutboxMessage.status).where(OutboxMessage.id == item_id))

    def depth_and_lag(self, now: dt.datetime) -> tuple[int, float]:
        """How many replies wait, and how long the oldest has waited (seconds)."""
        with self._sessions() as s:
            count, oldest = s.execute(
                select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.status.in_(("pending", "sending"))
                )
            ).one()
        since = _aware(oldest)
        return int(count or 0), (now - since).total_seconds() if since else 0.0

    def purge_sent(self, before: dt.datetime) -> int:
        with self._sessions() as s, s.begin():
            result = s.execute(
                delete(OutboxMessage).where(OutboxMessage.status == "sent", OutboxMessage.sent_at < before)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
