"""Database tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    """One person on one channel; the language is sticky per conversation."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    sender_id: Mapped[str] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(2))
    language_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who the conversation is for: "resident" limits answers to the facts-about-immigration topics.
    audience: Mapped[str | None] = mapped_column(String(16))
    # The advisor holding the conversation: while set, the bot stays quiet and messages go to the advisor.
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    # The buttons last offered, as JSON: channels without buttons (SMS, voice) answer them by number.
    pending_options: Mapped[str | None] = mapped_column(Text)
    municipality: Mapped[str | None] = mapped_column(String(64))  # Finnish name, when the person told us
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    __table_args__ = (Index("ix_conversation_sender", "channel", "sender_id", unique=True),)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(3))  # "in" or "out"
    channel: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="text")  # text, voice_note, photo, recording, ...
    media_ref: Mapped[str | None] = mapped_column(Text)  # a Telegram file id or a recording URL
    author: Mapped[str | None] = mapped_column(String(64))  # an advisor's username; None for the user or bot
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(2))
    intent: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(64))
    entry_id: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float | None] = mapped_column(Float)
    degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Escalation(Base):
    """A conversation handed to human advisors, with what they need to help."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open, claimed, resolved
    reason: Mapped[str] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    first_reply_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    waiting_notice_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # "still queued"
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(32))
    resolved_topic: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(2))
    summary: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))  # where the person asked; replies go back there
    recording_url: Mapped[str | None] = mapped_column(
        Text
    )  # a voicemail, for an advisor who speaks the language
    transcript: Mapped[str] = mapped_column(Text)  # JSON list of {"from": "user"|"bot", "text": ...}
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[str | None] = mapped_column(String(100))
    positive: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChannelIdentity(Base):
    """An address of a person on one channel (a chat id, a phone number), pointing at their conversation.

    Several identities point at one conversation when the person links their channels, so the history is one.
    """

    __tablename__ = "channel_identities"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)  # SMS STOP
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InboundReceipt(Base):
    """A platform's message id (Telegram update_id, Twilio MessageSid): each is handled once."""

    __tablename__ = "inbound_receipts"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # The message itself, stored before the platform gets its 200, so a crash before it is handled loses
    # nothing: pending receipts whose lease ran out are handled again. Cleared once handled.
    payload: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="done", index=True)  # pending, done
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The sender's address on the channel: one person's pending messages are handled in the order received.
    sender: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (Index("ix_inbound_sender_pending", "channel", "sender", "status"),)


class OutboxMessage(Base):
    """A reply waiting to be delivered; workers claim rows (SKIP LOCKED) and retry with backoff."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(128))
    conversation_id: Mapped[str | None] = mapped_column(String(40), index=True)
    payload: Mapped[str] = mapped_column(Text)  # the Outgoing, as JSON
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending, sending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)


class LinkCode(Base):
    """A short-lived code that lets a person join another channel to their conversation."""

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
