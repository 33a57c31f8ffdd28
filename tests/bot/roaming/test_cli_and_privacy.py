"""`neuvo roaming ...` commands, and what a person can ask to see about themselves."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest

from bot.roaming import booking, cli, people, subscriptions
from bot.storage.store import ConversationStore
from tests.bot.roaming.builders import add_visit, at, person, slot_ids

pytestmark = [pytest.mark.unit]


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="neuvo")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ConversationStore:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return ConversationStore(url)


def test_import_reports_problems_by_line_and_exits_nonzero(
    database: ConversationStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "visits.csv"
    bad.write_text("ref,municipality,date,start,end,languages,place\nV1,Jämsä,2030-01-01,10:00,09:00,fi,K\n")
    assert run(["roaming", "import", str(bad)]) == 1
    assert "visits.csv:2: end: must be later than start" in capsys.readouterr().out
    assert run(["roaming", "import", "--sample"]) == 0
    assert "23 added" in capsys.readouterr().out


def test_export_report_writes_csv_and_xlsx(database: ConversationStore, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert (
        run(["roaming", "export-report", "--from", "2030-01-01", "--to", "2030-01-31", "--out", str(out)])
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "events.csv",
        "municipalities.csv",
        "report.xlsx",
        "summary.csv",
        "trainings.csv",
    ]
    assert (
        run(["roaming", "export-report", "--from", "2030-02-01", "--to", "2030-01-01", "--out", str(out)])
        == 2
    )


def test_send_reminders_dry_run_lists_what_is_due(
    database: ConversationStore, capsys: pytest.CaptureFixture[str]
) -> None:
    start = dt.datetime(2031, 1, 15, 8, 0, tzinfo=dt.UTC)  # 10:00 in Helsinki
    (slot,) = slot_ids(database, add_visit(database, "Multia", start, slots=1))
    booking.book(
        database,
        person(database),
        slot,
        language="fi",
        interpreter_language=None,
        topic=None,
        contact_channel="telegram",
        now=dt.datetime(2031, 1, 1, tzinfo=dt.UTC),
    )
    assert run(["roaming", "send-reminders", "--dry-run", "--now", "2031-01-14T17:30:00+02:00"]) == 0
    assert "Multia" in capsys.readouterr().out
    assert run(["roaming", "send-reminders", "--dry-run", "--now", "2031-01-14T12:00:00+02:00"]) == 0
    assert capsys.readouterr().out == ""


def test_a_persons_roaming_data_is_exported(store: ConversationStore) -> None:
    (slot,) = slot_ids(store, add_visit(store, "Kinnula", at(3), slots=1))
    who = person(store, "sms", "+358409990000")
    booking.book(
        store,
        who,
        slot,
        language="so",
        interpreter_language="so",
        topic="shaqo",
        contact_channel="sms",
        now=at(0),
    )
    subscriptions.subscribe(store, who, "Kinnula", "so", "sms")
    exported = people.export_person(store, who)
    assert exported["bookings"][0]["topic"] == "shaqo"  # type: ignore[index]
    assert exported["event_news_subscriptions"] == [
        {"municipality": "Kinnula", "language": "so", "channel": "sms", "active": True}
    ]
    store.delete_person(who)
    assert people.export_person(store, who) == {
        "bookings": [],
        "training_registrations": [],
        "event_news_subscriptions": [],
        "event_news_received": [],
    }
