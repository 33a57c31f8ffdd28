"""The reminder the day before a booked visit, sent once on the channel the person booked on.

A booking's reminder is due at `hour` o'clock (Finnish time) on the day before its slot. The job sends every
due reminder whose slot has not started yet; a booking made after its reminder was due (booked the evening
before) gets none, because its confirmation was just sent. Each reminder is claimed in the database before
it is sent (`booking.claim_reminder`), so it goes out once even if two jobs run at the same time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio
from sqlalchemy import select

from bot.languages import FALLBACK_LANGUAGE, as_language, is_language
from bot.roaming import booking as bookings
from bot.roaming import formatting
from bot.roaming.booking import BookingInfo
from bot.roaming.clock import SERVICE_ZONE, Clock, as_utc, local, utcnow
from bot.roaming.models import Booking, VisitSlot
from bot.roaming.people import address_on
from bot.roaming.settings import RoamingSettings
from bot.storage.store import ConversationStore

if TYPE_CHECKING:
    from channels.hub import ChannelHub

log = logging.getLogger(__name__)


def due_at(slot_start: dt.datetime, hour: int) -> dt.datetime:
    """`hour`:00 Finnish time on the day before the slot's day, as UTC."""
    day_before = local(slot_start).date() - dt.timedelta(days=1)
    return dt.datetime.combine(day_before, dt.time(hour), tzinfo=SERVICE_ZONE).astimezone(dt.UTC)


def due_reminders(store: ConversationStore, now: dt.datetime, hour: int) -> list[BookingInfo]:
    """Booked, not yet reminded, slot still to come, reminder time reached, booked before that time."""
    now = as_utc(now)
    with store.session() as s:
        ids = list(
            s.scalars(
                select(Booking.id)
                .join(VisitSlot, VisitSlot.id == Booking.slot_id)
                .where(
                    Booking.status == "booked",
                    Booking.reminder_sent_at.is_(None),
                    VisitSlot.starts_at > now,
                    VisitSlot.starts_at < now + dt.timedelta(days=2),
                )
            )
        )
    due = []
    for booking_id in ids:
        found = bookings.booking(store, booking_id)
        if found is None:
            continue
        when = due_at(found.starts_at, hour)
        if when <= now and as_utc(found.created_at) < when:
            due.append(found)
    return due


class ReminderJob:
    """Sends due reminders every `interval`; the hour and the clock can be injected (tests, admins)."""

    def __init__(
        self,
        hub: ChannelHub,
        hour: Callable[[], int],
        *,
        clock: Clock = utcnow,
        interval: dt.timedelta = dt.timedelta(minutes=1),
    ) -> None:
        self.hub = hub
        self.hour = hour
        self.clock = clock
        self.interval = interval

    @classmethod
    def from_env(cls, hub: ChannelHub, settings: RoamingSettings | None = None) -> ReminderJob:
        settings = settings or RoamingSettings.from_env()
        return cls(
            hub,
            lambda: settings.reminder_hour,
            interval=dt.timedelta(seconds=settings.reminder_interval_seconds),
        )

    async def run_once(self, now: dt.datetime | None = None) -> int:
        """Send every reminder due at `now` (default: the clock); returns how many were delivered."""
        now = now or self.clock()
        store = self.hub.store
        delivered = 0
        for due in await anyio.to_thread.run_sync(due_reminders, store, now, self.hour()):
            if not await anyio.to_thread.run_sync(bookings.claim_reminder, store, due.id, now):
                continue  # another round (or another worker) has it
            if await self._send(due):
                delivered += 1
        return delivered

    async def _send(self, due: BookingInfo) -> bool:
        from channels.base import Outgoing

        store = self.hub.store
        channel = due.contact_channel
        address = await anyio.to_thread.run_sync(address_on, store, due.conversation_id, channel)
        if address is None or channel not in self.hub.outputs:
            log.info("reminder for booking %d not sent: no %s address to send it to", due.id, channel)
            return False
        if channel == "sms" and await anyio.to_thread.run_sync(store.is_opted_out, "sms", address):
            log.info("reminder for booking %d not sent: the number has opted out (STOP)", due.id)
            return False
        language = as_language(due.language) if is_language(due.language) else FALLBACK_LANGUAGE
        responses = self.hub.responses
        message = responses.render(
            "roaming_reminder",
            language,
            when=formatting.when(responses, language, due.starts_at, due.ends_at),
            municipality=due.municipality,
            place=due.place,
        )
        outgoing = Outgoing([message], language, conversation_id=due.conversation_id)
        return await self.hub.deliver(channel, address, outgoing)

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the job must keep running; the failure is logged with its traceback
                log.exception("reminder round failed; retrying at the next interval")
            await asyncio.sleep(self.interval.total_seconds())
