"""What is coming up: the advisor's visits and free times, events near a municipality, trainings.

Blocking (database): call from async code through a worker thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.roaming import municipalities
from bot.roaming.clock import as_utc, local
from bot.roaming.models import (
    Booking,
    Event,
    EventText,
    Training,
    TrainingRegistration,
    TrainingText,
    Visit,
    VisitSlot,
)
from bot.storage.store import ConversationStore

ACTIVE_BOOKING = ("booked", "attended")  # statuses that take a place
ACTIVE_REGISTRATION = ("registered", "attended")
TEXT_FALLBACK = ("en", "fi")  # an event without the person's language is shown in English, else Finnish


@dataclass(frozen=True)
class SlotInfo:
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


@dataclass(frozen=True)
class VisitInfo:
    id: int
    ref: str
    municipality: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    languages: tuple[str, ...]
    interpreter_available: bool
    slots: tuple[SlotInfo, ...] = ()
    sample: bool = False
    cancelled: bool = False

    @property
    def free_places(self) -> int:
        return sum(s.free for s in self.slots)


@dataclass(frozen=True)
class EventInfo:
    id: int
    ref: str
    municipality: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    audience: str
    capacity: int | None
    languages: tuple[str, ...]
    title: str
    description: str
    text_language: str  # the language `title` is in (the person's, or a fallback)
    sample: bool = False
    cancelled: bool = False


@dataclass(frozen=True)
class TrainingInfo:
    id: int
    ref: str
    kind: str
    municipality: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int | None
    registered: int
    title: str
    description: str
    text_language: str
    sample: bool = False

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.registered >= self.capacity


def split_codes(value: str) -> tuple[str, ...]:
    return tuple(code.strip() for code in value.replace(";", ",").split(",") if code.strip())


def _visit_info(visit: Visit, slots: Sequence[SlotInfo] = ()) -> VisitInfo:
    return VisitInfo(
        visit.id,
        visit.ref,
        visit.municipality,
        visit.place,
        as_utc(visit.starts_at),
        as_utc(visit.ends_at),
        split_codes(visit.languages),
        bool(visit.interpreter_available),
        tuple(slots),
        bool(visit.sample),
        bool(visit.cancelled),
    )


def booked_counts(s: Session, slot_ids: Sequence[int]) -> dict[int, int]:
    if not slot_ids:
        return {}
    rows = s.execute(
        select(Booking.slot_id, func.count(Booking.id))
        .where(Booking.slot_id.in_(slot_ids), Booking.status.in_(ACTIVE_BOOKING))
        .group_by(Booking.slot_id)
    )
    return {int(slot_id): int(count) for slot_id, count in rows}


def _slots_of(s: Session, visit_ids: Sequence[int]) -> dict[int, list[SlotInfo]]:
    slots = list(
        s.scalars(select(VisitSlot).where(VisitSlot.visit_id.in_(visit_ids)).order_by(VisitSlot.starts_at))
    )
    counts = booked_counts(s, [slot.id for slot in slots])
    by_visit: dict[int, list[SlotInfo]] = {}
    for slot in slots:
        by_visit.setdefault(slot.visit_id, []).append(
            SlotInfo(
                slot.id, as_utc(slot.starts_at), as_utc(slot.ends_at), slot.capacity, counts.get(slot.id, 0)
            )
        )
    return by_visit


def next_visits(
    store: ConversationStore, municipality: str, now: dt.datetime, limit: int = 3
) -> list[VisitInfo]:
    """The advisor's coming visits to a municipality (not called off, not over), soonest first."""
    now = as_utc(now)
    with store.session() as s:
        visits = list(
            s.scalars(
                select(Visit)
                .where(Visit.municipality == municipality, Visit.ends_at > now, Visit.cancelled.is_(False))
                .order_by(Visit.starts_at)
                .limit(limit)
            )
        )
        slots = _slots_of(s, [v.id for v in visits])
        return [_visit_info(v, slots.get(v.id, [])) for v in visits]


def visits_between(
    store: ConversationStore, start: dt.datetime, end: dt.datetime, municipality: str | None = None
) -> list[VisitInfo]:
    """Every visit starting in [start, end), called-off ones included (calendars show them as cancelled)."""
    with store.session() as s:
        query = select(Visit).where(Visit.starts_at >= start, Visit.starts_at < end).order_by(Visit.starts_at)
        if municipality:
            query = query.where(Visit.municipality == municipality)
        visits = list(s.scalars(query))
        slots = _slots_of(s, [v.id for v in visits])
        return [_visit_info(v, slots.get(v.id, [])) for v in visits]


def nearby_visits(
    store: ConversationStore, municipality: str, now: dt.datetime, limit: int = 3
) -> list[VisitInfo]:
    """Coming visits to the other municipalities of the same sub-region, soonest first."""
    now = as_utc(now)
    others = municipalities.same_subregion(municipality)[1:]
    with store.session() as s:
        visits = list(
            s.scalars(
                select(Visit)
                .where(Visit.municipality.in_(others), Visit.ends_at > now, Visit.cancelled.is_(False))
                .order_by(Visit.starts_at)
                .limit(limit)
            )
        )
        return [_visit_info(v) for v in visits]


def bookable_slots(
    store: ConversationStore, municipality: str, now: dt.datetime, limit: int = 6
) -> list[tuple[VisitInfo, SlotInfo]]:
    """Free times at the municipality's coming visits, soonest first."""
    found: list[tuple[VisitInfo, SlotInfo]] = []
    for visit in next_visits(store, municipality, now, limit=10):
        for slot in visit.slots:
            if slot.starts_at > now and slot.free > 0:
                found.append((visit, slot))
    return found[:limit]


def slot_with_visit(store: ConversationStore, slot_id: int) -> tuple[VisitInfo, SlotInfo] | None:
    with store.session() as s:
        slot = s.get(VisitSlot, slot_id)
        if slot is None:
            return None
        visit = s.get(Visit, slot.visit_id)
        assert visit is not None  # the foreign key holds it
        info = SlotInfo(
            slot.id,
            as_utc(slot.starts_at),
            as_utc(slot.ends_at),
            slot.capacity,
            booked_counts(s, [slot.id]).get(slot.id, 0),
        )
        return _visit_info(visit, [info]), info


def _event_texts(s: Session, ids: Sequence[int]) -> dict[int, dict[str, tuple[str, str]]]:
    texts: dict[int, dict[str, tuple[str, str]]] = {}
    for row in s.scalars(select(EventText).where(EventText.event_id.in_(ids))):
        texts.setdefault(row.event_id, {})[row.language] = (row.title, row.description)
    return texts


def _training_texts(s: Session, ids: Sequence[int]) -> dict[int, dict[str, tuple[str, str]]]:
    texts: dict[int, dict[str, tuple[str, str]]] = {}
    for row in s.scalars(select(TrainingText).where(TrainingText.training_id.in_(ids))):
        texts.setdefault(row.training_id, {})[row.language] = (row.title, row.description)
    return texts


def pick_text(texts: dict[str, tuple[str, str]], language: str) -> tuple[str, str, str]:
    """(title, description, language) in `language`, else English, else Finnish, else any."""
    for candidate in (language, *TEXT_FALLBACK, *sorted(texts)):
        if candidate in texts:
            title, description = texts[candidate]
            return title, description, candidate
    return "", "", language


def _event_info(event: Event, texts: dict[str, tuple[str, str]], language: str) -> EventInfo:
    title, description, text_language = pick_text(texts, language)
    return EventInfo(
        event.id,
        event.ref,
        event.municipality,
        event.place,
        as_utc(event.starts_at),
        as_utc(event.ends_at),
        event.audience,
        event.capacity,
        split_codes(event.languages),
        title,
        description,
        text_language,
        bool(event.sample),
        bool(event.cancelled),
    )


def upcoming_events(
    store: ConversationStore,
    municipality: str,
    now: dt.datetime,
    language: str,
    *,
    limit: int = 5,
    within: dt.timedelta = dt.timedelta(days=90),
) -> list[EventInfo]:
    """Events in the municipality and its sub-region, soonest first; the municipality's own come first on
    the same day."""
    now = as_utc(now)
    area = municipalities.same_subregion(municipality)
    with store.session() as s:
        events = list(
            s.scalars(
                select(Event)
                .where(
                    Event.municipality.in_(area),
                    Event.ends_at > now,
                    Event.starts_at < now + within,
                    Event.cancelled.is_(False),
                )
                .order_by(Event.starts_at)
            )
        )
        texts = _event_texts(s, [e.id for e in events])
        infos = [_event_info(e, texts.get(e.id, {}), language) for e in events]
    infos.sort(key=lambda e: (local(e.starts_at).date(), e.municipality != municipality, e.starts_at))
    return infos[:limit]


def events_between(
    store: ConversationStore,
    start: dt.datetime,
    end: dt.datetime,
    language: str,
    municipality: str | None = None,
) -> list[EventInfo]:
    with store.session() as s:
        query = select(Event).where(Event.starts_at >= start, Event.starts_at < end).order_by(Event.starts_at)
        if municipality:
            query = query.where(Event.municipality == municipality)
        events = list(s.scalars(query))
        texts = _event_texts(s, [e.id for e in events])
        return [_event_info(e, texts.get(e.id, {}), language) for e in events]


def event_texts(store: ConversationStore, event_id: int) -> dict[str, tuple[str, str]]:
    with store.session() as s:
        return _event_texts(s, [event_id]).get(event_id, {})


def registered_counts(s: Session, training_ids: Sequence[int]) -> dict[int, int]:
    if not training_ids:
        return {}
    rows = s.execute(
        select(TrainingRegistration.training_id, func.count(TrainingRegistration.id))
        .where(
            TrainingRegistration.training_id.in_(training_ids),
            TrainingRegistration.status.in_(ACTIVE_REGISTRATION),
        )
        .group_by(TrainingRegistration.training_id)
    )
    return {int(t): int(c) for t, c in rows}


def _training_info(
    training: Training, texts: dict[str, tuple[str, str]], registered: int, language: str
) -> TrainingInfo:
    title, description, text_language = pick_text(texts, language)
    return TrainingInfo(
        training.id,
        training.ref,
        training.kind,
        training.municipality,
        training.place,
        as_utc(training.starts_at),
        as_utc(training.ends_at),
        training.capacity,
        registered,
        title,
        description,
        text_language,
        bool(training.sample),
    )


def upcoming_trainings(
    store: ConversationStore, now: dt.datetime, language: str, limit: int = 6
) -> list[TrainingInfo]:
    """Trainings and mentoring groups not yet started and not called off, soonest first."""
    now = as_utc(now)
    with store.session() as s:
        trainings = list(
            s.scalars(
                select(Training)
                .where(Training.starts_at > now, Training.cancelled.is_(False))
                .order_by(Training.starts_at)
                .limit(limit)
            )
        )
        ids = [t.id for t in trainings]
        texts = _training_texts(s, ids)
        counts = registered_counts(s, ids)
        return [_training_info(t, texts.get(t.id, {}), counts.get(t.id, 0), language) for t in trainings]


def training(store: ConversationStore, training_id: int, language: str) -> TrainingInfo | None:
    with store.session() as s:
        row = s.get(Training, training_id)
        if row is None:
            return None
        texts = _training_texts(s, [row.id]).get(row.id, {})
        return _training_info(row, texts, registered_counts(s, [row.id]).get(row.id, 0), language)
