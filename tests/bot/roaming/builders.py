"""Small builders of roaming data for tests: written straight to the tables, independent of the importer."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from bot.roaming.models import Event, EventText, Training, TrainingText, Visit, VisitSlot
from bot.storage.store import ConversationStore

_refs = itertools.count(1)


def at(days: float, hour: int = 10, minute: int = 0, *, base: dt.datetime | None = None) -> dt.datetime:
    """A UTC time `days` from now (or from `base`), at hour:minute UTC."""
    day = (base or dt.datetime.now(dt.UTC)) + dt.timedelta(days=days)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def add_visit(
    store: ConversationStore,
    municipality: str,
    start: dt.datetime,
    *,
    slots: int = 2,
    minutes: int = 30,
    capacity: int = 1,
    languages: str = "fi,en,ar",
    interpreter: bool = True,
    place: str = "Kirjasto",
    sample: bool = False,
    walk_ins: int = 0,
    cancelled: bool = False,
) -> int:
    with store.session() as s, s.begin():
        visit = Visit(
            ref=f"V{next(_refs)}",
            municipality=municipality,
            place=place,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=minutes * max(slots, 1)),
            languages=languages,
            interpreter_available=interpreter,
            sample=sample,
            walk_in_contacts=walk_ins,
            cancelled=cancelled,
        )
        s.add(visit)
        s.flush()
        for i in range(slots):
            begin = start + dt.timedelta(minutes=minutes * i)
            s.add(
                VisitSlot(
                    visit_id=visit.id,
                    starts_at=begin,
                    ends_at=begin + dt.timedelta(minutes=minutes),
                    capacity=capacity,
                )
            )
        return int(visit.id)


def cancel_visit(store: ConversationStore, visit_id: int) -> None:
    with store.session() as s, s.begin():
        visit = s.get(Visit, visit_id)
        assert visit is not None
        visit.cancelled = True


def slot_ids(store: ConversationStore, visit_id: int) -> list[int]:
    with store.session() as s:
        return list(
            s.scalars(
                select(VisitSlot.id).where(VisitSlot.visit_id == visit_id).order_by(VisitSlot.starts_at)
            )
        )


def add_event(
    store: ConversationStore,
    municipality: str,
    start: dt.datetime,
    titles: dict[str, str],
    *,
    participants: int | None = None,
    women: int | None = None,
    men: int | None = None,
    audience: str = "everyone",
    cancelled: bool = False,
    sample: bool = False,
) -> int:
    with store.session() as s, s.begin():
        event = Event(
            ref=f"E{next(_refs)}",
            municipality=municipality,
            place="Kirjasto",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            audience=audience,
            participants=participants,
            participants_women=women,
            participants_men=men,
            cancelled=cancelled,
            sample=sample,
        )
        s.add(event)
        s.flush()
        for language, title in titles.items():
            s.add(EventText(event_id=event.id, language=language, title=title, description=""))
        return int(event.id)


def add_training(
    store: ConversationStore,
    municipality: str,
    start: dt.datetime,
    titles: dict[str, str],
    *,
    capacity: int | None = 10,
    participants: int | None = None,
    kind: str = "training",
) -> int:
    with store.session() as s, s.begin():
        training = Training(
            ref=f"T{next(_refs)}",
            kind=kind,
            municipality=municipality,
            place="Koulutustila",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=3),
            capacity=capacity,
            participants=participants,
        )
        s.add(training)
        s.flush()
        for language, title in titles.items():
            s.add(TrainingText(training_id=training.id, language=language, title=title, description=""))
        return int(training.id)


def person(store: ConversationStore, channel: str = "telegram", address: str = "1001") -> str:
    """A person's conversation id, created as the engine does on first contact."""
    return store.conversation(channel, address).id
