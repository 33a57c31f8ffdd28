"""iCalendar (RFC 5545) feeds of a municipality's visits and events, for calendar apps to subscribe to.

Times are UTC ("...Z"), text values are escaped (backslash, semicolon, comma, newline), lines end in CRLF
and are folded at 75 octets without splitting a UTF-8 character. Called-off visits and events stay in the
feed with STATUS:CANCELLED, so a subscribed calendar removes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.roaming.clock import as_utc
from bot.roaming.schedule import EventInfo, VisitInfo

PRODID = "-//Neuvo//Roaming advisory Central Finland//EN"
UID_DOMAIN = "neuvo.roaming"
MAX_OCTETS = 75


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def utc_stamp(value: dt.datetime) -> str:
    return as_utc(value).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets, continued with CRLF and a space."""
    pieces: list[str] = []
    current, size = "", 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
            limit = MAX_OCTETS - 1  # continuation lines start with a space
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _event(
    uid: str,
    stamp: dt.datetime,
    start: dt.datetime,
    end: dt.datetime,
    summary: str,
    location: str,
    description: str,
    cancelled: bool,
    categories: str,
) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}@{UID_DOMAIN}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(start)}",
        f"DTEND:{utc_stamp(end)}",
        f"SUMMARY:{escape(summary)}",
        f"LOCATION:{escape(location)}",
        f"CATEGORIES:{escape(categories)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{escape(description)}")
    lines.append("END:VEVENT")
    return lines


def calendar(
    name: str,
    visits: Iterable[VisitInfo],
    events: Iterable[EventInfo],
    now: dt.datetime,
) -> str:
    """The feed as text. Visit summaries are Finnish and English, as the feed has no reader's language."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
        "X-WR-TIMEZONE:Europe/Helsinki",
    ]
    for visit in visits:
        sample = "ESIMERKKI / SAMPLE: " if visit.sample else ""
        lines += _event(
            f"visit-{visit.id}",
            now,
            visit.starts_at,
            visit.ends_at,
            f"{sample}Liikkuva neuvoja / Roaming advisor: {visit.municipality}",
            f"{visit.place}, {visit.municipality}",
            f"Kielet / Languages: {', '.join(visit.languages)}",
            visit.cancelled,
            "Neuvonta,Advisory",
        )
    for event in events:
        sample = "ESIMERKKI / SAMPLE: " if event.sample else ""
        lines += _event(
            f"event-{event.id}",
            now,
            event.starts_at,
            event.ends_at,
            f"{sample}{event.title}",
            f"{event.place}, {event.municipality}",
            event.description,
            event.cancelled,
            "Tapahtuma,Event",
        )
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
