"""What the roaming advisory knows about a person: their municipality and where to reach them.

Blocking (database): call from async code through a worker thread.
"""

from __future__ import annotations

from sqlalchemy import select, update

from bot.storage.models import Conversation
from bot.storage.store import ConversationStore


def remember_municipality(store: ConversationStore, conversation_id: str, municipality: str) -> None:
    """Keep the municipality a person told us on their conversation, for their next "near me"."""
    with store.session() as s, s.begin():
        s.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(municipality=municipality)
        )


def remembered_municipality(store: ConversationStore, conversation_id: str) -> str | None:
    with store.session() as s:
        return s.scalar(select(Conversation.municipality).where(Conversation.id == conversation_id))


def current_channel(store: ConversationStore, conversation_id: str) -> str:
    """The channel the person wrote on last ("web" when the conversation has no channel address)."""
    identities = store.identities(conversation_id)
    if identities:
        return identities[0][0]
    conversation = store.get_conversation(conversation_id)
    return conversation.channel if conversation else "web"


def address_on(store: ConversationStore, conversation_id: str, channel: str) -> str | None:
    """The person's most recent address on `channel` (a chat id, a phone number), if they have one."""
    return next((address for c, address in store.identities(conversation_id) if c == channel), None)


def export_person(store: ConversationStore, conversation_id: str) -> dict[str, object]:
    """What the roaming advisory stores about one person, JSON-ready (for a subject access request).

    `ConversationStore.export_person` covers the core tables; this is its roaming part.
    """
    from bot.roaming.models import (
        Booking,
        BroadcastDelivery,
        Subscription,
        TrainingRegistration,
        Visit,
        VisitSlot,
    )

    with store.session() as s:
        bookings = s.execute(
            select(Booking, VisitSlot, Visit)
            .join(VisitSlot, VisitSlot.id == Booking.slot_id)
            .join(Visit, Visit.id == VisitSlot.visit_id)
            .where(Booking.conversation_id == conversation_id)
            .order_by(Booking.id)
        ).all()
        registrations = s.scalars(
            select(TrainingRegistration).where(TrainingRegistration.conversation_id == conversation_id)
        ).all()
        subscriptions = s.scalars(
            select(Subscription).where(Subscription.conversation_id == conversation_id)
        ).all()
        deliveries = s.scalars(
            select(BroadcastDelivery).where(BroadcastDelivery.conversation_id == conversation_id)
        ).all()
        return {
            "bookings": [
                {
                    "municipality": visit.municipality,
                    "place": visit.place,
                    "starts_at": slot.starts_at.isoformat(),
                    "status": b.status,
                    "interpreter_language": b.interpreter_language,
                    "topic": b.topic,
                    "contact_channel": b.contact_channel,
                    "gender": b.gender,
                    "booked_at": b.created_at.isoformat(),
                    "reminder_sent_at": b.reminder_sent_at.isoformat() if b.reminder_sent_at else None,
                }
                for b, slot, visit in bookings
            ],
            "training_registrations": [
                {
                    "training_id": r.training_id,
                    "organisation": r.organisation,
                    "status": r.status,
                    "gender": r.gender,
                    "registered_at": r.created_at.isoformat(),
                }
                for r in registrations
            ],
            "event_news_subscriptions": [
                {
                    "municipality": x.municipality,
                    "language": x.language,
                    "channel": x.channel,
                    "active": x.active,
                }
                for x in subscriptions
            ],
            "event_news_received": [
                {
                    "broadcast_id": d.broadcast_id,
                    "channel": d.channel,
                    "status": d.status,
                    "at": d.at.isoformat(),
                }
                for d in deliveries
            ],
        }
