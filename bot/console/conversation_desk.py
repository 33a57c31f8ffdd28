"""One person's whole conversation for an advisor: messages on every channel, channels, notes, replies.

Blocking: call from async code through a worker thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from bot.console.clock import as_utc
from bot.console.errors import InvalidInput, NotFound
from bot.storage.console_models import Note
from bot.storage.models import ChannelIdentity, Conversation, Message, utcnow
from bot.storage.store import ConversationStore

MAX_TEXT = 4000  # the longest reply or note an advisor can send: what the channels accept, with room


@dataclass(frozen=True)
class MessageView:
    id: int
    direction: str  # in | out
    channel: str | None
    kind: str
    media_ref: str | None
    author: str | None  # an advisor's username; None for the person (in) or the bot (out)
    text: str
    language: str | None
    intent: str | None
    topic: str | None
    entry_id: str | None
    confidence: float | None
    degraded: bool
    created_at: dt.datetime

    @property
    def sender(self) -> str:
        if self.direction == "in":
            return "person"
        return "advisor" if self.author else "bot"


@dataclass(frozen=True)
class ChannelAddress:
    channel: str
    masked_address: str  # enough to tell two addresses apart, not to read a phone number off the screen
    opted_out: bool
    last_seen: dt.datetime


@dataclass(frozen=True)
class NoteView:
    id: int
    author: str
    text: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ConversationHeader:
    id: str
    channel: str
    language: str | None
    audience: str | None
    municipality: str | None
    assigned_to: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


def mask(address: str) -> str:
    tail = address[-3:] if len(address) > 6 else ""
    return f"•••{tail}"


def check_text(text: str, field: str) -> str:
    """Trimmed, with the CRLF line ends browsers submit textareas with turned into the \\n channels send."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput(f"{field}: empty")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{field}: at most {MAX_TEXT} characters")
    return text


def _message(m: Message) -> MessageView:
    return MessageView(
        id=m.id,
        direction=m.direction,
        channel=m.channel,
        kind=m.kind,
        media_ref=m.media_ref,
        author=m.author,
        text=m.text,
        language=m.language,
        intent=m.intent,
        topic=m.topic,
        entry_id=m.entry_id,
        confidence=m.confidence,
        degraded=bool(m.degraded),
        created_at=as_utc(m.created_at),
    )


class ConversationDesk:
    def __init__(self, store: ConversationStore) -> None:
        self._store = store

    def header(self, conversation_id: str) -> ConversationHeader:
        with self._store.session() as s:
            row = s.get(Conversation, conversation_id)
            if row is None:
                raise NotFound("no such conversation (it may have been erased at the person's request)")
            return ConversationHeader(
                id=row.id,
                channel=row.channel,
                language=row.language,
                audience=row.audience,
                municipality=row.municipality,
                assigned_to=row.assigned_to,
                created_at=as_utc(row.created_at),
                updated_at=as_utc(row.updated_at),
            )

    def messages(self, conversation_id: str, after: int = 0) -> list[MessageView]:
        """Messages on every channel, oldest first; `after` gives only those newer than a message id."""
        with self._store.session() as s:
            rows = s.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.id > after)
                .order_by(Message.id)
            )
            return [_message(m) for m in rows]

    def channels(self, conversation_id: str) -> list[ChannelAddress]:
        with self._store.session() as s:
            rows = s.scalars(
                select(ChannelIdentity)
                .where(ChannelIdentity.conversation_id == conversation_id)
                .order_by(ChannelIdentity.last_seen.desc())
            )
            return [
                ChannelAddress(i.channel, mask(i.sender_id), bool(i.opted_out), as_utc(i.last_seen))
                for i in rows
            ]

    def notes(self, conversation_id: str) -> list[NoteView]:
        with self._store.session() as s:
            rows = s.scalars(select(Note).where(Note.conversation_id == conversation_id).order_by(Note.id))
            return [NoteView(n.id, n.author, n.text, as_utc(n.created_at)) for n in rows]

    def add_note(self, conversation_id: str, author: str, text: str) -> int:
        text = check_text(text, "note")
        with self._store.session() as s, s.begin():
            if s.get(Conversation, conversation_id) is None:
                raise NotFound("no such conversation")
            note = Note(conversation_id=conversation_id, author=author, text=text)
            s.add(note)
            s.flush()
            return int(note.id)

    def record_reply(
        self, conversation_id: str, author: str, text: str, channel: str | None, language: str | None
    ) -> int:
        """Store an advisor's reply as an outbound message with the advisor as its author."""
        with self._store.session() as s, s.begin():
            row = s.get(Conversation, conversation_id)
            if row is None:
                raise NotFound("no such conversation")
            row.updated_at = utcnow()
            message = Message(
                conversation_id=conversation_id,
                direction="out",
                channel=channel,
                kind="text",
                author=author,
                text=text,
                language=language,
            )
            s.add(message)
            s.flush()
            return int(message.id)
