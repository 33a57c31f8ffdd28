"""Admin pages: accounts, service settings that take effect at once, and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.console.accounts import Role
from bot.storage.console_models import AuditEntry
from tests.bot.console.conftest import Console

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def admin(console: Console) -> None:
    await console.account("root", Role.ADMIN)
    await console.login("root")


def audit(console: Console) -> list[tuple[str, str, str | None, str | None]]:
    with console.store.session() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(r.actor, r.action, r.conversation_id, r.detail) for r in rows]


async def test_an_admin_creates_disables_and_resets_accounts(console: Console) -> None:
    await admin(console)
    created = await console.post(
        "/console/admin/users", {"username": "Maria", "password": "a long enough password", "role": "advisor"}
    )
    assert created.status_code == 303
    page = await console.client.get("/console/admin/users")
    assert 'id="user-maria"' in page.text
    maria = console.new_client()
    assert (await console.login("maria", "a long enough password", client=maria)).status_code == 303

    short = await console.post("/console/admin/users", {"username": "x1", "password": "short"})
    assert short.status_code == 400 and "at least 12 characters" in short.text
    dup = await console.post(
        "/console/admin/users", {"username": "maria", "password": "a long enough password"}
    )
    assert dup.status_code == 409

    await console.post("/console/admin/users/maria/active", {"active": "0"})
    assert (await maria.get("/console", headers={"accept": "application/json"})).status_code == 401
    assert (await console.login("maria", "a long enough password", client=maria)).status_code == 401
    await console.post("/console/admin/users/maria/active", {"active": "1"})
    await console.post("/console/admin/users/maria/password", {"password": "a brand new password"})
    assert (await console.login("maria", "a long enough password", client=maria)).status_code == 401
    assert (await console.login("maria", "a brand new password", client=maria)).status_code == 303
    itself = await console.post("/console/admin/users/root/active", {"active": "0"})
    assert itself.status_code == 409
    actions = [(actor, action, detail) for actor, action, _, detail in audit(console)]
    assert ("root", "user.create", "user=maria role=advisor") in actions
    assert ("root", "user.disable", "user=maria") in actions
    assert ("root", "user.password_reset", "user=maria") in actions


async def test_settings_are_saved_and_take_effect_at_once(console: Console) -> None:
    await admin(console)
    form = {f"{day}_opens": "" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    form |= {f"{day}_closes": "" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    form |= {"mon_opens": "09:00", "mon_closes": "15:00", "fri_opens": "10:00", "fri_closes": "12:30"}
    form |= {"retention_days": "90", "no_answer_minutes": "45"}
    response = await console.post("/console/admin/settings", form)
    assert response.status_code == 303
    state = console.app.state
    assert (state.retention_days, state.no_answer_minutes) == (90, 45)
    monday_10 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)  # 10:00 in Helsinki
    assert state.advisor_hours.open_at(monday_10)
    assert not state.advisor_hours.open_at(monday_10 + dt.timedelta(days=1))
    page = await console.client.get("/console/admin/settings")
    assert 'name="fri_closes" value="12:30"' in page.text and 'value="90"' in page.text
    assert console.app.state.console.settings.load().no_answer_minutes == 45
    bad = await console.post("/console/admin/settings", form | {"tue_opens": "25:00", "tue_closes": "26:00"})
    assert bad.status_code == 400 and "Tuesday" in bad.text
    reversed_hours = await console.post(
        "/console/admin/settings", form | {"tue_opens": "15:00", "tue_closes": "09:00"}
    )
    assert reversed_hours.status_code == 400
    assert (await console.post("/console/admin/settings", form | {"retention_days": "0"})).status_code == 400
    assert state.retention_days == 90
    assert ("root", "settings.update") in [(a, b) for a, b, _, _ in audit(console)]


async def test_every_view_and_change_is_in_the_audit_log(console: Console) -> None:
    conversation_id, escalation_id = await console.escalate(sender="1001")
    await admin(console)
    await console.client.get(f"/console/conversations/{conversation_id}")
    await console.post(f"/console/escalations/{escalation_id}/claim")
    await console.post(f"/console/conversations/{conversation_id}/reply", {"text": "Hello from the advisors"})
    await console.post(f"/console/conversations/{conversation_id}/notes", {"text": "note"})
    await console.post(
        f"/console/escalations/{escalation_id}/resolve", {"outcome": "answered", "topic": "tax_card"}
    )
    await console.client.get("/console/stats.csv")
    rows = audit(console)
    expected = [
        ("root", "login", None),
        ("root", "conversation.view", conversation_id),
        ("root", "escalation.claim", conversation_id),
        ("root", "reply.send", conversation_id),
        ("root", "note.add", conversation_id),
        ("root", "escalation.resolve", conversation_id),
        ("root", "stats.export", None),
    ]
    assert all(e in [(a, b, c) for a, b, c, _ in rows] for e in expected), rows
    assert not any("Hello from the advisors" in (detail or "") for *_, detail in rows)  # no message text
    page = await console.client.get("/console/admin/audit", params={"action": "escalation.resolve"})
    assert "outcome=answered topic=tax_card" in page.text and "conversation.view" in page.text
    # Erasing the person keeps the audit rows, without the conversation id.
    console.store.delete_person(conversation_id)
    assert {c for _, _, c, _ in audit(console)} <= {None, "erased"}
