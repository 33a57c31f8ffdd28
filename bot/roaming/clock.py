"""Time for the roaming advisory: stored times are UTC; people read Finnish local time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

SERVICE_ZONE = ZoneInfo("Europe/Helsinki")

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored time is UTC. Aware values are converted."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def local(value: dt.datetime) -> dt.datetime:
    return as_utc(value).astimezone(SERVICE_ZONE)


def from_local(day: dt.date, time: dt.time) -> dt.datetime:
    """A Finnish wall-clock time as UTC (daylight saving time is taken into account)."""
    return dt.datetime.combine(day, time, tzinfo=SERVICE_ZONE).astimezone(dt.UTC)


def local_day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `first`, start of the day after `last`) in Finnish time, as UTC."""
    return from_local(first, dt.time(0)), from_local(last + dt.timedelta(days=1), dt.time(0))
