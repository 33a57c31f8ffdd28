"""Opting in and out of event news: per person, municipality, language and channel.

Only channels that can reach a person unprompted carry news (PUSH_CHANNELS); the web chat cannot.
Opting out is immediate: the row is switched off in the same call, and a broadcast reads the subscriber
list (and the SMS STOP list) when it sends each message, not when it starts.

Blocking (database): call from async code through a worker thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update

from bot.roaming.clock import utcnow
from bot.roaming.models import Subscription
from bot.storage.store import ConversationStore

PUSH_CHANNELS = frozenset({"telegram", "sms"})


@dataclass(frozen=True)
class Subscriber:
    conversation_id: str
    municipality: str
    language: str
    channel: str


def subscribe(
    store: ConversationStore,
    conversation_id: str,
    municipality: str,
    language: str,
    channel: str,
    now: dt.datetime | None = None,
) -> bool:
    """Opt in (again); returns False when the person already had this subscription switched on."""
    now = now or utcnow()
    with store.session() as s, s.begin():
        row = s.scalar(
            select(Subscription).where(
                Subscription.conversation_id == conversation_id,
                Subscription.municipality == municipality,
                Subscription.channel == channel,
            )
        )
        if row is None:
            s.add(
                Subscription(
                    conversation_id=conversation_id,
                    municipality=municipality,
                    language=language,
                    channel=channel,
                    created_at=now,
                    updated_at=now,
                )
            )
            return True
        was_active = bool(row.active)
        row.active, row.language, row.updated_at = True, language, now
        return not was_active


def unsubscribe(
    store: ConversationStore,
    conversation_id: str,
    municipality: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Opt out of one municipality's news, or of all with None; returns how many subscriptions ended."""
    with store.session() as s, s.begin():
        query = (
            update(Subscription)
            .where(Subscription.conversation_id == conversation_id, Subscription.active.is_(True))
            .values(active=False, updated_at=now or utcnow())
        )
        if municipality:
            query = query.where(Subscription.municipality == municipality)
        return int(s.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def subscriptions_of(store: ConversationStore, conversation_id: str) -> list[Subscriber]:
    with store.session() as s:
        rows = s.scalars(
            select(Subscription)
            .where(Subscription.conversation_id == conversation_id, Subscription.active.is_(True))
            .order_by(Subscription.municipality)
        )
        return [Subscriber(r.conversation_id, r.municipality, r.language, r.channel) for r in rows]


def is_subscribed(store: ConversationStore, conversation_id: str, municipality: str, channel: str) -> bool:
    with store.session() as s:
        return (
            s.scalar(
                select(Subscription.id).where(
                    Subscription.conversation_id == conversation_id,
                    Subscription.municipality == municipality,
                    Subscription.channel == channel,
                    Subscription.active.is_(True),
                )
            )
            is not None
        )


def subscribers(store: ConversationStore, municipalities: list[str] | None = None) -> list[Subscriber]:
    """Active subscribers, one row per person and channel (a person subscribed to two of the municipalities
    gets a broadcast once)."""
    with store.session() as s:
        query = select(Subscription).where(Subscription.active.is_(True)).order_by(Subscription.id)
        if municipalities:
            query = query.where(Subscription.municipality.in_(municipalities))
        seen: set[tuple[str, str]] = set()
        found = []
        for row in s.scalars(query):
            key = (row.conversation_id, row.channel)
            if key not in seen:
                seen.add(key)
                found.append(Subscriber(row.conversation_id, row.municipality, row.language, row.channel))
        return found
