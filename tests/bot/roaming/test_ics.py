"""Calendar feeds are valid RFC 5545: CRLF lines of at most 75 octets, escaped text, UTC times."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.roaming import ics, schedule
from bot.storage.store import ConversationStore
from tests.bot.roaming.builders import add_event, add_visit, at

pytestmark = [pytest.mark.unit]

NAME = re.compile(r"^[A-Z][A-Z0-9-]*(;[A-Z0-9-]+=[^:;]+)*:")
UTC_TIME = re.compile(r"^\d{8}T\d{6}Z$")
TRICKY = 'Perhe; ilta, "kaikki" \\ tervetuloa\nToinen rivi: 🎉 ääkköset ja عربي ' * 3


def unfold(body: bytes) -> list[str]:
    """The content lines, checking the physical form on the way (RFC 5545 3.1)."""
    assert body.endswith(b"\r\n")
    physical = body[:-2].split(b"\r\n")
    for raw in physical:
        assert b"\n" not in raw and b"\r" not in raw, raw
        assert len(raw) <= 75, (len(raw), raw)
        raw.decode("utf-8")  # folding never splits a character
    lines: list[str] = []
    for raw in physical:
        text = raw.decode("utf-8")
        if text.startswith(" "):
            lines[-1] += text[1:]
        else:
            lines.append(text)
    return lines


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def properties(lines: list[str]) -> list[dict[str, list[str]]]:
    """The properties of each VEVENT (name -> values), checking that components nest and close."""
    stack: list[str] = []
    events: list[dict[str, list[str]]] = []
    for line in lines:
        assert NAME.match(line), line
        name, value = line.split(":", 1)
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
        elif name == "END":
            assert stack.pop() == value
        elif stack and stack[-1] == "VEVENT":
            events[-1].setdefault(name, []).append(value)
    assert stack == []
    return events


def test_a_feed_is_valid_and_round_trips_text(store: ConversationStore) -> None:
    start = dt.datetime(2026, 12, 9, 8, 0, tzinfo=dt.UTC)  # 10:00 in Helsinki
    add_visit(store, "Jyväskylä", start, slots=2, sample=True)
    add_visit(store, "Jyväskylä", start + dt.timedelta(days=7), cancelled=True)
    add_event(store, "Jyväskylä", start + dt.timedelta(days=1), {"fi": TRICKY})
    window = (start - dt.timedelta(days=1), start + dt.timedelta(days=30))
    visits = schedule.visits_between(store, *window, municipality="Jyväskylä")
    events = schedule.events_between(store, *window, language="fi", municipality="Jyväskylä")
    body = ics.calendar("Neuvo: Jyväskylä", visits, events, start).encode("utf-8")
    lines = unfold(body)
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"] and lines[-1] == "END:VCALENDAR"
    assert any(line.startswith("PRODID:") for line in lines)
    found = properties(lines)
    assert len(found) == 3
    for event in found:
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert len(event[required]) == 1, required
        for name in ("DTSTAMP", "DTSTART", "DTEND"):
            assert UTC_TIME.match(event[name][0]), event[name]
    assert len({event["UID"][0] for event in found}) == 3
    first, called_off, party = found
    assert first["DTSTART"] == ["20261209T080000Z"] and first["DTEND"] == ["20261209T090000Z"]
    assert unescape(first["SUMMARY"][0]).startswith("ESIMERKKI / SAMPLE: ")
    assert first["STATUS"] == ["CONFIRMED"] and called_off["STATUS"] == ["CANCELLED"]
    assert unescape(party["SUMMARY"][0]) == TRICKY  # commas, semicolons, backslashes, newlines, emoji
    assert re.search(r"(?<!\\)[;,]", party["SUMMARY"][0]) is None  # nothing unescaped


def test_folding_counts_octets_not_characters() -> None:
    line = "SUMMARY:" + "ä" * 100
    folded = ics.fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert "".join(p[1:] if i else p for i, p in enumerate(pieces)) == line


@pytest.mark.anyio
async def test_the_feed_route(tmp_path: Path) -> None:
    from tests.bot.roaming.apps import roaming_app

    async with roaming_app(tmp_path, {}) as bot:
        add_visit(bot.store, "Äänekoski", at(5))
        response = await bot.client.get("/calendar/aanekoski.ics")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        assert "Roaming advisor: Äänekoski" in "".join(unfold(response.content))
        assert (await bot.client.get("/calendar/%C3%84%C3%A4nekoski.ics")).status_code == 200
        assert (await bot.client.get("/calendar/tampere.ics")).status_code == 404
        other = await bot.client.get("/calendar/jamsa.ics")
        assert "VEVENT" not in other.text  # only the municipality's own
