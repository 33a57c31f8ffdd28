"""Tables of the roaming advisory, on the core `Base` so that `create_all` makes them.

Every table that holds something about a person has a `conversation_id` column with a cascading foreign
key: erasing a person (`ConversationStore.delete_person`) finds and deletes those rows, and a slot that
person had booked is free again, because a slot's bookings are counted, never kept as a counter.

`ref` columns are the admins' own identifiers from the CSV files, so that importing a file again updates
rows instead of adding them twice. `sample` marks the shipped SAMPLE data.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, utcnow


class ServicePoint(Base):
    """A place the advisor receives people: a library, a municipal service point. No address is invented."""

    __tablename__ = "roaming_service_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    municipality: Mapped[str] = mapped_column(String(64), index=True)  # Finnish name
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))  # filled in by an admin, never by the bot
    notes: Mapped[str | None] = mapped_column(Text)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)


class Visit(Base):
    """One day the advisor is at a service point; bookable slots belong to it."""

    __tablename__ = "roaming_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    municipality: Mapped[str] = mapped_column(String(64), index=True)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("roaming_service_points.id"))
    place: Mapped[str] = mapped_column(String(200))  # shown to people (the service point's name)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    languages: Mapped[str] = mapped_column(String(100))  # ISO codes the advisor speaks, "fi,en,ar"
    interpreter_available: Mapped[bool] = mapped_column(Boolean, default=False)
    walk_in_contacts: Mapped[int] = mapped_column(Integer, default=0)  # people met without a booking
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)


class VisitSlot(Base):
    """A bookable time at a visit; `capacity` people can book it."""

    __tablename__ = "roaming_visit_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("roaming_visits.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped by every booking and cancellation: the update takes the row's write lock, so two bookings of
    # the last place are decided one after the other (SQLite and PostgreSQL alike).
    lock_version: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("visit_id", "starts_at", name="uq_roaming_slot_time"),)


class Booking(Base):
    __tablename__ = "roaming_bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    slot_id: Mapped[int] = mapped_column(ForeignKey("roaming_visit_slots.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="booked")  # booked, cancelled, attended, no_show
    language: Mapped[str] = mapped_column(String(2))  # the person's language: confirmation and reminder
    interpreter_language: Mapped[str | None] = mapped_column(String(8))  # None: no interpreter needed
    topic: Mapped[str | None] = mapped_column(Text)
    contact_channel: Mapped[str] = mapped_column(String(32))  # where the reminder goes
    gender: Mapped[str | None] = mapped_column(String(16))  # optional, self-reported, for the funder only
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_roaming_booking_slot_status", "slot_id", "status"),)


class Event(Base):
    """A community event; its title and description are in EventText, one row per language."""

    __tablename__ = "roaming_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    municipality: Mapped[str] = mapped_column(String(64), index=True)
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    audience: Mapped[str] = mapped_column(String(32), default="everyone")
    capacity: Mapped[int | None] = mapped_column(Integer)
    languages: Mapped[str] = mapped_column(String(100), default="")
    # What happened, entered afterwards for the funder's report: totals, optionally by self-reported gender.
    participants: Mapped[int | None] = mapped_column(Integer)
    participants_women: Mapped[int | None] = mapped_column(Integer)
    participants_men: Mapped[int | None] = mapped_column(Integer)
    participants_other: Mapped[int | None] = mapped_column(Integer)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)


class EventText(Base):
    __tablename__ = "roaming_event_texts"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("roaming_events.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")


class Training(Base):
    """A training or a mentoring group for municipal professionals."""

    __tablename__ = "roaming_trainings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="training")  # training, mentoring
    municipality: Mapped[str] = mapped_column(String(64), index=True)
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int | None] = mapped_column(Integer)
    participants: Mapped[int | None] = mapped_column(Integer)  # attended, entered afterwards
    participants_women: Mapped[int | None] = mapped_column(Integer)
    participants_men: Mapped[int | None] = mapped_column(Integer)
    participants_other: Mapped[int | None] = mapped_column(Integer)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)  # as VisitSlot: serialises registrations


class TrainingText(Base):
    __tablename__ = "roaming_training_texts"

    training_id: Mapped[int] = mapped_column(
        ForeignKey("roaming_trainings.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")


class TrainingRegistration(Base):
    __tablename__ = "roaming_training_registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("roaming_trainings.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    organisation: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(2))
    contact_channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="registered")  # registered, cancelled, attended
    gender: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Subscription(Base):
    """A person's opt-in to event news of one municipality, in their language, on one channel."""

    __tablename__ = "roaming_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    municipality: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("conversation_id", "municipality", "channel", name="uq_roaming_subscription"),
    )


class Broadcast(Base):
    """An admin's message to subscribers. Holds no personal data; who got it is in BroadcastDelivery."""

    __tablename__ = "roaming_broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    municipalities: Mapped[str] = mapped_column(Text)  # comma-separated Finnish names
    texts: Mapped[str] = mapped_column(Text)  # JSON {language: text}
    sent: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class BroadcastDelivery(Base):
    """One person's copy of a broadcast: each is sent at most once, even if a broadcast is resumed."""

    __tablename__ = "roaming_broadcast_deliveries"

    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("roaming_broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # sent, failed, opted_out
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
