"""Tables of the advisors' console: accounts, notes, the audit log, service settings, suggestions for the KB.

They live on the same `Base` as the core tables, so `create_all` makes them and erasing a person
(`ConversationStore.delete_person`) finds every table with a `conversation_id`: notes and suggestions are
deleted with the person; the audit log keeps its rows with the id replaced.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, Conversation, Escalation, Message, utcnow


class ConsoleUser(Base):
    """An advisor's or admin's account. Disabled accounts stay, so the audit log keeps naming someone."""

    __tablename__ = "console_users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # advisor | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of every session cookie: raising it (new password, disabled account) ends the account's sessions.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Note(Base):
    """An advisor's internal note on a conversation; never sent to the person."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Who viewed or changed what, and when. `detail` names what changed, never message text."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(48))
    # No foreign key: the row outlives an erased person (their id is then replaced by "erased").
    conversation_id: Mapped[str | None] = mapped_column(String(40), index=True)
    detail: Mapped[str | None] = mapped_column(Text)


class ServiceSettingsRow(Base):
    """The one row of settings an admin changes while the service runs."""

    __tablename__ = "console_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    # As NEUVO_ADVISOR_HOURS writes them: "mon-fri=09:00-15:00,sat=10:00-12:00" (Europe/Helsinki).
    advisor_hours: Mapped[str] = mapped_column(Text, default="")
    retention_days: Mapped[int] = mapped_column(Integer)
    no_answer_minutes: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KbSuggestion(Base):
    """An advisor's reply proposed as a knowledge-base answer or example question, for an admin to review."""

    __tablename__ = "kb_suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # answer | question
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)  # new | accepted | rejected
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Indexes the console's queries need on the core tables (the queue's order, the statistics' date ranges,
# the municipality filter). Declared here so the core models stay the core's; created with the tables, and
# added to an existing database at start-up (`ensure_console_indexes`).
CONSOLE_INDEXES: tuple[Index, ...] = (
    # The queue's order: scanned in order, the first page of unresolved escalations needs no sort.
    Index("ix_console_escalation_order", Escalation.urgent.desc(), Escalation.created_at, Escalation.id),
    Index(
        "ix_console_escalation_resolved",
        Escalation.status,
        Escalation.resolved_at.desc(),
        Escalation.id.desc(),
    ),
    Index("ix_console_escalation_created", Escalation.created_at),
    Index("ix_console_message_created", Message.created_at),
    Index("ix_console_conversation_municipality", Conversation.municipality),
)
