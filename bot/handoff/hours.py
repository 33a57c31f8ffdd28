"""Advisors' hours per weekday, in the service's time zone."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.config import ConfigError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?=(\d\d):(\d\d)-(\d\d):(\d\d)$"
)


@dataclass(frozen=True)
class AdvisorHours:
    """When advisors answer, per weekday, in the service's time zone (Europe/Helsinki).

    Written as `mon-fri=09:00-15:00,sat=10:00-12:00`; an empty value means no staffed hours.
    """

    spans: dict[int, list[tuple[dt.time, dt.time]]] = field(default_factory=dict)
    zone: str = "Europe/Helsinki"

    @classmethod
    def parse(cls, raw: str, name: str = "NEUVO_ADVISOR_HOURS") -> AdvisorHours:
        spans: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for part in filter(None, (p.strip() for p in raw.lower().split(","))):
            match = _SPAN.match(part)
            if not match:
                raise ConfigError(f"{name}: {part!r} is not like 'mon-fri=09:00-15:00'")
            first, last, h1, m1, h2, m2 = match.groups()
            try:
                start, end = dt.time(int(h1), int(m1)), dt.time(int(h2), int(m2))
            except ValueError as exc:
                raise ConfigError(f"{name}: {part!r} has an invalid time") from exc
            if end <= start:
                raise ConfigError(f"{name}: {part!r} ends before it starts")
            a, b = _DAYS.index(first), _DAYS.index(last or first)
            if b < a:
                raise ConfigError(f"{name}: {part!r} runs backwards through the week")
            for day in range(a, b + 1):
                spans.setdefault(day, []).append((start, end))
        return cls(spans)

    def open_at(self, when: dt.datetime) -> bool:
        local = when.astimezone(ZoneInfo(self.zone))
        return any(start <= local.time() < end for start, end in self.spans.get(local.weekday(), []))

    def next_opening(self, when: dt.datetime) -> dt.datetime | None:
        """The next moment advisors are in (local time), or None when no hours are configured."""
        local = when.astimezone(ZoneInfo(self.zone))
        for days_ahead in range(8):
            day = local.date() + dt.timedelta(days=days_ahead)
            for start, _end in sorted(self.spans.get(day.weekday(), [])):
                opening = dt.datetime.combine(day, start, tzinfo=ZoneInfo(self.zone))
                if opening > local:
                    return opening
        return None


def closed_until(hours: AdvisorHours, now: dt.datetime) -> dt.datetime | None:
    """While advisors are out, their next opening (local time); None while they are in or with no hours."""
    if not hours.spans or hours.open_at(now):
        return None
    return hours.next_opening(now)
