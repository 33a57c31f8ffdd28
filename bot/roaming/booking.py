"""Booking a time with the roaming advisor, cancelling it, and registering for trainings.

A booking is decided in one transaction that first takes the slot's write lock (an UPDATE of its
`lock_version`), then counts the places taken: two people booking the last place at once are decided one
after the other, and exactly one of them gets it. The same holds on SQLite (the update takes the database's
write lock; the count runs after it, so it sees the other's booking) and on PostgreSQL (the row lock).

Blocking (database): call from async code through a worker thread.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.roaming.clock import as_utc
from bot.roaming.errors import BookingRefused, NotFound, Refusal
from bot.roaming.models import Booking, Training, TrainingRegistration, Visit, VisitSlot
from bot.roaming.schedule import ACTIVE_BOOKING, ACTIVE_REGISTRATION
from bot.storage.store import ConversationStore

T = TypeVar("T")
LOCK_RETRIES = 5  # SQLite answers "database is locked" after its busy timeout; try again a few times


@dataclass(frozen=True)
class BookingInfo:
    id: int
    conversation_id: str
    status: str
    slot_id: int
    visit_id: int
    municipality: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    language: str
    interpreter_language: str | None
    topic: str | None
    contact_channel: str
    created_at: dt.datetime
    reminder_sent_at: dt.datetime | None = None
    gender: str | None = None


@dataclass(frozen=True)
class RegistrationInfo:
    id: int
    training_id: int
    conversation_id: str
    status: str
    organisation: str | None
    language: str
    contact_channel: str


def _info(booking: Booking, slot: VisitSlot, visit: Visit) -> BookingInfo:
    return BookingInfo(
        booking.id,
        booking.conversation_id,
        booking.status,
        slot.id,
        visit.id,
        visit.municipality,
        visit.place,
        as_utc(slot.starts_at),
        as_utc(slot.ends_at),
        booking.language,
        booking.interpreter_language,
        booking.topic,
        booking.contact_channel,
        as_utc(booking.created_at),
        as_utc(booking.reminder_sent_at) if booking.reminder_sent_at else None,
        booking.gender,
    )


def _retrying(work: Callable[[], T]) -> T:
    """Run a write transaction, again if SQLite stayed locked past its busy timeout."""
    for attempt in range(LOCK_RETRIES):
        try:
            return work()
        except OperationalError as exc:
            if "locked" not in str(exc).lower() or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def book(
    store: ConversationStore,
    conversation_id: str,
    slot_id: int,
    *,
    language: str,
    interpreter_language: str | None,
    topic: str | None,
    contact_channel: str,
    now: dt.datetime,
) -> BookingInfo:
    """Book a place in a slot. Raises BookingRefused (full, gone, past, already booked at that visit)."""
    now = as_utc(now)

    def attempt() -> BookingInfo:
        with store.session() as s, s.begin():
            locked = s.execute(
                update(VisitSlot)
                .where(VisitSlot.id == slot_id)
                .values(lock_version=VisitSlot.lock_version + 1)
            )
            if not locked.rowcount:  # type: ignore[attr-defined]
                raise BookingRefused(Refusal.NOT_FOUND)
            slot = s.get(VisitSlot, slot_id)
            assert slot is not None
            visit = s.get(Visit, slot.visit_id)
            assert visit is not None
            if visit.cancelled:
                raise BookingRefused(Refusal.CANCELLED)
            if as_utc(slot.starts_at) <= now:
                raise BookingRefused(Refusal.PAST)
            if _active_booking_at_visit(s, conversation_id, visit.id):
                raise BookingRefused(Refusal.ALREADY)
            taken = s.scalar(
                select(func.count(Booking.id)).where(
                    Booking.slot_id == slot_id, Booking.status.in_(ACTIVE_BOOKING)
                )
            )
            if int(taken or 0) >= slot.capacity:
                raise BookingRefused(Refusal.FULL)
            booking = Booking(
                conversation_id=conversation_id,
                slot_id=slot_id,
                status="booked",
                language=language,
                interpreter_language=interpreter_language,
                topic=topic,
                contact_channel=contact_channel,
                created_at=now,
            )
            s.add(booking)
            s.flush()
            return _info(booking, slot, visit)

    return _retrying(attempt)


def _active_booking_at_visit(s: Session, conversation_id: str, visit_id: int) -> bool:
    found = s.scalar(
        select(Booking.id)
        .join(VisitSlot, VisitSlot.id == Booking.slot_id)
        .where(
            Booking.conversation_id == conversation_id,
            VisitSlot.visit_id == visit_id,
            Booking.status.in_(ACTIVE_BOOKING),
        )
        .limit(1)
    )
    return found is not None


def cancel(store: ConversationStore, conversation_id: str, booking_id: int, now: dt.datetime) -> BookingInfo:
    """Cancel one of the person's own bookings; its place is free at once. Raises NotFound."""
    now = as_utc(now)

    def attempt() -> BookingInfo:
        with store.session() as s, s.begin():
            booking = s.get(Booking, booking_id)
            if booking is None or booking.conversation_id != conversation_id or booking.status != "booked":
                raise NotFound(f"booking {booking_id}")
            s.execute(
                update(VisitSlot)
                .where(VisitSlot.id == booking.slot_id)
                .values(lock_version=VisitSlot.lock_version + 1)
            )
            booking.status = "cancelled"
            booking.cancelled_at = now
            slot = s.get(VisitSlot, booking.slot_id)
            assert slot is not None
            visit = s.get(Visit, slot.visit_id)
            assert visit is not None
            return _info(booking, slot, visit)

    return _retrying(attempt)


def _bookings(s: Session, *conditions: object) -> list[BookingInfo]:
    rows = s.execute(
        select(Booking, VisitSlot, Visit)
        .join(VisitSlot, VisitSlot.id == Booking.slot_id)
        .join(Visit, Visit.id == VisitSlot.visit_id)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(VisitSlot.starts_at, Booking.id)
    )
    return [_info(b, slot, v) for b, slot, v in rows]


def upcoming_bookings(store: ConversationStore, conversation_id: str, now: dt.datetime) -> list[BookingInfo]:
    """The person's bookings that are still to come, soonest first."""
    now = as_utc(now)
    with store.session() as s:
        return _bookings(
            s,
            Booking.conversation_id == conversation_id,
            Booking.status == "booked",
            VisitSlot.starts_at > now,
        )


def bookings_between(
    store: ConversationStore, start: dt.datetime, end: dt.datetime, *, include_cancelled: bool = False
) -> list[BookingInfo]:
    """Bookings of slots starting in [start, end): what the console lists for advisors."""
    with store.session() as s:
        conditions: list[object] = [VisitSlot.starts_at >= start, VisitSlot.starts_at < end]
        if not include_cancelled:
            conditions.append(Booking.status != "cancelled")
        return _bookings(s, *conditions)


def booking(store: ConversationStore, booking_id: int) -> BookingInfo | None:
    with store.session() as s:
        found = _bookings(s, Booking.id == booking_id)
        return found[0] if found else None


def set_outcome(store: ConversationStore, booking_id: int, status: str, gender: str | None = None) -> None:
    """An advisor records how a booking went (attended, no_show) and, if the person said, their gender."""
    if status not in {"booked", "attended", "no_show", "cancelled"}:
        raise ValueError(f"unknown booking status {status!r}")
    with store.session() as s, s.begin():
        row = s.get(Booking, booking_id)
        if row is None:
            raise NotFound(f"booking {booking_id}")
        row.status = status
        row.gender = gender or row.gender


def claim_reminder(store: ConversationStore, booking_id: int, now: dt.datetime) -> bool:
    """Mark a booking's reminder as sent; True only for the one caller that marked it (send it then)."""
    now = as_utc(now)
    with store.session() as s, s.begin():
        result = s.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.reminder_sent_at.is_(None), Booking.status == "booked")
            .values(reminder_sent_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def register_for_training(
    store: ConversationStore,
    conversation_id: str,
    training_id: int,
    *,
    organisation: str | None,
    language: str,
    contact_channel: str,
    now: dt.datetime,
) -> RegistrationInfo:
    """Register a professional for a training. Raises BookingRefused (full, started, already registered)."""
    now = as_utc(now)

    def attempt() -> RegistrationInfo:
        with store.session() as s, s.begin():
            locked = s.execute(
                update(Training)
                .where(Training.id == training_id)
                .values(lock_version=Training.lock_version + 1)
            )
            if not locked.rowcount:  # type: ignore[attr-defined]
                raise BookingRefused(Refusal.NOT_FOUND)
            training = s.get(Training, training_id)
            assert training is not None
            if training.cancelled:
                raise BookingRefused(Refusal.CANCELLED)
            if as_utc(training.starts_at) <= now:
                raise BookingRefused(Refusal.PAST)
            already = s.scalar(
                select(TrainingRegistration.id).where(
                    TrainingRegistration.training_id == training_id,
                    TrainingRegistration.conversation_id == conversation_id,
                    TrainingRegistration.status.in_(ACTIVE_REGISTRATION),
                )
            )
            if already is not None:
                raise BookingRefused(Refusal.ALREADY)
            taken = s.scalar(
                select(func.count(TrainingRegistration.id)).where(
                    TrainingRegistration.training_id == training_id,
                    TrainingRegistration.status.in_(ACTIVE_REGISTRATION),
                )
            )
            if training.capacity is not None and int(taken or 0) >= training.capacity:
                raise BookingRefused(Refusal.FULL)
            row = TrainingRegistration(
                training_id=training_id,
                conversation_id=conversation_id,
                organisation=organisation,
                language=language,
                contact_channel=contact_channel,
                created_at=now,
            )
            s.add(row)
            s.flush()
            return RegistrationInfo(
                row.id, training_id, conversation_id, row.status, organisation, language, contact_channel
            )

    return _retrying(attempt)
