"""One person's data as JSON: the conversation store's records plus the roaming advisory's (a subject access
request, answered by `neuvo privacy export` and the console)."""

from __future__ import annotations

from bot.roaming.people import export_person as roaming_records
from bot.storage.store import ConversationStore


def export_person(store: ConversationStore, conversation_id: str) -> dict[str, object]:
    data = store.export_person(conversation_id)
    if data:
        data["roaming"] = roaming_records(store, conversation_id)
    return data
