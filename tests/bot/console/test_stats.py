"""Statistics: what a resolved escalation adds, the CSV export, and Finnish-time days."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import update

from bot.console.clock import SERVICE_ZONE
from bot.console.errors import InvalidInput
from bot.console.stats import CSV_COLUMNS, StatsRange
from bot.storage.models import Conversation, Escalation, Message
from tests.bot.console.conftest import Console

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_a_resolved_escalation_counts_in_the_statistics(console: Console) -> None:
    conversation_id, escalation_id = await console.escalate(sender="1001")
    await console.escalate(sender="+358400000001", channel="sms")
    await console.say("2002", "just a question about bus tickets", channel="telegram")
    with console.store.session() as s, s.begin():
        s.execute(update(Conversation).where(Conversation.id == conversation_id).values(municipality="Jämsä"))
        created = s.get(Escalation, escalation_id).created_at  # type: ignore[union-attr]
        s.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id)
            .values(created_at=created - dt.timedelta(minutes=10))
        )
    await console.account("alice")
    await console.login("alice")
    before = await console.client.get("/console/stats")
    assert 'id="stat-resolved">0<' in before.text
    await console.post(f"/console/escalations/{escalation_id}/claim")
    await console.post(f"/console/conversations/{conversation_id}/reply", {"text": "Hi, Alice here."})
    await console.post(
        f"/console/escalations/{escalation_id}/resolve", {"outcome": "answered", "topic": "tax_card"}
    )

    stats = await console.client.get("/console/stats")
    assert stats.status_code == 200
    assert 'id="stat-contacts">3<' in stats.text
    assert 'id="stat-escalations">2<' in stats.text
    assert 'id="stat-rate">66.7 %<' in stats.text
    assert 'id="stat-resolved">1<' in stats.text
    assert 'id="stat-first-reply">10 min' in stats.text
    assert '<script type="application/json" id="stats-data">' in stats.text
    assert '<script src="/console/static/charts.js" defer>' in stats.text
    export = rows((await console.client.get("/console/stats.csv", params={"period": "range"})).text)
    values = {(r["measure"], r["group"]): r["value"] for r in export}
    assert values[("resolved", "")] == "1"
    assert values[("resolved_by_outcome", "answered")] == "1"
    assert values[("contacts_by_topic", "tax_card")] == "1"
    assert (
        values[("contacts_by_channel", "telegram")] == "2" and values[("contacts_by_channel", "sms")] == "1"
    )
    assert values[("contacts_by_municipality", "Jämsä")] == "1"
    assert values[("escalation_rate", "")] == "0.6667"
    assert 9.9 <= float(values[("median_first_reply_minutes", "")]) <= 10.5


async def test_the_csv_export_has_its_columns_per_day_and_week(console: Console) -> None:
    await console.escalate(sender="1001")
    await console.account("alice")
    await console.login("alice")
    today = dt.datetime.now(SERVICE_ZONE).date()
    start = (today - dt.timedelta(days=9)).isoformat()
    response = await console.client.get("/console/stats.csv", params={"from": start, "to": today.isoformat()})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    reader = csv.reader(io.StringIO(response.text))
    assert tuple(next(reader)) == CSV_COLUMNS == ("period_start", "period_end", "measure", "group", "value")
    daily = rows(response.text)
    assert len({r["period_start"] for r in daily}) == 10  # every day, also those without contacts
    assert {r["measure"] for r in daily} >= {"contacts", "escalations", "escalation_rate", "resolved"}
    weekly = rows((await console.client.get("/console/stats.csv", params={"period": "week"})).text)
    assert all(
        dt.date.fromisoformat(r["period_start"]) <= dt.date.fromisoformat(r["period_end"]) for r in weekly
    )
    assert sum(int(r["value"]) for r in weekly if r["measure"] == "escalations") == 1
    assert (await console.client.get("/console/stats.csv", params={"from": "2026-13-01"})).status_code == 400
    assert (await console.client.get("/console/stats.csv", params={"period": "year"})).status_code == 400
    reversed_range = await console.client.get(
        "/console/stats.csv", params={"from": "2026-05-02", "to": "2026-05-01"}
    )
    assert reversed_range.status_code == 400


async def test_spreadsheet_formulas_in_names_are_defused(console: Console) -> None:
    conversation_id, _ = await console.escalate(sender="1001")
    with console.store.session() as s, s.begin():
        s.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(municipality="=HYPERLINK(1)")
        )
    await console.account("alice")
    await console.login("alice")
    export = rows((await console.client.get("/console/stats.csv", params={"period": "range"})).text)
    groups = {r["group"] for r in export if r["measure"] == "contacts_by_municipality"}
    assert groups == {"'=HYPERLINK(1)"}


async def test_days_are_finnish_days(console: Console) -> None:
    """A message at 23:30 UTC on 1 June is on 2 June in Helsinki (UTC+3)."""
    await console.say("1001", "late night question", channel="telegram")
    with console.store.session() as s, s.begin():
        s.execute(update(Message).values(created_at=dt.datetime(2026, 6, 1, 23, 30, tzinfo=dt.UTC)))
    stats = console.app.state.console.stats.compute(StatsRange(dt.date(2026, 6, 1), dt.date(2026, 6, 2)))
    assert [(day.isoformat(), s.contacts) for day, s in stats.per_day] == [
        ("2026-06-01", 0),
        ("2026-06-02", 1),
    ]


def test_the_default_range_is_the_last_thirty_days() -> None:
    period = StatsRange.parse(None, None, today=dt.date(2026, 3, 31))
    assert (period.start, period.end) == (dt.date(2026, 3, 2), dt.date(2026, 3, 31))
    with pytest.raises(InvalidInput, match="at most 366 days"):
        StatsRange.parse("2024-01-01", "2026-01-01")
