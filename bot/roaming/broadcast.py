"""An admin's message to the people who opted in to event news, sent on each person's channel.

Only active subscribers of the chosen municipalities get it, in their subscription's language (else English,
else Finnish, of the texts the admin wrote). Each channel sends at its own rate (`RateLimiter`), channels in
parallel. Opting out takes effect at once: the subscription and the SMS STOP list are read again just
before each message is sent, so someone who unsubscribes while a broadcast is under way gets nothing more.
Each person gets a broadcast at most once (a delivery row is claimed before sending).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.dialogue.responses import BotMessage
from bot.languages import Language, as_language, is_language
from bot.roaming.clock import utcnow
from bot.roaming.models import Broadcast, BroadcastDelivery
from bot.roaming.people import address_on
from bot.roaming.rate_limit import Monotonic, RateLimiter, Sleep
from bot.roaming.subscriptions import Subscriber, is_subscribed, subscribers
from bot.storage.store import ConversationStore

if TYPE_CHECKING:
    from channels.hub import ChannelHub

log = logging.getLogger(__name__)
SLOWEST_RATE = 1.0  # messages a second on a channel without a configured rate
TEXT_FALLBACK: tuple[Language, ...] = ("en", "fi")


class EmptyBroadcast(ValueError):
    """A broadcast needs at least one text."""


@dataclass(frozen=True)
class BroadcastResult:
    id: int
    sent: int
    skipped: int  # opted out (STOP, unsubscribed meanwhile) or no address on the channel
    failed: int  # not sent now: the channel gave up (an escalation), or the outbox will try again later


def text_for(texts: Mapping[str, str], language: str) -> tuple[str, Language] | None:
    for candidate in (language, *TEXT_FALLBACK):
        if texts.get(candidate, "").strip() and is_language(candidate):
            return texts[candidate].strip(), as_language(candidate)
    return None


def _create(
    store: ConversationStore, author: str, municipalities: list[str], texts: Mapping[str, str]
) -> int:
    with store.session() as s, s.begin():
        row = Broadcast(
            created_by=author,
            municipalities=",".join(municipalities),
            texts=json.dumps(dict(texts), ensure_ascii=False),
        )
        s.add(row)
        s.flush()
        return int(row.id)


def _claim(store: ConversationStore, broadcast_id: int, subscriber: Subscriber, status: str) -> bool:
    """Record this person's copy; False when they already have one (a resumed or repeated broadcast)."""
    try:
        with store.session() as s, s.begin():
            s.add(
                BroadcastDelivery(
                    broadcast_id=broadcast_id,
                    conversation_id=subscriber.conversation_id,
                    channel=subscriber.channel,
                    status=status,
                )
            )
    except IntegrityError:
        return False
    return True


def _set_status(store: ConversationStore, broadcast_id: int, subscriber: Subscriber, status: str) -> None:
    with store.session() as s, s.begin():
        row = s.get(BroadcastDelivery, (broadcast_id, subscriber.conversation_id, subscriber.channel))
        if row is not None:
            row.status = status


def _finish(store: ConversationStore, broadcast_id: int, result: BroadcastResult) -> None:
    with store.session() as s, s.begin():
        row = s.get(Broadcast, broadcast_id)
        if row is not None:
            row.sent, row.skipped, row.failed = result.sent, result.skipped, result.failed
            row.finished_at = utcnow()


class Broadcaster:
    def __init__(
        self,
        hub: ChannelHub,
        rates: Mapping[str, float],
        *,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self.hub = hub
        self.rates = dict(rates)
        self._sleep = sleep
        self._monotonic = monotonic

    def _limiter(self, channel: str) -> RateLimiter:
        return RateLimiter(
            self.rates.get(channel, SLOWEST_RATE), monotonic=self._monotonic, sleep=self._sleep
        )

    async def send(self, author: str, municipalities: list[str], texts: Mapping[str, str]) -> BroadcastResult:
        """Send to every active subscriber of `municipalities` (all municipalities when empty)."""
        if not any(t.strip() for t in texts.values()):
            raise EmptyBroadcast("write the message in at least one language")
        store = self.hub.store
        broadcast_id = await anyio.to_thread.run_sync(_create, store, author, municipalities, texts)
        people = await anyio.to_thread.run_sync(subscribers, store, municipalities or None)
        by_channel: dict[str, list[Subscriber]] = {}
        for person in people:
            by_channel.setdefault(person.channel, []).append(person)
        counts = await asyncio.gather(
            *(
                self._send_channel(broadcast_id, channel, group, texts)
                for channel, group in by_channel.items()
            )
        )
        result = BroadcastResult(
            broadcast_id,
            sum(c[0] for c in counts),
            sum(c[1] for c in counts),
            sum(c[2] for c in counts),
        )
        await anyio.to_thread.run_sync(_finish, store, broadcast_id, result)
        log.info(
            "broadcast %d: %d sent, %d skipped, %d failed",
            broadcast_id,
            result.sent,
            result.skipped,
            result.failed,
        )
        return result

    async def _send_channel(
        self, broadcast_id: int, channel: str, group: list[Subscriber], texts: Mapping[str, str]
    ) -> tuple[int, int, int]:
        from channels.base import Outgoing

        store, responses = self.hub.store, self.hub.responses
        limiter = self._limiter(channel)
        sent = skipped = failed = 0
        for person in group:
            chosen = text_for(texts, person.language)
            address = await anyio.to_thread.run_sync(address_on, store, person.conversation_id, channel)
            if chosen is None or address is None or channel not in self.hub.outputs:
                skipped += 1
                continue
            await limiter.wait()
            # Read again now: an opt-out since the broadcast started must be respected.
            still = await anyio.to_thread.run_sync(
                is_subscribed, store, person.conversation_id, person.municipality, channel
            )
            stopped = channel == "sms" and await anyio.to_thread.run_sync(store.is_opted_out, "sms", address)
            if not still or stopped:
                await anyio.to_thread.run_sync(_claim, store, broadcast_id, person, "opted_out")
                skipped += 1
                continue
            if not await anyio.to_thread.run_sync(_claim, store, broadcast_id, person, "sending"):
                skipped += 1
                continue
            text, language = chosen
            footer = responses.render("roaming_broadcast_footer", language).text
            outgoing = Outgoing(
                [BotMessage(f"{text}\n\n{footer}")], language, conversation_id=person.conversation_id
            )
            delivered = await self.hub.deliver(channel, address, outgoing)
            await anyio.to_thread.run_sync(
                _set_status, store, broadcast_id, person, "sent" if delivered else "failed"
            )
            if delivered:
                sent += 1
            else:
                failed += 1
        return sent, skipped, failed


def deliveries(store: ConversationStore, broadcast_id: int) -> list[tuple[str, str, str]]:
    """(conversation id, channel, status) of one broadcast's copies."""
    with store.session() as s:
        rows = s.execute(
            select(
                BroadcastDelivery.conversation_id, BroadcastDelivery.channel, BroadcastDelivery.status
            ).where(BroadcastDelivery.broadcast_id == broadcast_id)
        )
        return [(c, ch, st) for c, ch, st in rows]


def recent_broadcasts(store: ConversationStore, limit: int = 20) -> list[dict[str, object]]:
    with store.session() as s:
        rows = s.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))
        return [
            {
                "id": b.id,
                "created_by": b.created_by,
                "created_at": b.created_at,
                "municipalities": b.municipalities,
                "sent": b.sent,
                "skipped": b.skipped,
                "failed": b.failed,
                "finished_at": b.finished_at,
            }
            for b in rows
        ]
