"""Admins answer a person's data requests in the console: export as JSON, erase everywhere (audited)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.console.accounts import Role
from bot.storage.console_models import AuditEntry
from tests.bot.console.conftest import Console

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def test_an_admin_exports_and_erases_a_persons_data(console: Console) -> None:
    conversation_id, _ = await console.escalate(sender="2002", text="my name is Aino, help with my visa")
    await console.account("root", Role.ADMIN)
    await console.login("root")

    exported = await console.client.get(f"/console/conversations/{conversation_id}/export.json")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    data = exported.json()
    assert {"channel": "telegram", "address": "2002", "opted_out": False} in data["channels"]
    assert "my name is Aino, help with my visa" in [m["text"] for m in data["messages"]]

    refused = await console.post(f"/console/conversations/{conversation_id}/erase", {"confirm": "yes"})
    assert refused.status_code == 400
    assert console.store.get_conversation(conversation_id) is not None

    erased = await console.post(f"/console/conversations/{conversation_id}/erase", {"confirm": "erase"})
    assert erased.status_code in (302, 303)
    assert console.store.get_conversation(conversation_id) is None
    assert console.store.messages(conversation_id) == []
    assert console.dialogue.forgotten == [conversation_id]
    with console.store.session() as s:
        audit = s.scalars(select(AuditEntry)).all()
    assert not [a for a in audit if a.conversation_id == conversation_id]  # nothing points at the person now
    assert {"person.export", "person.erase"} <= {a.action for a in audit}


async def test_an_advisor_cannot_export_or_erase(console: Console) -> None:
    conversation_id, _ = await console.escalate(sender="2003")
    await console.account("alice")
    await console.login("alice")
    assert (
        await console.client.get(f"/console/conversations/{conversation_id}/export.json")
    ).status_code == 403
    response = await console.post(f"/console/conversations/{conversation_id}/erase", {"confirm": "erase"})
    assert response.status_code == 403
    assert console.store.get_conversation(conversation_id) is not None
