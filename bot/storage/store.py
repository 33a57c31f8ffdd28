"""Reading and writing the app's records. Blocking: call from async code through a worker thread."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.models import Base, Conversation, Escalation, Feedback, Message, utcnow


@dataclass(frozen=True)
class ConversationRecord:
    id: str
    channel: str
    sender_id: str
    language: str | None
    language_locked: bool


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


def conversation_id_for(channel: str, sender_id: str) -> str:
    """An opaque, stable id: Rasa and logs never see the raw sender id (a phone number or chat id)."""
    return "c" + hashlib.sha256(f"{channel}\0{sender_id}".encode()).hexdigest()[:32]


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
        else:
            self.engine = create_engine(database_url, pool_pre_ping=True)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    def ping(self) -> bool:
        with self.session() as s:
            s.execute(select(1))
        return True

    def conversation(self, channel: str, sender_id: str) -> ConversationRecord:
        """The conversation of this sender on this channel, created on first contact."""
        conv_id = conversation_id_for(channel, sender_id)
        with self.session() as s, s.begin():
            row = s.get(Conversation, conv_id)
            if row is None:
                row = Conversation(id=conv_id, channel=channel, sender_id=sender_id)
                s.add(row)
            return ConversationRecord(
                row.id, row.channel, row.sender_id, row.language, bool(row.language_locked)
            )

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
    ) -> None:
        with self.session() as s, s.begin():
            first = outbound[0] if outbound else None
            s.add(
                Message(
                    conversation_id=conversation_id,
                    direction="in",
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

    def count_messages(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count(Message.id))) or 0)
