"""Reading and writing the app's records. Blocking: call from async code through a worker thread."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, delete, event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.storage import migrate
from bot.storage.models import (
    Base,
    ChannelIdentity,
    Conversation,
    Escalation,
    Feedback,
    InboundReceipt,
    LinkCode,
    Message,
    utcnow,
)
from bot.storage.sqlite_writes import serialize_writes

LINK_CODE_LIFETIME = dt.timedelta(minutes=15)
# Erasing a person keeps these tables' rows but replaces the conversation id (who did what stays on record).
KEEP_ANONYMISED = frozenset({"audit_log"})
ERASED = "erased"


@dataclass(frozen=True)
class ConversationRecord:
    id: str
    channel: str
    sender_id: str
    language: str | None
    language_locked: bool
    audience: str | None = None
    assigned_to: str | None = None
    pending_options: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class MessageRecord:
    direction: str
    channel: str | None
    kind: str
    text: str
    media_ref: str | None


def _record(row: Conversation) -> ConversationRecord:
    return ConversationRecord(
        row.id,
        row.channel,
        row.sender_id,
        row.language,
        bool(row.language_locked),
        row.audience,
        row.assigned_to,
        json.loads(row.pending_options) if row.pending_options else [],
    )


@dataclass(frozen=True)
class OutboundRecord:
    text: str
    language: str | None
    intent: str | None = None
    topic: str | None = None
    entry_id: str | None = None
    confidence: float | None = None
    degraded: bool = False


@dataclass(frozen=True)
class EscalationRecord:
    id: int
    conversation_id: str
    reason: str
    language: str | None
    summary: str | None
    contact: str | None
    transcript: list[dict[str, str]]
    status: str
    channel: str | None = None
    recording_url: str | None = None
    urgent: bool = False


def conversation_id_for(channel: str, sender_id: str) -> str:
    """An opaque, stable id: Rasa and logs never see the raw sender id (a phone number or chat id)."""
    return "c" + hashlib.sha256(f"{channel}\0{sender_id}".encode()).hexdigest()[:32]


def _options_json(options: list[dict[str, str]]) -> str | None:
    return json.dumps(options, ensure_ascii=False) if options else None


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class ConversationStore:
    def __init__(self, database_url: str) -> None:
        if database_url.startswith("sqlite:///"):
            Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                database_url, connect_args={"check_same_thread": False, "timeout": 30}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            serialize_writes(self.engine, database_url.removeprefix("sqlite:///"))
        else:
            self.engine = create_engine(database_url, pool_pre_ping=True)
        migrate.prepare(self.engine)  # create, or upgrade with Alembic
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    @property
    def session_factory(self) -> sessionmaker[Session]:
        return self._sessions

    def ping(self) -> bool:
        with self.session() as s:
            s.execute(select(1))
        return True

    def conversation(self, channel: str, sender_id: str) -> ConversationRecord:
        """The conversation this channel address belongs to, created on first contact."""
        with self.session() as s, s.begin():
            identity = s.get(ChannelIdentity, (channel, sender_id))
            if identity is not None:
                identity.last_seen = utcnow()
                row = s.get(Conversation, identity.conversation_id)
                if row is not None:
                    return _record(row)
            conv_id = conversation_id_for(channel, sender_id)
            row = s.get(Conversation, conv_id)
            if row is None:
                row = Conversation(id=conv_id, channel=channel, sender_id=sender_id)
                s.add(row)
                s.flush()
            if identity is None:
                s.add(ChannelIdentity(channel=channel, sender_id=sender_id, conversation_id=conv_id))
            else:
                identity.conversation_id = conv_id
            return _record(row)

    def find_conversation(self, channel: str, sender_id: str) -> str | None:
        """The conversation id of a channel address, without creating one (for privacy requests)."""
        with self.session() as s:
            identity = s.get(ChannelIdentity, (channel, sender_id))
            return identity.conversation_id if identity else None

    def get_conversation(self, conversation_id: str) -> ConversationRecord | None:
        with self.session() as s:
            row = s.get(Conversation, conversation_id)
            return _record(row) if row else None

    def claim_inbound(self, channel: str, external_id: str) -> bool:
        """True the first time a platform's message id is seen; False for a redelivery (handle it once)."""
        try:
            with self.session() as s, s.begin():
                s.add(InboundReceipt(channel=channel, external_id=external_id))
        except IntegrityError:
            return False
        return True

    def identities(self, conversation_id: str) -> list[tuple[str, str]]:
        """(channel, address) of every channel this conversation is reachable on, most recent first."""
        with self.session() as s:
            rows = s.execute(
                select(ChannelIdentity.channel, ChannelIdentity.sender_id)
                .where(ChannelIdentity.conversation_id == conversation_id)
                .order_by(ChannelIdentity.last_seen.desc())
            )
            return [(c, a) for c, a in rows]

    def create_link_code(self, conversation_id: str) -> str:
        """A six-digit code, valid for 15 minutes, that joins another channel to this conversation."""
        with self.session() as s, s.begin():
            s.execute(delete(LinkCode).where(LinkCode.expires_at < utcnow()))
            while True:
                code = f"{secrets.randbelow(10**6):06d}"
                if s.get(LinkCode, code) is None:
                    break
            s.add(
                LinkCode(code=code, conversation_id=conversation_id, expires_at=utcnow() + LINK_CODE_LIFETIME)
            )
            return code

    def redeem_link_code(self, code: str, channel: str, sender_id: str) -> str | None:
        """Point this channel address at the code's conversation and move its earlier messages there.

        Returns the joined conversation's id, or None for an unknown or expired code (used codes are spent).
        """
        with self.session() as s, s.begin():
            link = s.get(LinkCode, code)
            if link is None:
                return None
            target = link.conversation_id
            s.delete(link)
            expires = link.expires_at if link.expires_at.tzinfo else link.expires_at.replace(tzinfo=dt.UTC)
            if expires < utcnow():
                return None
            identity = s.get(ChannelIdentity, (channel, sender_id))
            if identity is None:
                self._ensure(s, target)
                s.add(ChannelIdentity(channel=channel, sender_id=sender_id, conversation_id=target))
                return target
            previous = identity.conversation_id
            if previous != target:
                s.execute(
                    update(Message).where(Message.conversation_id == previous).values(conversation_id=target)
                )
                s.execute(
                    update(Escalation)
                    .where(Escalation.conversation_id == previous)
                    .values(conversation_id=target)
                )
                identity.conversation_id = target
            return target

    def set_audience(self, conversation_id: str, audience: str | None) -> None:
        with self.session() as s, s.begin():
            self._ensure(s, conversation_id).audience = audience

    def assign(self, conversation_id: str, advisor: str | None) -> None:
        """Give the conversation to an advisor (the bot goes quiet), or back to the bot with None."""
        with self.session() as s, s.begin():
            self._ensure(s, conversation_id).assigned_to = advisor

    def set_opt_out(self, channel: str, sender_id: str, opted_out: bool) -> None:
        with self.session() as s, s.begin():
            identity = s.get(ChannelIdentity, (channel, sender_id))
            if identity is None:
                conv_id = conversation_id_for(channel, sender_id)
                self._ensure(s, conv_id)
                identity = ChannelIdentity(channel=channel, sender_id=sender_id, conversation_id=conv_id)
                s.add(identity)
            identity.opted_out = opted_out

    def is_opted_out(self, channel: str, sender_id: str) -> bool:
        with self.session() as s:
            identity = s.get(ChannelIdentity, (channel, sender_id))
            return bool(identity and identity.opted_out)

    def delete_person(self, conversation_id: str) -> int:
        """Erase a person: every row of every table that refers to their conversation, then the conversation.

        Tables are found by their `conversation_id` column, so a table added later is covered too. Tables
        in KEEP_ANONYMISED (the audit log) keep their rows with the conversation id replaced: the record of
        who did what survives without pointing at anyone. Inbound receipts hold only platform message ids
        and stay, so a late redelivery is still recognised. Returns the number of rows touched.
        """
        touched = 0
        with self.session() as s, s.begin():
            for table in reversed(Base.metadata.sorted_tables):
                column = table.c.get("conversation_id")
                if column is None:
                    continue
                if table.name in KEEP_ANONYMISED:
                    result = s.execute(
                        table.update().where(column == conversation_id).values(conversation_id=ERASED)
                    )
                else:
                    result = s.execute(table.delete().where(column == conversation_id))
                touched += int(result.rowcount or 0)  # type: ignore[attr-defined]
            result = s.execute(delete(Conversation).where(Conversation.id == conversation_id))
            touched += int(result.rowcount or 0)  # type: ignore[attr-defined]
        return touched

    @staticmethod
    def _ensure(s: Session, conversation_id: str) -> Conversation:
        """The conversation row, created for ids the app has not seen (Rasa's own channels, used directly)."""
        row = s.get(Conversation, conversation_id)
        if row is None:
            row = Conversation(id=conversation_id, channel="rasa", sender_id=conversation_id)
            s.add(row)
            s.flush()
        return row

    def set_language(self, conversation_id: str, language: str, *, locked: bool) -> None:
        with self.session() as s, s.begin():
            row = self._ensure(s, conversation_id)
            row.language = language
            row.language_locked = locked or bool(row.language_locked)
            row.updated_at = utcnow()

    def record_turn(
        self,
        conversation_id: str,
        inbound_text: str,
        inbound_language: str | None,
        outbound: list[OutboundRecord],
        *,
        channel: str | None = None,
        kind: str = "text",
        media_ref: str | None = None,
        pending_options: list[dict[str, str]] | None = None,
    ) -> None:
        """One transaction per turn; `pending_options` (the buttons offered last; [] clears them) if given."""
        with self.session() as s, s.begin():
            first = outbound[0] if outbound else None
            row = self._ensure(s, conversation_id)
            row.updated_at = utcnow()
            if pending_options is not None:
                row.pending_options = _options_json(pending_options)
            s.add(
                Message(
                    conversation_id=conversation_id,
                    direction="in",
                    channel=channel,
                    kind=kind,
                    media_ref=media_ref,
                    text=inbound_text,
                    language=inbound_language,
                    intent=first.intent if first else None,
                )
            )
            for out in outbound:
                s.add(
                    Message(
                        conversation_id=conversation_id,
                        direction="out",
                        channel=channel,
                        text=out.text,
                        language=out.language,
                        intent=out.intent,
                        topic=out.topic,
                        entry_id=out.entry_id,
                        confidence=out.confidence,
                        degraded=out.degraded,
                    )
                )

    def add_escalation(
        self,
        conversation_id: str,
        *,
        reason: str,
        language: str | None,
        summary: str | None,
        contact: str | None,
        transcript: list[dict[str, str]],
        channel: str | None = None,
        recording_url: str | None = None,
        urgent: bool = False,
    ) -> int:
        with self.session() as s, s.begin():
            self._ensure(s, conversation_id)
            row = Escalation(
                conversation_id=conversation_id,
                reason=reason,
                language=language,
                summary=summary,
                contact=contact,
                transcript=json.dumps(transcript, ensure_ascii=False),
                channel=channel,
                recording_url=recording_url,
                urgent=urgent,
            )
            s.add(row)
            s.flush()
            return int(row.id)

    def escalations(self, conversation_id: str | None = None) -> list[EscalationRecord]:
        with self.session() as s:
            query = select(Escalation).order_by(Escalation.id)
            if conversation_id:
                query = query.where(Escalation.conversation_id == conversation_id)
            return [
                EscalationRecord(
                    e.id,
                    e.conversation_id,
                    e.reason,
                    e.language,
                    e.summary,
                    e.contact,
                    json.loads(e.transcript),
                    e.status,
                    e.channel,
                    e.recording_url,
                    bool(e.urgent),
                )
                for e in s.scalars(query)
            ]

    def add_feedback(self, conversation_id: str, entry_id: str | None, *, positive: bool) -> None:
        with self.session() as s, s.begin():
            self._ensure(s, conversation_id)
            s.add(Feedback(conversation_id=conversation_id, entry_id=entry_id, positive=positive))

    def messages(self, conversation_id: str) -> list[tuple[str, str]]:
        """(direction, text) of a conversation, oldest first."""
        with self.session() as s:
            rows = s.execute(
                select(Message.direction, Message.text)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id)
            )
            return [(d, t) for d, t in rows]

    def claim_unanswered_escalations(self, created_before: dt.datetime) -> list[tuple[int, str, str | None]]:
        """Queued escalations nobody has answered or notified about yet, marked as notified in the same
        statement, so of several workers only one tells the person: (id, conversation id, language)."""
        due = select(Escalation.id).where(
            Escalation.status != "resolved",
            Escalation.first_reply_at.is_(None),
            Escalation.waiting_notice_at.is_(None),
            Escalation.created_at < created_before,
        )
        claim = (
            update(Escalation)
            .where(Escalation.id.in_(due.scalar_subquery()), Escalation.waiting_notice_at.is_(None))
            .values(waiting_notice_at=utcnow())
            .returning(Escalation.id, Escalation.conversation_id, Escalation.language)
        )
        with self.session() as s, s.begin():
            return [(int(i), c, lang) for i, c, lang in s.execute(claim)]

    def conversations_idle_since(self, cutoff: dt.datetime) -> list[str]:
        """Ids of conversations with no activity since `cutoff` (candidates for the retention job)."""
        with self.session() as s:
            return list(s.scalars(select(Conversation.id).where(Conversation.updated_at < cutoff)))

    def export_person(self, conversation_id: str) -> dict[str, object]:
        """Everything stored about one person, as plain JSON-ready data (a subject access request)."""
        with self.session() as s:
            row = s.get(Conversation, conversation_id)
            if row is None:
                return {}
            identities = s.scalars(
                select(ChannelIdentity).where(ChannelIdentity.conversation_id == conversation_id)
            )
            messages = s.scalars(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
            )
            escalations = s.scalars(select(Escalation).where(Escalation.conversation_id == conversation_id))
            feedback = s.scalars(select(Feedback).where(Feedback.conversation_id == conversation_id))
            return {
                "conversation": {
                    "id": row.id,
                    "language": row.language,
                    "audience": row.audience,
                    "municipality": row.municipality,
                    "created_at": row.created_at.isoformat(),
                    "updated_at": row.updated_at.isoformat(),
                },
                "channels": [
                    {"channel": i.channel, "address": i.sender_id, "opted_out": bool(i.opted_out)}
                    for i in identities
                ],
                "messages": [
                    {
                        "at": m.created_at.isoformat(),
                        "direction": m.direction,
                        "channel": m.channel,
                        "kind": m.kind,
                        "text": m.text,
                        "media": m.media_ref,
                        "author": m.author,
                        "topic": m.topic,
                    }
                    for m in messages
                ],
                "escalations": [
                    {
                        "at": e.created_at.isoformat(),
                        "reason": e.reason,
                        "status": e.status,
                        "summary": e.summary,
                        "contact": e.contact,
                        "recording_url": e.recording_url,
                        "outcome": e.outcome,
                    }
                    for e in escalations
                ],
                "feedback": [
                    {"at": f.created_at.isoformat(), "entry_id": f.entry_id, "positive": f.positive}
                    for f in feedback
                ],
            }

    def message_records(self, conversation_id: str) -> list[MessageRecord]:
        """Every message of a conversation across its channels, oldest first."""
        with self.session() as s:
            rows = s.scalars(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
            )
            return [MessageRecord(m.direction, m.channel, m.kind, m.text, m.media_ref) for m in rows]

    def count_messages(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count(Message.id))) or 0)
