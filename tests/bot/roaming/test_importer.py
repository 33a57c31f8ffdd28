"""CSV import: problems name the file, line and field, and change nothing; SAMPLE data loads, marked."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.roaming import booking, importer, schedule
from bot.roaming.models import Event, ServicePoint, Training, Visit, VisitSlot
from bot.roaming.municipalities import NAMES
from bot.storage.store import ConversationStore
from tests.bot.roaming.builders import person

pytestmark = [pytest.mark.unit]

VISITS_HEADER = (
    "ref,municipality,place,date,start,end,languages,interpreter_available,slot_minutes,places_per_slot"
)


def count(store: ConversationStore, model: type) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_every_problem_is_named_by_file_line_and_field_and_nothing_is_written(
    store: ConversationStore,
) -> None:
    text = "\n".join(
        [
            VISITS_HEADER,
            "V1,Jämsä,Kirjasto,2030-01-10,10:00,12:00,fi;en;ar,yes,30,1",  # fine
            "V2,Tampere,Kirjasto,2030-01-10,10:00,12:00,fi,no,30,1",  # not a municipality here
            "V3,Laukaa,Kirjasto,10.1.2030,10:00,12:00,fi,no,30,1",  # Finnish date format
            "",
            "V4,Laukaa,Kirjasto,2030-01-11,12:00,10:00,fi,maybe,30,1",  # ends before it starts; bad flag
            "V1,Jämsä,Kirjasto,2030-01-12,10:00,12:00,english,no,x,1",  # same ref; bad codes; bad number
        ]
    )
    with pytest.raises(importer.ImportFailed) as failed:
        importer.import_text(store, "visits", text, file="visits.csv")
    found = {(p.file, p.line, p.field) for p in failed.value.problems}
    assert found == {
        ("visits.csv", 3, "municipality"),
        ("visits.csv", 4, "date"),
        ("visits.csv", 6, "end"),
        ("visits.csv", 6, "interpreter_available"),
        ("visits.csv", 7, "ref"),
        ("visits.csv", 7, "languages"),
        ("visits.csv", 7, "slot_minutes"),
    }
    assert "visits.csv:3: municipality: 'Tampere' is not one of the advisor's municipalities" in str(
        failed.value
    )
    assert count(store, Visit) == 0  # the good row was not written either


def test_header_problems_and_multiline_fields_keep_line_numbers_right(store: ConversationStore) -> None:
    with pytest.raises(importer.ImportFailed) as failed:
        importer.import_text(store, "events", "ref,municipality,plcae,date,start,end\n", file="events.csv")
    assert {(p.line, p.field, p.message) for p in failed.value.problems} == {
        (1, "place", "column is missing"),
        (1, "plcae", "unknown column"),
    }
    text = (
        "ref,municipality,place,date,start,end,title_fi,description_fi\n"
        'E1,Multia,Kirjasto,2030-02-01,17:00,19:00,Kielikahvila,"Rivi yksi\nrivi kaksi"\n'
        "E2,Multia,Kirjasto,2030-02-02,17:00,19:00,,kuvaus ilman otsikkoa\n"
    )
    with pytest.raises(importer.ImportFailed) as failed:
        importer.import_text(store, "events", text, file="events.csv")
    assert [(p.line, p.field) for p in failed.value.problems] == [(4, "title_fi")]


def test_semicolons_a_byte_order_mark_and_importing_again_updates(store: ConversationStore) -> None:
    text = (
        "\ufeffref;municipality;place;date;start;end;languages;slot_minutes;places_per_slot\n"
        "V1;jamsa;Kirjasto;2030-03-01;10.00;11.00;fi,ar;20;2\n"
    )
    first = importer.import_text(store, "visits", text)
    assert (first.created, first.updated) == (1, 0)
    (visit,) = schedule.visits_between(
        store, dt.datetime(2030, 1, 1, tzinfo=dt.UTC), dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    )
    assert visit.municipality == "Jämsä" and visit.languages == ("fi", "ar")
    assert [s.capacity for s in visit.slots] == [2, 2, 2]  # 10:00, 10:20, 10:40
    assert visit.starts_at == dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.UTC)  # Finnish winter time
    again = importer.import_text(store, "visits", text.replace(";20;2", ";30;1"))
    assert (again.created, again.updated) == (0, 1)
    assert count(store, Visit) == 1 and count(store, VisitSlot) == 2


def test_a_booked_slot_is_never_removed_by_an_import(store: ConversationStore) -> None:
    header = "ref,municipality,place,date,start,end,languages,slot_minutes\n"
    importer.import_text(store, "visits", header + "V1,Laukaa,Kirjasto,2030-04-01,10:00,11:00,fi,30\n")
    (visit,) = schedule.visits_between(
        store, dt.datetime(2030, 1, 1, tzinfo=dt.UTC), dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    )
    later = visit.slots[1]
    booking.book(
        store,
        person(store),
        later.id,
        language="fi",
        interpreter_language=None,
        topic=None,
        contact_channel="telegram",
        now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    with pytest.raises(importer.ImportFailed) as failed:  # shortened to 10:00-10:30: the 10:30 slot is booked
        importer.import_text(store, "visits", header + "V1,Laukaa,Kirjasto,2030-04-01,10:00,10:30,fi,30\n")
    assert [(p.line, p.field) for p in failed.value.problems] == [(2, "start")]
    assert count(store, VisitSlot) == 2


def test_the_sample_data_covers_the_23_municipalities_and_is_marked(store: ConversationStore) -> None:
    shift = importer.sample_shift(today=dt.date(2031, 5, 5))
    summaries = importer.import_folder(store, importer.SAMPLE_DIR, shift_days=shift)
    assert [s.kind for s in summaries] == list(importer.KINDS)
    with store.session() as s:
        assert {p.municipality for p in s.scalars(select(ServicePoint))} == set(NAMES)
        assert {v.municipality for v in s.scalars(select(Visit))} == set(NAMES)
        for model in (ServicePoint, Visit, Event, Training):
            rows: list[ServicePoint | Visit | Event | Training] = list(s.scalars(select(model)))
            assert rows and all(r.sample and r.ref.startswith("SAMPLE-") for r in rows), model
        assert all(p.address is None for p in s.scalars(select(ServicePoint)))  # no invented addresses
        first = min(v.starts_at for v in s.scalars(select(Visit)))
    assert first.date() == dt.date(2031, 5, 6)  # the day after "today"
    events = schedule.upcoming_events(
        store, "Jyväskylä", dt.datetime(2031, 5, 5, tzinfo=dt.UTC), "so", limit=50
    )
    assert events and all(e.text_language == "so" for e in events)  # titles in every language


def test_templates_list_every_column() -> None:
    assert importer.template("trainings").startswith("ref,municipality,place,date,start,end,kind,")
    assert "title_fa" in importer.template("events")


def test_exported_data_imports_back_unchanged(store: ConversationStore, tmp_path: object) -> None:
    importer.import_folder(store, importer.SAMPLE_DIR)
    exported = {kind: importer.export_text(store, kind) for kind in importer.KINDS}
    again = {kind: importer.import_text(store, kind, text) for kind, text in exported.items()}
    assert all(s.created == 0 and s.updated > 0 for s in again.values())
    assert {kind: importer.export_text(store, kind) for kind in importer.KINDS} == exported
