"""Importing the roaming advisory's data from CSV files that admins keep in a spreadsheet.

One file per kind: service_points.csv, visits.csv, events.csv, trainings.csv (columns below). Each row has
the admin's own `ref`; importing a file again updates those rows instead of adding them twice. A file is
checked whole before anything is written: every problem is reported with the file, the line and the field,
and a file with any problem changes nothing. Comma or semicolon separators (Finnish Excel saves with
semicolons) and a UTF-8 byte order mark are accepted. Times are Finnish local time.

Blocking (database): call from async code through a worker thread.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.languages import LANGUAGES
from bot.roaming.clock import as_utc, from_local
from bot.roaming.errors import RoamingError
from bot.roaming.formatting import AUDIENCES
from bot.roaming.models import (
    Booking,
    Event,
    EventText,
    ServicePoint,
    Training,
    TrainingText,
    Visit,
    VisitSlot,
)
from bot.roaming.municipalities import UnknownMunicipality, parse_name
from bot.roaming.schedule import ACTIVE_BOOKING
from bot.storage.store import ConversationStore

SAMPLE_DIR = Path(__file__).parent / "sample_data"
KINDS = ("service_points", "visits", "events", "trainings")  # in the order they can refer to each other
_TEXT_COLUMNS = tuple(f"{part}_{lang}" for part in ("title", "description") for lang in LANGUAGES)
_PARTICIPANTS = ("participants", "participants_women", "participants_men", "participants_other")
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # kind -> (required, optional)
    "service_points": (("ref", "municipality", "name"), ("address", "notes", "sample")),
    "visits": (
        ("ref", "municipality", "date", "start", "end", "languages"),
        (
            "service_point",
            "place",
            "interpreter_available",
            "slot_minutes",
            "places_per_slot",
            "walk_in_contacts",
            "cancelled",
            "note",
            "sample",
        ),
    ),
    "events": (
        ("ref", "municipality", "place", "date", "start", "end"),
        ("audience", "capacity", "languages", "cancelled", "sample", *_PARTICIPANTS, *_TEXT_COLUMNS),
    ),
    "trainings": (
        ("ref", "municipality", "place", "date", "start", "end"),
        ("kind", "capacity", "cancelled", "sample", *_PARTICIPANTS, *_TEXT_COLUMNS),
    ),
}
_TRUE = {"1", "yes", "true", "kyllä", "k", "ja", "x"}
_FALSE = {"", "0", "no", "false", "ei", "e", "nej"}
_CODE = re.compile(r"^[a-z]{2,3}$")
_REF = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class ImportProblem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ImportFailed(RoamingError):
    """The file was not imported; `problems` says where and why (nothing was changed)."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)


@dataclass
class ImportSummary:
    kind: str
    created: int = 0
    updated: int = 0


@dataclass
class _Row:
    line: int
    values: dict[str, Any] = field(default_factory=dict)


class _Checker:
    """Reads one row's fields, collecting problems instead of stopping at the first."""

    def __init__(self, file: str, line: int, raw: dict[str, str], problems: list[ImportProblem]) -> None:
        self.file, self.line, self.raw, self.problems = file, line, raw, problems

    def problem(self, name: str, message: str) -> None:
        self.problems.append(ImportProblem(self.file, self.line, name, message))

    def text(self, name: str, *, required: bool = False, limit: int = 300) -> str | None:
        value = (self.raw.get(name) or "").strip()
        if not value:
            if required:
                self.problem(name, "is empty")
            return None
        if len(value) > limit:
            self.problem(name, f"is longer than {limit} characters")
        return value

    def ref(self) -> str | None:
        value = self.text("ref", required=True, limit=64)
        if value and not _REF.match(value):
            self.problem("ref", f"{value!r}: use letters, digits, '.', '_' and '-' only")
        return value

    def municipality(self) -> str | None:
        value = self.text("municipality", required=True)
        if value is None:
            return None
        try:
            return parse_name(value)
        except UnknownMunicipality:
            self.problem("municipality", f"{value!r} is not one of the advisor's municipalities")
            return None

    def date(self, shift: dt.timedelta) -> dt.date | None:
        value = self.text("date", required=True)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value) + shift
        except ValueError:
            self.problem("date", f"{value!r} is not a date like 2026-12-09")
            return None

    def time(self, name: str) -> dt.time | None:
        value = self.text(name, required=True)
        if value is None:
            return None
        match = re.fullmatch(r"([01]?\d|2[0-3])[:.]([0-5]\d)", value)
        if not match:
            self.problem(name, f"{value!r} is not a time like 10:00")
            return None
        return dt.time(int(match.group(1)), int(match.group(2)))

    def flag(self, name: str) -> bool:
        value = (self.raw.get(name) or "").strip().casefold()
        if value in _TRUE:
            return True
        if value not in _FALSE:
            self.problem(name, f"{value!r} is not yes or no")
        return False

    def number(self, name: str, default: int | None, low: int = 0, high: int = 100_000) -> int | None:
        value = (self.raw.get(name) or "").strip()
        if not value:
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            self.problem(name, f"{value!r} is not a whole number from {low} to {high}")
            return default
        return int(value)

    def codes(self, name: str, *, required: bool) -> str:
        value = self.text(name, required=required) or ""
        codes = [c.strip().casefold() for c in re.split(r"[;,\s]+", value) if c.strip()]
        bad = [c for c in codes if not _CODE.match(c)]
        if bad:
            self.problem(name, f"{', '.join(bad)}: use language codes such as fi, en, ar")
        return ",".join(codes)

    def span(self, shift: dt.timedelta) -> tuple[dt.datetime, dt.datetime] | None:
        day, start, end = self.date(shift), self.time("start"), self.time("end")
        if day is None or start is None or end is None:
            return None
        if end <= start:
            self.problem("end", "must be later than start")
            return None
        return from_local(day, start), from_local(day, end)

    def texts(self) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        untitled = False
        for lang in LANGUAGES:
            title = self.text(f"title_{lang}")
            description = self.text(f"description_{lang}", limit=2000) or ""
            if title:
                found[lang] = (title, description)
            elif description:
                self.problem(f"title_{lang}", "is empty but the description is not")
                untitled = True
        if not found and not untitled:
            self.problem("title_fi", "a title is needed in at least one language")
        return found


def _sniff(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _rows(
    file: str, text: str, kind: str, problems: list[ImportProblem]
) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=_sniff(text))
    required, optional = COLUMNS[kind]
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    for name in required:
        if name not in header:
            problems.append(ImportProblem(file, 1, name, "column is missing"))
    for name in header:
        if name and name not in required and name not in optional:
            problems.append(ImportProblem(file, 1, name, "unknown column"))
    if any(p.line == 1 for p in problems):
        return
    seen: dict[str, int] = {}
    for raw in reader:
        # The reader skips blank lines and a quoted field may span lines: count back from where it stopped.
        line = reader.line_num - sum(v.count("\n") for v in raw.values() if isinstance(v, str))
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue  # blank lines are fine
        if None in raw:
            problems.append(ImportProblem(file, line, "row", "has more fields than the header"))
            continue
        ref = (raw.get("ref") or "").strip()
        if ref in seen:
            problems.append(ImportProblem(file, line, "ref", f"{ref!r} is also on line {seen[ref]}"))
        seen[ref] = line
        yield line, {k: v or "" for k, v in raw.items()}


def _parse(kind: str, file: str, text: str, shift: dt.timedelta) -> tuple[list[_Row], list[ImportProblem]]:
    problems: list[ImportProblem] = []
    rows = []
    for line, raw in _rows(file, text, kind, problems):
        check = _Checker(file, line, raw, problems)
        values: dict[str, Any] = {"ref": check.ref(), "municipality": check.municipality()}
        values["sample"] = check.flag("sample")
        if kind == "service_points":
            values |= {
                "name": check.text("name", required=True),
                "address": check.text("address"),
                "notes": check.text("notes", limit=2000),
            }
        else:
            values["span"] = check.span(shift)
            values["cancelled"] = check.flag("cancelled")
        if kind == "visits":
            values |= {
                "service_point": check.text("service_point", limit=64),
                "place": check.text("place"),
                "languages": check.codes("languages", required=True),
                "interpreter_available": check.flag("interpreter_available"),
                "slot_minutes": check.number("slot_minutes", 30, 0, 480),
                "places_per_slot": check.number("places_per_slot", 1, 1, 100),
                "walk_in_contacts": check.number("walk_in_contacts", 0),
                "note": check.text("note", limit=2000),
            }
            if values["service_point"] is None and values["place"] is None:
                check.problem("place", "give the place or a service_point ref")
        if kind in ("events", "trainings"):
            values |= {
                "place": check.text("place", required=True),
                "capacity": check.number("capacity", None, 1),
                "texts": check.texts(),
                **{name: check.number(name, None) for name in _PARTICIPANTS},
            }
        if kind == "events":
            audience = (check.text("audience") or "everyone").casefold()
            if audience not in AUDIENCES:
                check.problem("audience", f"{audience!r}: use one of {', '.join(AUDIENCES)}")
            values |= {"audience": audience, "languages": check.codes("languages", required=False)}
        if kind == "trainings":
            training_kind = (check.text("kind") or "training").casefold()
            if training_kind not in ("training", "mentoring"):
                check.problem("kind", f"{training_kind!r}: use training or mentoring")
            values["kind"] = training_kind
        rows.append(_Row(line, values))
    return rows, problems


def _apply_service_points(
    s: Session, file: str, rows: list[_Row], summary: ImportSummary
) -> list[ImportProblem]:
    for row in rows:
        v = row.values
        point = s.scalar(select(ServicePoint).where(ServicePoint.ref == v["ref"]))
        if point is None:
            point = ServicePoint(ref=v["ref"])
            s.add(point)
            summary.created += 1
        else:
            summary.updated += 1
        point.municipality, point.name, point.address = v["municipality"], v["name"], v["address"]
        point.notes, point.sample = v["notes"], v["sample"]
    return []


def _slot_times(start: dt.datetime, end: dt.datetime, minutes: int) -> list[tuple[dt.datetime, dt.datetime]]:
    if minutes <= 0:
        return []
    step = dt.timedelta(minutes=minutes)
    times, at = [], start
    while at + step <= end:
        times.append((at, at + step))
        at += step
    return times


def _apply_visits(s: Session, file: str, rows: list[_Row], summary: ImportSummary) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
    for row in rows:
        v = row.values
        point = None
        if v["service_point"]:
            point = s.scalar(select(ServicePoint).where(ServicePoint.ref == v["service_point"]))
            if point is None:
                problems.append(
                    ImportProblem(file, row.line, "service_point", f"{v['service_point']!r} is not imported")
                )
                continue
            if point.municipality != v["municipality"]:
                problems.append(
                    ImportProblem(
                        file, row.line, "service_point", f"{point.ref!r} is in {point.municipality}"
                    )
                )
                continue
        visit = s.scalar(select(Visit).where(Visit.ref == v["ref"]))
        if visit is None:
            visit = Visit(ref=v["ref"])
            s.add(visit)
            summary.created += 1
        else:
            summary.updated += 1
        start, end = v["span"]
        visit.municipality, visit.service_point_id = v["municipality"], point.id if point else None
        visit.place = v["place"] or (point.name if point else "")
        visit.starts_at, visit.ends_at, visit.languages = start, end, v["languages"]
        visit.interpreter_available, visit.walk_in_contacts = (
            v["interpreter_available"],
            v["walk_in_contacts"],
        )
        visit.cancelled, visit.note, visit.sample = v["cancelled"], v["note"], v["sample"]
        s.flush()
        problems += _sync_slots(
            s, file, row.line, visit, _slot_times(start, end, v["slot_minutes"]), v["places_per_slot"]
        )
    return problems


def _sync_slots(
    s: Session, file: str, line: int, visit: Visit, wanted: list[tuple[dt.datetime, dt.datetime]], places: int
) -> list[ImportProblem]:
    """Make the visit's slots the wanted ones; a slot that people have booked is never removed."""
    existing = {
        as_utc(slot.starts_at): slot
        for slot in s.scalars(select(VisitSlot).where(VisitSlot.visit_id == visit.id))
    }
    problems = []
    for start, end in wanted:
        slot = existing.pop(start, None)
        if slot is None:
            s.add(VisitSlot(visit_id=visit.id, starts_at=start, ends_at=end, capacity=places))
        else:
            slot.ends_at, slot.capacity = end, places
    for start, slot in existing.items():
        booked = s.scalar(
            select(func.count(Booking.id)).where(
                Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_BOOKING)
            )
        )
        if booked:
            problems.append(
                ImportProblem(
                    file, line, "start", f"the slot at {start:%H:%M} UTC is booked; cancel its bookings first"
                )
            )
        else:
            s.execute(delete(Booking).where(Booking.slot_id == slot.id))
            s.delete(slot)
    return problems


def _apply_texts(
    s: Session,
    model: type[EventText] | type[TrainingText],
    owner: dict[str, int],
    texts: dict[str, tuple[str, str]],
) -> None:
    key, owner_id = next(iter(owner.items()))
    s.execute(delete(model).where(getattr(model, key) == owner_id))
    for lang, (title, description) in texts.items():
        s.add(model(**{key: owner_id}, language=lang, title=title, description=description))


def _apply_events(s: Session, file: str, rows: list[_Row], summary: ImportSummary) -> list[ImportProblem]:
    for row in rows:
        v = row.values
        event = s.scalar(select(Event).where(Event.ref == v["ref"]))
        if event is None:
            event = Event(ref=v["ref"])
            s.add(event)
            summary.created += 1
        else:
            summary.updated += 1
        event.municipality, event.place = v["municipality"], v["place"]
        event.starts_at, event.ends_at = v["span"]
        event.audience, event.capacity, event.languages = v["audience"], v["capacity"], v["languages"]
        event.cancelled, event.sample = v["cancelled"], v["sample"]
        for name in _PARTICIPANTS:
            setattr(event, name, v[name])
        s.flush()
        _apply_texts(s, EventText, {"event_id": event.id}, v["texts"])
    return []


def _apply_trainings(s: Session, file: str, rows: list[_Row], summary: ImportSummary) -> list[ImportProblem]:
    for row in rows:
        v = row.values
        training = s.scalar(select(Training).where(Training.ref == v["ref"]))
        if training is None:
            training = Training(ref=v["ref"])
            s.add(training)
            summary.created += 1
        else:
            summary.updated += 1
        training.kind, training.municipality, training.place = v["kind"], v["municipality"], v["place"]
        training.starts_at, training.ends_at = v["span"]
        training.capacity, training.cancelled, training.sample = v["capacity"], v["cancelled"], v["sample"]
        for name in _PARTICIPANTS:
            setattr(training, name, v[name])
        s.flush()
        _apply_texts(s, TrainingText, {"training_id": training.id}, v["texts"])
    return []


_APPLY: dict[str, Callable[[Session, str, list[_Row], ImportSummary], list[ImportProblem]]] = {
    "service_points": _apply_service_points,
    "visits": _apply_visits,
    "events": _apply_events,
    "trainings": _apply_trainings,
}


class _Rollback(Exception):
    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems


def import_text(
    store: ConversationStore, kind: str, text: str, *, file: str | None = None, shift_days: int = 0
) -> ImportSummary:
    """Import one file's content. Raises ImportFailed (and changes nothing) if any row has a problem."""
    if kind not in COLUMNS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    file = file or f"{kind}.csv"
    rows, problems = _parse(kind, file, text, dt.timedelta(days=shift_days))
    if problems:
        raise ImportFailed(problems)
    summary = ImportSummary(kind)
    try:
        with store.session() as s, s.begin():
            problems = _APPLY[kind](s, file, rows, summary)
            if problems:
                raise _Rollback(problems)
    except _Rollback as rollback:
        raise ImportFailed(rollback.problems) from None
    return summary


def import_file(
    store: ConversationStore, path: Path, kind: str | None = None, *, shift_days: int = 0
) -> ImportSummary:
    kind = kind or path.stem
    return import_text(
        store, kind, path.read_text(encoding="utf-8-sig"), file=path.name, shift_days=shift_days
    )


def import_folder(store: ConversationStore, folder: Path, *, shift_days: int = 0) -> list[ImportSummary]:
    """Every <kind>.csv in the folder, in the order rows can refer to each other."""
    return [
        import_file(store, folder / f"{kind}.csv", kind, shift_days=shift_days)
        for kind in KINDS
        if (folder / f"{kind}.csv").is_file()
    ]


def sample_shift(folder: Path = SAMPLE_DIR, today: dt.date | None = None) -> int:
    """Days to add to the sample files' dates so that the earliest one falls on the day after `today`."""
    dates: list[dt.date] = []
    for kind in KINDS[1:]:
        path = folder / f"{kind}.csv"
        if path.is_file():
            text = path.read_text(encoding="utf-8-sig")
            reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_sniff(text))
            dates += [dt.date.fromisoformat(row["date"]) for row in reader if row.get("date")]
    if not dates:
        return 0
    return ((today or dt.date.today()) + dt.timedelta(days=1) - min(dates)).days


def template(kind: str) -> str:
    """An empty file with every column, for an admin to fill in."""
    required, optional = COLUMNS[kind]
    return ",".join((*required, *optional)) + "\r\n"


def export_text(store: ConversationStore, kind: str) -> str:
    """The current rows of a kind in the import format, so an admin can edit them in a spreadsheet and
    import the file again (a visit's slots are given as their length and places, from its first slot)."""
    required, optional = COLUMNS[kind]
    header = [*required, *optional]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    with store.session() as s:
        for row in _export_rows(s, kind):
            writer.writerow({k: v for k, v in row.items() if k in header})
    return out.getvalue()


def _yes(value: object) -> str:
    return "yes" if value else "no"


def _span(start: dt.datetime, end: dt.datetime) -> dict[str, str]:
    from bot.roaming.clock import local

    begin, finish = local(start), local(end)
    return {"date": begin.date().isoformat(), "start": f"{begin:%H:%M}", "end": f"{finish:%H:%M}"}


def _export_rows(s: Session, kind: str) -> Iterator[dict[str, object]]:
    if kind == "service_points":
        for point in s.scalars(select(ServicePoint).order_by(ServicePoint.municipality, ServicePoint.ref)):
            yield {
                "ref": point.ref,
                "municipality": point.municipality,
                "name": point.name,
                "address": point.address or "",
                "notes": point.notes or "",
                "sample": _yes(point.sample),
            }
    elif kind == "visits":
        points = {p.id: p.ref for p in s.scalars(select(ServicePoint))}
        for visit in s.scalars(select(Visit).order_by(Visit.starts_at)):
            first = s.scalars(
                select(VisitSlot).where(VisitSlot.visit_id == visit.id).order_by(VisitSlot.starts_at)
            ).first()
            minutes = (
                int((as_utc(first.ends_at) - as_utc(first.starts_at)).total_seconds() // 60) if first else 0
            )
            yield {
                "ref": visit.ref,
                "municipality": visit.municipality,
                "service_point": points.get(visit.service_point_id or -1, ""),
                "place": visit.place,
                **_span(visit.starts_at, visit.ends_at),
                "languages": visit.languages,
                "interpreter_available": _yes(visit.interpreter_available),
                "slot_minutes": minutes,
                "places_per_slot": first.capacity if first else 1,
                "walk_in_contacts": visit.walk_in_contacts,
                "cancelled": _yes(visit.cancelled),
                "note": visit.note or "",
                "sample": _yes(visit.sample),
            }
    elif kind == "events":
        for event in s.scalars(select(Event).order_by(Event.starts_at)):
            texts = s.scalars(select(EventText).where(EventText.event_id == event.id))
            extra = {"audience": event.audience, "languages": event.languages}
            yield _item_row(event, {t.language: (t.title, t.description) for t in texts}, extra)
    else:
        for training in s.scalars(select(Training).order_by(Training.starts_at)):
            texts = s.scalars(select(TrainingText).where(TrainingText.training_id == training.id))
            yield _item_row(
                training, {t.language: (t.title, t.description) for t in texts}, {"kind": training.kind}
            )


def _item_row(
    item: Event | Training, texts: dict[str, tuple[str, str]], extra: Mapping[str, object]
) -> dict[str, object]:
    row: dict[str, object] = {
        "ref": item.ref,
        "municipality": item.municipality,
        "place": item.place,
        **_span(item.starts_at, item.ends_at),
        "capacity": item.capacity or "",
        "cancelled": _yes(item.cancelled),
        "sample": _yes(item.sample),
        **extra,
    }
    for name in _PARTICIPANTS:
        value = getattr(item, name)
        row[name] = "" if value is None else value
    for language, (title, description) in texts.items():
        row[f"title_{language}"], row[f"description_{language}"] = title, description
    return row
