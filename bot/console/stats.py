"""Service statistics for a date range: contacts per day and week, by channel, language, topic and
municipality, the escalation rate and the median time to the first human reply; and their CSV export.

A *contact* is a person (conversation) who wrote at least once in the period. Days and weeks are Finnish
local time. Blocking: call from async code through a worker thread.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select

from bot.console.clock import SERVICE_ZONE, as_utc, local
from bot.console.errors import InvalidInput
from bot.storage.models import Conversation, Escalation, Message
from bot.storage.store import ConversationStore

DEFAULT_DAYS = 30
MAX_DAYS = 366
UNKNOWN = "unknown"
CSV_COLUMNS = ("period_start", "period_end", "measure", "group", "value")


@dataclass(frozen=True)
class StatsRange:
    start: dt.date  # first day, inclusive
    end: dt.date  # last day, inclusive

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: dt.date | None = None) -> StatsRange:
        """From `?from=YYYY-MM-DD&to=YYYY-MM-DD`; by default the last 30 days up to today."""
        today = today or dt.datetime.now(SERVICE_ZONE).date()
        try:
            last = dt.date.fromisoformat(end) if end else today
            first = dt.date.fromisoformat(start) if start else last - dt.timedelta(days=DEFAULT_DAYS - 1)
        except ValueError as exc:
            raise InvalidInput("from / to: dates as YYYY-MM-DD") from exc
        if first > last:
            raise InvalidInput("from: must not be after to")
        if (last - first).days + 1 > MAX_DAYS:
            raise InvalidInput(f"from / to: at most {MAX_DAYS} days at a time")
        return cls(first, last)

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in UTC: local midnight of the first day to local midnight after the last."""
        begin = dt.datetime.combine(self.start, dt.time(), tzinfo=SERVICE_ZONE)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=SERVICE_ZONE)
        return begin.astimezone(dt.UTC), after.astimezone(dt.UTC)

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def weeks(self) -> list[dt.date]:
        """The Monday of every ISO week the range touches."""
        return sorted({week_of(day) for day in self.days()})


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


Counts = list[tuple[str, int]]


@dataclass(frozen=True)
class Summary:
    contacts: int
    escalations: int
    escalated_contacts: int
    resolved: int
    median_first_reply: dt.timedelta | None
    replied_escalations: int
    by_channel: Counts
    by_language: Counts
    by_topic: Counts
    by_municipality: Counts
    outcomes: Counts

    @property
    def escalation_rate(self) -> float | None:
        """Share of contacts whose conversation was escalated to a person in the period."""
        return self.escalated_contacts / self.contacts if self.contacts else None


@dataclass(frozen=True)
class Stats:
    range: StatsRange
    total: Summary
    per_day: list[tuple[dt.date, Summary]]
    per_week: list[tuple[dt.date, Summary]]  # keyed by the week's Monday


@dataclass(frozen=True)
class _Inbound:
    day: dt.date
    conversation_id: str
    channel: str
    language: str
    municipality: str


@dataclass(frozen=True)
class _Topic:
    day: dt.date
    conversation_id: str
    topic: str


@dataclass(frozen=True)
class _Created:
    day: dt.date
    conversation_id: str
    first_reply: dt.timedelta | None


@dataclass(frozen=True)
class _Resolved:
    day: dt.date
    outcome: str
    conversation_id: str
    topic: str | None


def _ranked(counter: Counter[str]) -> Counts:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


class _Facts:
    """The period's raw facts, read once and filed by day; any group of days is summarised from them."""

    def __init__(
        self,
        inbound: list[_Inbound],
        topics: list[_Topic],
        created: list[_Created],
        resolved: list[_Resolved],
    ) -> None:
        self.inbound = _by_day(inbound)
        self.topics = _by_day(topics)
        self.created = _by_day(created)
        self.resolved = _by_day(resolved)

    def summary(self, days: Iterable[dt.date]) -> Summary:
        days = list(days)
        inbound = [f for d in days for f in self.inbound.get(d, [])]
        created = [f for d in days for f in self.created.get(d, [])]
        resolved = [f for d in days for f in self.resolved.get(d, [])]
        contacts = {f.conversation_id for f in inbound}
        people: dict[str, _Inbound] = {}
        channels: set[tuple[str, str]] = set()
        for f in inbound:
            people.setdefault(f.conversation_id, f)
            channels.add((f.conversation_id, f.channel))
        topic_pairs = {(f.conversation_id, f.topic) for d in days for f in self.topics.get(d, [])}
        topic_pairs |= {(f.conversation_id, f.topic) for f in resolved if f.topic}
        waits = [f.first_reply for f in created if f.first_reply is not None]
        return Summary(
            contacts=len(contacts),
            escalations=len(created),
            escalated_contacts=len({f.conversation_id for f in created} & contacts),
            resolved=len(resolved),
            median_first_reply=_median(waits),
            replied_escalations=len(waits),
            by_channel=_ranked(Counter(channel for _, channel in channels)),
            by_language=_ranked(Counter(p.language for p in people.values())),
            by_topic=_ranked(Counter(topic for _, topic in topic_pairs)),
            by_municipality=_ranked(Counter(p.municipality for p in people.values())),
            outcomes=_ranked(Counter(f.outcome for f in resolved)),
        )


def _median(values: list[dt.timedelta]) -> dt.timedelta | None:
    return dt.timedelta(seconds=statistics.median(v.total_seconds() for v in values)) if values else None


_Fact = TypeVar("_Fact", _Inbound, _Topic, _Created, _Resolved)


def _by_day(facts: list[_Fact]) -> dict[dt.date, list[_Fact]]:
    out: dict[dt.date, list[_Fact]] = defaultdict(list)
    for fact in facts:
        out[fact.day].append(fact)
    return out


def _day(value: dt.datetime) -> dt.date:
    return local(value).date()


class StatsReport:
    def __init__(self, store: ConversationStore) -> None:
        self._store = store

    def compute(self, period: StatsRange) -> Stats:
        facts = self._facts(period)
        days = period.days()
        return Stats(
            range=period,
            total=facts.summary(days),
            per_day=[(day, facts.summary([day])) for day in days],
            per_week=[
                (monday, facts.summary(d for d in days if week_of(d) == monday)) for monday in period.weeks()
            ],
        )

    def _facts(self, period: StatsRange) -> _Facts:
        begin, after = period.utc_bounds()
        with self._store.session() as s:
            inbound = [
                _Inbound(_day(at), conv, channel or UNKNOWN, language or UNKNOWN, municipality or UNKNOWN)
                for conv, channel, at, language, municipality in s.execute(
                    select(
                        Message.conversation_id,
                        Message.channel,
                        Message.created_at,
                        Conversation.language,
                        Conversation.municipality,
                    )
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .where(Message.direction == "in", Message.created_at >= begin, Message.created_at < after)
                )
            ]
            topics = [
                _Topic(_day(at), conv, topic or UNKNOWN)
                for conv, topic, at in s.execute(
                    select(Message.conversation_id, Message.topic, Message.created_at).where(
                        Message.direction == "out",
                        Message.topic.is_not(None),
                        Message.created_at >= begin,
                        Message.created_at < after,
                    )
                )
            ]
            created = [
                _Created(_day(at), conv, as_utc(first) - as_utc(at) if first else None)
                for conv, at, first in s.execute(
                    select(
                        Escalation.conversation_id, Escalation.created_at, Escalation.first_reply_at
                    ).where(Escalation.created_at >= begin, Escalation.created_at < after)
                )
            ]
            resolved = [
                _Resolved(_day(at), outcome or UNKNOWN, conv, topic)
                for conv, at, outcome, topic in s.execute(
                    select(
                        Escalation.conversation_id,
                        Escalation.resolved_at,
                        Escalation.outcome,
                        Escalation.resolved_topic,
                    ).where(Escalation.resolved_at >= begin, Escalation.resolved_at < after)
                )
                if at is not None
            ]
        return _Facts(inbound, topics, created, resolved)


def _cell(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: such text is quoted."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def _minutes(value: dt.timedelta | None) -> str:
    return f"{value.total_seconds() / 60:.1f}" if value is not None else ""


def _rows(start: dt.date, end: dt.date, summary: Summary) -> Iterable[tuple[str, ...]]:
    a, b = start.isoformat(), end.isoformat()
    rate = summary.escalation_rate
    yield a, b, "contacts", "", str(summary.contacts)
    yield a, b, "escalations", "", str(summary.escalations)
    yield a, b, "escalated_contacts", "", str(summary.escalated_contacts)
    yield a, b, "escalation_rate", "", f"{rate:.4f}" if rate is not None else ""
    yield a, b, "resolved", "", str(summary.resolved)
    yield a, b, "median_first_reply_minutes", "", _minutes(summary.median_first_reply)
    for measure, counts in (
        ("contacts_by_channel", summary.by_channel),
        ("contacts_by_language", summary.by_language),
        ("contacts_by_topic", summary.by_topic),
        ("contacts_by_municipality", summary.by_municipality),
        ("resolved_by_outcome", summary.outcomes),
    ):
        for group, count in counts:
            yield a, b, measure, _cell(group), str(count)


def stats_csv(stats: Stats, period: str = "day") -> str:
    """One row per period, measure and group (long format: a pivot table turns it into any layout)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    if period == "week":
        for monday, summary in stats.per_week:
            first = max(monday, stats.range.start)
            last = min(monday + dt.timedelta(days=6), stats.range.end)
            writer.writerows(_rows(first, last, summary))
    elif period == "day":
        for day, summary in stats.per_day:
            writer.writerows(_rows(day, day, summary))
    else:
        writer.writerows(_rows(stats.range.start, stats.range.end, stats.total))
    return out.getvalue()


def chart_data(stats: Stats) -> dict[str, object]:
    """What the stats page's charts draw (embedded in the page as JSON)."""
    total = stats.total
    return {
        "per_day": [[day.isoformat(), s.contacts] for day, s in stats.per_day],
        "per_week": [[week_label(monday), s.contacts] for monday, s in stats.per_week],
        "by_channel": total.by_channel,
        "by_language": total.by_language,
        "by_topic": total.by_topic,
        "by_municipality": total.by_municipality,
        "outcomes": total.outcomes,
    }
