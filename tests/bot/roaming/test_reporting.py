"""The funder's export for a date range matches counts computed here from the data the test made."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.roaming import booking, reporting, schedule
from bot.storage.store import ConversationStore
from tests.bot.roaming.builders import add_event, add_training, add_visit, cancel_visit, person, slot_ids

pytestmark = [pytest.mark.unit]
HELSINKI = ZoneInfo("Europe/Helsinki")
FIRST, LAST = dt.date(2030, 3, 1), dt.date(2030, 3, 31)
TOWNS = ("Jämsä", "Laukaa", "Äänekoski", "Pihtipudas")


def in_range(when: dt.datetime) -> bool:
    return FIRST <= when.astimezone(HELSINKI).date() <= LAST


def test_the_report_matches_independent_counts(store: ConversationStore) -> None:
    rng = random.Random(7)
    people = [person(store, "telegram", str(i)) for i in range(12)]
    expected: Counter[str] = Counter()
    per_town: dict[str, Counter[str]] = defaultdict(Counter)
    reached: dict[str, set[str]] = defaultdict(set)
    last_gender: dict[str, str | None] = {}
    booked_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    # Visits around the range's edges, in Finnish time: 1 March 00:30 and 31 March 23:30 are in,
    # 1 April 00:30 is not (a booking counts by its slot's time, a visit by its start)
    starts = [
        dt.datetime(2030, 2, 28, 23, 30, tzinfo=HELSINKI),
        dt.datetime(2030, 3, 1, 0, 30, tzinfo=HELSINKI),
        *(dt.datetime(2030, 3, d, 10, tzinfo=HELSINKI) for d in (3, 9, 15, 22)),
        dt.datetime(2030, 3, 31, 23, 30, tzinfo=HELSINKI),
        dt.datetime(2030, 4, 1, 0, 30, tzinfo=HELSINKI),
    ]
    for n, start in enumerate(starts):
        town = TOWNS[n % len(TOWNS)]
        cancelled = n == 4
        walk_ins = rng.randint(0, 5)
        visit = add_visit(store, town, start.astimezone(dt.UTC), slots=4, capacity=2, walk_ins=walk_ins)
        counted = in_range(start) and not cancelled
        if counted:
            expected["visits"] += 1
            expected["walk_in_contacts"] += walk_ins
            per_town[town]["visits"] += 1
            per_town[town]["walk_in_contacts"] += walk_ins
        booked_here: set[str] = set()
        for slot in slot_ids(store, visit):
            found = schedule.slot_with_visit(store, slot)
            assert found is not None
            slot_counted = (
                in_range(found[1].starts_at) and not cancelled
            )  # a booking counts by its slot's time
            for who in rng.sample(people, 2):
                if who in booked_here:
                    continue  # one booking per person per visit
                booked_here.add(who)
                made = booking.book(
                    store,
                    who,
                    slot,
                    language="fi",
                    interpreter_language=None,
                    topic=None,
                    contact_channel="telegram",
                    now=booked_at,
                )
                booked_at += dt.timedelta(minutes=1)
                status = rng.choice(["booked", "booked", "attended", "no_show", "cancelled"])
                gender = rng.choice([None, "woman", "man", "other"])
                booking.set_outcome(store, made.id, status, gender)
                if slot_counted and status not in ("cancelled", "no_show"):
                    expected["booked_contacts"] += 1
                    per_town[town]["booked_contacts"] += 1
                    reached[town].add(who)
                    if gender:
                        last_gender[who] = gender
                    else:
                        last_gender.setdefault(who, None)
        if cancelled:  # called off after people had booked: none of it counts
            cancel_visit(store, visit)
    for n, day in enumerate((1, 10, 20, 31)):
        start = dt.datetime(2030, 3, day, 18, tzinfo=HELSINKI).astimezone(dt.UTC)
        town, total, women = TOWNS[n % 4], rng.randint(5, 40), rng.randint(0, 5)
        add_event(
            store, town, start, {"fi": f"Tapahtuma {n}", "en": f"Event {n}"}, participants=total, women=women
        )
        expected["events"] += 1
        expected["event_participants"] += total
        expected["event_participants_women"] += women
        per_town[town]["events"] += 1
        per_town[town]["event_participants"] += total
    add_event(
        store, "Jämsä", dt.datetime(2030, 4, 2, 10, tzinfo=dt.UTC), {"fi": "Huhtikuussa"}, participants=99
    )
    add_event(
        store,
        "Jämsä",
        dt.datetime(2030, 3, 5, 10, tzinfo=dt.UTC),
        {"fi": "Peruttu"},
        participants=50,
        cancelled=True,
    )
    training = add_training(
        store, "Laukaa", dt.datetime(2030, 3, 12, 9, tzinfo=dt.UTC), {"fi": "Koulutus"}, participants=14
    )
    for who in people[:5]:
        booking.register_for_training(
            store,
            who,
            training,
            organisation="Laukaan kunta",
            language="fi",
            contact_channel="telegram",
            now=dt.datetime(2030, 3, 1, tzinfo=dt.UTC),
        )
    add_training(
        store, "Laukaa", dt.datetime(2030, 5, 12, 9, tzinfo=dt.UTC), {"fi": "Myöhemmin"}, participants=9
    )
    expected["trainings"], expected["training_registrations"], expected["training_participants"] = 1, 5, 14
    per_town["Laukaa"]["trainings"], per_town["Laukaa"]["training_participants"] = 1, 14

    people_reached = set().union(*reached.values())
    expected["advisory_contacts"] = expected["booked_contacts"] + expected["walk_in_contacts"]
    expected["people_reached_by_booking"] = len(people_reached)
    expected["people_reached_by_advisory"] = len(people_reached) + expected["walk_in_contacts"]
    genders = Counter(last_gender.values())
    for gender in ("woman", "man", "other"):
        expected[f"people_reached_by_booking_{gender}"] = genders[gender]
    expected["people_reached_by_booking_gender_not_reported"] = genders[None]
    assert expected["booked_contacts"] > 10 and expected["walk_in_contacts"] > 0  # the data is not trivial

    report = reporting.build(store, FIRST, LAST)
    summary = {
        row[0]: int(row[1])
        for row in csv.reader(io.StringIO(reporting.to_csv(report, "summary")))
        if row[0] != "metric"
    }
    for metric, value in expected.items():
        assert summary[metric] == value, metric
    towns = {
        row["municipality"]: row
        for row in csv.DictReader(io.StringIO(reporting.to_csv(report, "municipalities")))
    }
    assert set(towns) == set(reporting.NAMES)
    for town in TOWNS:
        row, want = towns[town], per_town[town]
        assert int(row["visits"]) == want["visits"], town
        assert int(row["booked_contacts"]) == want["booked_contacts"], town
        assert int(row["walk_in_contacts"]) == want["walk_in_contacts"], town
        assert int(row["advisory_contacts"]) == want["booked_contacts"] + want["walk_in_contacts"], town
        assert int(row["people_reached"]) == len(reached[town]) + want["walk_in_contacts"], town
        assert (
            int(row["events"]) == want["events"]
            and int(row["event_participants"]) == want["event_participants"]
        )
        assert int(row["trainings"]) == want["trainings"]
    assert int(towns["Kinnula"]["visits"]) == 0

    workbook = load_workbook(io.BytesIO(reporting.to_xlsx(report)))
    assert workbook.sheetnames == ["summary", "municipalities", "events", "trainings"]
    sheet = {row[0]: row[1] for row in workbook["summary"].iter_rows(min_row=2, values_only=True)}
    assert sheet == {metric: value for metric, value in summary.items()}
    events = list(workbook["events"].iter_rows(min_row=2, values_only=True))
    assert [e[3] for e in events] == ["Tapahtuma 0", "Tapahtuma 1", "Tapahtuma 2", "Tapahtuma 3"]
    trainings = list(workbook["trainings"].iter_rows(min_row=2, values_only=True))
    assert [(t[4], t[6], t[7]) for t in trainings] == [("Koulutus", 5, 14)]


def test_a_backwards_range_is_refused(store: ConversationStore) -> None:
    with pytest.raises(ValueError):
        reporting.build(store, LAST, FIRST)
