"""The funder's report (European Social Fund style) for a date range, as CSV files or one XLSX workbook.

Counted for days first..last (Finnish time), by when the thing happened (a booking by its slot's time):

- advisory contacts: bookings that were not cancelled and not marked no-show, plus the walk-in contacts an
  advisor recorded on each visit; people reached: the distinct people behind those bookings plus the
  walk-ins (anonymous, one person each);
- visits, events and trainings that were not called off; event and training participants as entered
  afterwards, with self-reported gender where it was given; training registrations;
- gender of the people reached by bookings: each person counted once, by the gender they last reported.

Counts come from live data: a person erased at their request (or by the retention job) drops out of
later reports, so export each period's report before the retention period has passed.

Blocking (database): call from async code through a worker thread.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from bot.roaming.clock import local, local_day_bounds
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
from bot.roaming.municipalities import NAMES
from bot.roaming.schedule import ACTIVE_REGISTRATION
from bot.storage.store import ConversationStore

GENDERS = ("woman", "man", "other")
NOT_A_CONTACT = ("cancelled", "no_show")

Table = tuple[list[str], list[list[object]]]


@dataclass(frozen=True)
class Report:
    first: dt.date
    last: dt.date
    summary: list[tuple[str, int]]
    municipalities: list[list[object]]
    events: list[list[object]]
    trainings: list[list[object]]

    def value(self, metric: str) -> int:
        return dict(self.summary)[metric]

    def tables(self) -> dict[str, Table]:
        period = f"{self.first.isoformat()}..{self.last.isoformat()}"
        return {
            "summary": (["metric", "value", "period"], [[m, v, period] for m, v in self.summary]),
            "municipalities": (
                [
                    "municipality",
                    "visits",
                    "advisory_contacts",
                    "booked_contacts",
                    "walk_in_contacts",
                    "people_reached",
                    "events",
                    "event_participants",
                    "trainings",
                    "training_participants",
                ],
                self.municipalities,
            ),
            "events": (
                [
                    "ref",
                    "date",
                    "municipality",
                    "title",
                    "audience",
                    "capacity",
                    "participants",
                    "women",
                    "men",
                    "other",
                    "sample",
                ],
                self.events,
            ),
            "trainings": (
                [
                    "ref",
                    "date",
                    "municipality",
                    "kind",
                    "title",
                    "capacity",
                    "registrations",
                    "participants",
                    "women",
                    "men",
                    "other",
                    "sample",
                ],
                self.trainings,
            ),
        }


def _title(texts: dict[str, str]) -> str:
    return texts.get("fi") or texts.get("en") or next(iter(texts.values()), "")


def build(store: ConversationStore, first: dt.date, last: dt.date) -> Report:
    if last < first:
        raise ValueError("the last day is before the first")
    start, end = local_day_bounds(first, last)
    with store.session() as s:
        visits = list(
            s.scalars(
                select(Visit).where(
                    Visit.starts_at >= start, Visit.starts_at < end, Visit.cancelled.is_(False)
                )
            )
        )
        contacts = s.execute(
            select(Booking.conversation_id, Booking.gender, Booking.created_at, Visit.municipality)
            .join(VisitSlot, VisitSlot.id == Booking.slot_id)
            .join(Visit, Visit.id == VisitSlot.visit_id)
            .where(
                VisitSlot.starts_at >= start,
                VisitSlot.starts_at < end,
                Booking.status.not_in(NOT_A_CONTACT),
                Visit.cancelled.is_(False),
            )
            .order_by(Booking.created_at)
        ).all()
        events = list(
            s.scalars(
                select(Event)
                .where(Event.starts_at >= start, Event.starts_at < end, Event.cancelled.is_(False))
                .order_by(Event.starts_at)
            )
        )
        event_titles: dict[int, dict[str, str]] = defaultdict(dict)
        for text in s.scalars(select(EventText).where(EventText.event_id.in_([e.id for e in events]))):
            event_titles[text.event_id][text.language] = text.title
        trainings = list(
            s.scalars(
                select(Training)
                .where(Training.starts_at >= start, Training.starts_at < end, Training.cancelled.is_(False))
                .order_by(Training.starts_at)
            )
        )
        training_titles: dict[int, dict[str, str]] = defaultdict(dict)
        for training_text in s.scalars(
            select(TrainingText).where(TrainingText.training_id.in_([t.id for t in trainings]))
        ):
            training_titles[training_text.training_id][training_text.language] = training_text.title
        registrations = Counter(
            s.scalars(
                select(TrainingRegistration.training_id).where(
                    TrainingRegistration.training_id.in_([t.id for t in trainings]),
                    TrainingRegistration.status.in_(ACTIVE_REGISTRATION),
                )
            )
        )

    walk_ins = sum(v.walk_in_contacts or 0 for v in visits)
    people = {conversation for conversation, _, _, _ in contacts}
    gender_of: dict[str, str | None] = {}
    for conversation, gender, _, _ in contacts:  # oldest first: the last reported gender wins
        if gender:
            gender_of[conversation] = gender
        else:
            gender_of.setdefault(conversation, None)
    genders = Counter(g if g in GENDERS else "not_reported" for g in gender_of.values())

    per: dict[str, Counter[str]] = defaultdict(Counter)
    people_per: dict[str, set[str]] = defaultdict(set)
    for visit in visits:
        per[visit.municipality]["visits"] += 1
        per[visit.municipality]["walk_in_contacts"] += visit.walk_in_contacts or 0
    for conversation, _, _, municipality in contacts:
        per[municipality]["booked_contacts"] += 1
        people_per[municipality].add(conversation)
    for event in events:
        per[event.municipality]["events"] += 1
        per[event.municipality]["event_participants"] += event.participants or 0
    for training in trainings:
        per[training.municipality]["trainings"] += 1
        per[training.municipality]["training_participants"] += training.participants or 0

    municipality_rows: list[list[object]] = []
    for name in NAMES:
        row = per.get(name, Counter())
        reached = len(people_per.get(name, set())) + row["walk_in_contacts"]
        municipality_rows.append(
            [
                name,
                row["visits"],
                row["booked_contacts"] + row["walk_in_contacts"],
                row["booked_contacts"],
                row["walk_in_contacts"],
                reached,
                row["events"],
                row["event_participants"],
                row["trainings"],
                row["training_participants"],
            ]
        )

    summary = [
        ("visits", len(visits)),
        ("advisory_contacts", len(contacts) + walk_ins),
        ("booked_contacts", len(contacts)),
        ("walk_in_contacts", walk_ins),
        ("people_reached_by_advisory", len(people) + walk_ins),
        ("people_reached_by_booking", len(people)),
        *((f"people_reached_by_booking_{g}", genders[g]) for g in GENDERS),
        ("people_reached_by_booking_gender_not_reported", genders["not_reported"]),
        ("events", len(events)),
        ("event_participants", sum(e.participants or 0 for e in events)),
        ("event_participants_women", sum(e.participants_women or 0 for e in events)),
        ("event_participants_men", sum(e.participants_men or 0 for e in events)),
        ("event_participants_other", sum(e.participants_other or 0 for e in events)),
        ("trainings", len(trainings)),
        ("training_registrations", sum(registrations.values())),
        ("training_participants", sum(t.participants or 0 for t in trainings)),
        ("training_participants_women", sum(t.participants_women or 0 for t in trainings)),
        ("training_participants_men", sum(t.participants_men or 0 for t in trainings)),
        ("training_participants_other", sum(t.participants_other or 0 for t in trainings)),
    ]
    event_rows: list[list[object]] = [
        [
            e.ref,
            _local_date(e.starts_at),
            e.municipality,
            _title(event_titles.get(e.id, {})),
            e.audience,
            e.capacity if e.capacity is not None else "",
            e.participants if e.participants is not None else "",
            e.participants_women if e.participants_women is not None else "",
            e.participants_men if e.participants_men is not None else "",
            e.participants_other if e.participants_other is not None else "",
            "yes" if e.sample else "no",
        ]
        for e in events
    ]
    training_rows: list[list[object]] = [
        [
            t.ref,
            _local_date(t.starts_at),
            t.municipality,
            t.kind,
            _title(training_titles.get(t.id, {})),
            t.capacity if t.capacity is not None else "",
            registrations.get(t.id, 0),
            t.participants if t.participants is not None else "",
            t.participants_women if t.participants_women is not None else "",
            t.participants_men if t.participants_men is not None else "",
            t.participants_other if t.participants_other is not None else "",
            "yes" if t.sample else "no",
        ]
        for t in trainings
    ]
    return Report(first, last, summary, municipality_rows, event_rows, training_rows)


def _local_date(value: dt.datetime) -> str:
    return local(value).date().isoformat()


def to_csv(report: Report, table: str) -> str:
    """One table as CSV (comma-separated, UTF-8; open with "Data > From text" in Excel)."""
    header, rows = report.tables()[table]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def to_xlsx(report: Report) -> bytes:
    """Every table on its own sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (header, rows) in report.tables().items():
        sheet = workbook.create_sheet(title=name)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
