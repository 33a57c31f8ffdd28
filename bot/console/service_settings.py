"""Settings an admin changes while the service runs: advisors' hours, retention period, no-answer time.

The saved values override the environment's (NEUVO_ADVISOR_HOURS) from the next start-up on, and the running
app picks them up at once through `app.state.advisor_hours` and `app.state.service_settings`.
Blocking: call from async code through a worker thread.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.config import ConfigError
from bot.console.errors import InvalidInput
from bot.handoff.hours import AdvisorHours
from bot.storage.console_models import ServiceSettingsRow
from bot.storage.store import ConversationStore

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_RETENTION_DAYS = 365
DEFAULT_NO_ANSWER_MINUTES = 60
MAX_RETENTION_DAYS = 10 * 365
MAX_NO_ANSWER_MINUTES = 7 * 24 * 60
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class ServiceSettings:
    """`retention_days`: conversations idle this long are erased; `no_answer_minutes`: after this long
    without a human reply an escalation counts as overdue (and the person may be told it is still queued)."""

    advisor_hours: AdvisorHours
    retention_days: int = DEFAULT_RETENTION_DAYS
    no_answer_minutes: int = DEFAULT_NO_ANSWER_MINUTES

    @property
    def no_answer_time(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.no_answer_minutes)


def format_hours(hours: AdvisorHours) -> str:
    """The NEUVO_ADVISOR_HOURS spelling of `hours`, one span per day: `mon=09:00-15:00,tue=...`."""
    parts = []
    for day, name in enumerate(WEEKDAYS):
        for start, end in sorted(hours.spans.get(day, [])):
            parts.append(f"{name}={start:%H:%M}-{end:%H:%M}")
    return ",".join(parts)


def hours_per_day(hours: AdvisorHours) -> list[tuple[str, str]]:
    """(opens, closes) for Monday..Sunday as the admin form shows them; ("", "") for a day without hours."""
    out = []
    for day in range(7):
        spans = sorted(hours.spans.get(day, []))
        out.append((f"{spans[0][0]:%H:%M}", f"{spans[-1][1]:%H:%M}") if spans else ("", ""))
    return out


def hours_from_form(days: list[tuple[str, str]]) -> AdvisorHours:
    """Monday..Sunday (opens, closes) from the admin form; both empty means closed that day."""
    parts = []
    for name, label, (opens, closes) in zip(WEEKDAYS, WEEKDAY_NAMES, days, strict=True):
        opens, closes = opens.strip(), closes.strip()
        if not opens and not closes:
            continue
        if not (_CLOCK.match(opens) and _CLOCK.match(closes)):
            raise InvalidInput(f"{label}: give both times as HH:MM, or neither for a closed day")
        parts.append(f"{name}={opens}-{closes}")
    try:
        return AdvisorHours.parse(",".join(parts), name="advisor hours")
    except ConfigError as exc:
        raise InvalidInput(str(exc)) from exc


class ServiceSettingsStore:
    def __init__(self, store: ConversationStore, defaults: ServiceSettings) -> None:
        self._store = store
        self._defaults = defaults

    def load(self) -> ServiceSettings:
        """The saved settings, or the defaults (from the environment) while an admin has saved none."""
        with self._store.session() as s:
            row = s.get(ServiceSettingsRow, 1)
            if row is None:
                return self._defaults
            try:
                hours = AdvisorHours.parse(row.advisor_hours or "", name="console_settings.advisor_hours")
            except ConfigError:
                hours = self._defaults.advisor_hours
            return ServiceSettings(hours, row.retention_days, row.no_answer_minutes)

    def save(self, settings: ServiceSettings, by: str) -> ServiceSettings:
        if not 1 <= settings.retention_days <= MAX_RETENTION_DAYS:
            raise InvalidInput(f"retention period: 1-{MAX_RETENTION_DAYS} days")
        if not 1 <= settings.no_answer_minutes <= MAX_NO_ANSWER_MINUTES:
            raise InvalidInput(f"no-answer time: 1-{MAX_NO_ANSWER_MINUTES} minutes")
        with self._store.session() as s, s.begin():
            row = s.get(ServiceSettingsRow, 1)
            if row is None:
                row = ServiceSettingsRow(id=1)
                s.add(row)
            row.advisor_hours = format_hours(settings.advisor_hours)
            row.retention_days = settings.retention_days
            row.no_answer_minutes = settings.no_answer_minutes
            row.updated_by = by
            row.updated_at = dt.datetime.now(dt.UTC)
        return settings
