"""Booking decides the last place once under concurrency; cancelling and erasure free places."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from bot.roaming import booking, schedule, subscriptions
from bot.roaming.errors import BookingRefused, NotFound, Refusal
from bot.storage.store import ConversationStore
from tests.bot.roaming.builders import add_training, add_visit, at, person, slot_ids

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


def _book(store: ConversationStore, who: str, slot: int) -> booking.BookingInfo:
    return booking.book(
        store,
        who,
        slot,
        language="fi",
        interpreter_language=None,
        topic="t",
        contact_channel="telegram",
        now=at(0),
    )


@pytest.mark.parametrize("places", [1, 2])
async def test_the_last_places_go_to_exactly_as_many_people(store: ConversationStore, places: int) -> None:
    """Four people book a slot with `places` places at the same moment: exactly `places` of them get one."""
    for round_ in range(5):
        (slot,) = slot_ids(store, add_visit(store, "Jämsä", at(3 + round_), slots=1, capacity=places))
        people = [person(store, "telegram", f"{round_}-{i}") for i in range(4)]

        async def attempt(who: str, slot: int = slot) -> Refusal | None:
            try:
                await anyio.to_thread.run_sync(_book, store, who, slot)
            except BookingRefused as refused:
                return refused.reason
            return None

        outcomes = await asyncio.gather(*(attempt(p) for p in people))
        assert outcomes.count(None) == places
        assert outcomes.count(Refusal.FULL) == 4 - places
        found = schedule.slot_with_visit(store, slot)
        assert found is not None and found[1].booked == places and found[1].free == 0


def test_cancelling_frees_the_place_and_only_the_owner_can_cancel(store: ConversationStore) -> None:
    (slot,) = slot_ids(store, add_visit(store, "Laukaa", at(2), slots=1))
    a, b = person(store, "telegram", "a"), person(store, "sms", "+358401")
    made = _book(store, a, slot)
    with pytest.raises(BookingRefused) as full:
        _book(store, b, slot)
    assert full.value.reason is Refusal.FULL
    with pytest.raises(NotFound):
        booking.cancel(store, b, made.id, at(0))  # not B's booking
    booking.cancel(store, a, made.id, at(0))
    with pytest.raises(NotFound):
        booking.cancel(store, a, made.id, at(0))  # cancelled once only
    assert _book(store, b, slot).conversation_id == b


def test_one_booking_per_person_per_visit(store: ConversationStore) -> None:
    first, second = slot_ids(store, add_visit(store, "Laukaa", at(2), slots=2))
    a = person(store)
    _book(store, a, first)
    with pytest.raises(BookingRefused) as again:
        _book(store, a, second)
    assert again.value.reason is Refusal.ALREADY


def test_erasing_a_person_removes_their_bookings_and_frees_the_place(store: ConversationStore) -> None:
    (slot,) = slot_ids(store, add_visit(store, "Multia", at(2), slots=1))
    a, b = person(store, "telegram", "a"), person(store, "telegram", "b")
    _book(store, a, slot)
    subscriptions.subscribe(store, a, "Multia", "fi", "telegram")
    training = add_training(store, "Keuruu", at(9), {"fi": "Koulutus"})
    booking.register_for_training(
        store,
        a,
        training,
        organisation="Keuruun kaupunki",
        language="fi",
        contact_channel="telegram",
        now=at(0),
    )
    store.delete_person(a)
    assert booking.upcoming_bookings(store, a, at(0)) == []
    assert subscriptions.subscriptions_of(store, a) == []
    assert schedule.training(store, training, "fi").registered == 0  # type: ignore[union-attr]
    assert _book(store, b, slot).conversation_id == b  # the place came free
