"""Time as the console shows it: stored times are UTC; advisors read Finnish local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SERVICE_ZONE = ZoneInfo("Europe/Helsinki")


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def local(value: dt.datetime) -> dt.datetime:
    return as_utc(value).astimezone(SERVICE_ZONE)


def format_local(value: dt.datetime | None) -> str:
    return local(value).strftime("%d.%m.%Y %H:%M") if value else ""


def format_duration(value: dt.timedelta | None) -> str:
    """ "3 min", "2 h 05 min", "3 d 4 h": precise enough to see who has waited longest."""
    if value is None:
        return ""
    minutes = max(0, int(value.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"
