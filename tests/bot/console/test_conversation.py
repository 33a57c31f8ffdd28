"""The conversation view: escaped text, replies on the person's channel, notes, KB search, suggestions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from bot.console.accounts import Role
from bot.storage.console_models import KbSuggestion, Note
from bot.storage.models import Escalation, Message
from tests.bot.console.conftest import Console

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

XSS = "<script>alert(1)</script>"


async def claimed(console: Console, sender: str = "1001", channel: str = "telegram") -> tuple[str, int]:
    conversation_id, escalation_id = await console.escalate(sender=sender, channel=channel)
    await console.account("alice")
    await console.login("alice")
    await console.post(f"/console/escalations/{escalation_id}/claim")
    return conversation_id, escalation_id


async def test_a_script_in_a_user_message_renders_escaped(console: Console) -> None:
    console.dialogue.summary = f"summary {XSS}"
    conversation_id, _ = await console.escalate(sender="1001", text=f"hello {XSS} there")
    await console.account("alice")
    await console.login("alice")
    page = await console.client.get(f"/console/conversations/{conversation_id}")
    assert page.status_code == 200
    assert XSS not in page.text
    assert "hello &lt;script&gt;alert(1)&lt;/script&gt; there" in page.text
    assert "summary &lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    queue = await console.client.get("/console")
    assert XSS not in queue.text and "&lt;script&gt;" in queue.text
    fragment = await console.client.get(f"/console/conversations/{conversation_id}/messages?after=0")
    assert XSS not in fragment.text


async def test_the_page_shows_the_whole_conversation_with_bot_details(console: Console) -> None:
    conversation_id, escalation_id = await console.escalate(sender="1001")
    with console.store.session() as s, s.begin():
        s.execute(
            update(Message)
            .where(Message.conversation_id == conversation_id, Message.direction == "out")
            .values(topic="tax_card", entry_id="tax_card.basics", confidence=0.87)
        )
        s.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id)
            .values(recording_url="https://api.twilio.com/recordings/RE1")
        )
    await console.account("alice")
    await console.login("alice")
    page = (await console.client.get(f"/console/conversations/{conversation_id}")).text
    assert "hello there, I have a question about my permit" in page
    assert "echo: hello there, I have a question about my permit" in page
    assert "topic tax_card" in page and "entry tax_card.basics" in page and "confidence 0.87" in page
    assert 'href="https://api.twilio.com/recordings/RE1"' in page
    assert "needs help with a residence permit" in page  # the escalation's summary
    chips = re.findall(r'<span class="chip"[^>]*>([^<]*)</span>', page)
    assert chips == ["telegram •••"]  # the chat id itself is not on the screen


async def test_a_reply_goes_out_on_the_persons_channel_and_is_recorded(console: Console) -> None:
    conversation_id, escalation_id = await claimed(console, sender="1001")
    console.telegram.sent.clear()
    response = await console.post(
        f"/console/conversations/{conversation_id}/reply", {"text": "Hei! Lähetän lomakkeen."}
    )
    assert response.status_code == 303 and "notice=sent" in response.headers["location"]
    assert console.telegram.sent == [("1001", "Hei! Lähetän lomakkeen.")]
    with console.store.session() as s:
        reply = s.scalars(select(Message).where(Message.author == "alice")).one()
        escalation = s.get(Escalation, escalation_id)
    assert (reply.direction, reply.channel, reply.text) == ("out", "telegram", "Hei! Lähetän lomakkeen.")
    assert escalation is not None and escalation.first_reply_at is not None
    page = await console.client.get(f"/console/conversations/{conversation_id}?notice=sent")
    assert "Reply sent." in page.text and "advisor <b>alice</b>" in page.text


async def test_a_reply_goes_to_the_most_recently_used_of_linked_channels(console: Console) -> None:
    conversation_id, _ = await claimed(console, sender="1001")
    await console.post(f"/console/escalations/{console.store.escalations(conversation_id)[-1].id}/release")
    code = console.store.create_link_code(conversation_id)
    await console.say("+358401112223", f"LINK {code}", channel="sms")
    await console.post(f"/console/escalations/{console.store.escalations(conversation_id)[-1].id}/claim")
    console.sms.sent.clear()
    console.telegram.sent.clear()
    await console.post(f"/console/conversations/{conversation_id}/reply", {"text": "Tekstiviestillä."})
    assert console.sms.sent == [("+358401112223", "Tekstiviestillä.")] and console.telegram.sent == []


async def test_a_web_chat_user_cannot_be_reached_but_the_reply_is_kept(console: Console) -> None:
    conversation_id, escalation_id = await claimed(console, sender="web-1", channel="web")
    response = await console.post(
        f"/console/conversations/{conversation_id}/reply", {"text": "Soitan sinulle."}
    )
    page = await console.client.get(response.headers["location"])
    assert "cannot deliver: web chat user" in page.text
    with console.store.session() as s:
        reply = s.scalars(select(Message).where(Message.author == "alice")).one()
        note = s.scalars(select(Note).where(Note.conversation_id == conversation_id)).one()
        escalation = s.get(Escalation, escalation_id)
    assert reply.text == "Soitan sinulle."
    assert "cannot deliver: web chat user" in note.text
    assert escalation is not None and escalation.first_reply_at is None


async def test_a_failed_delivery_is_reported_and_kept(console: Console) -> None:
    conversation_id, _ = await claimed(console, sender="1001")
    console.telegram.fail = True
    response = await console.post(f"/console/conversations/{conversation_id}/reply", {"text": "Hello?"})
    assert "notice=failed" in response.headers["location"]
    assert [e.reason for e in console.store.escalations(conversation_id)][-1] == "delivery_failed"


async def test_only_the_advisor_holding_a_conversation_can_reply(console: Console) -> None:
    conversation_id, _ = await console.escalate(sender="1001")
    await console.account("alice")
    await console.login("alice")
    response = await console.post(f"/console/conversations/{conversation_id}/reply", {"text": "Hi"})
    assert response.status_code == 409 and "claim the conversation" in response.text
    assert console.telegram.sent[-1][1] != "Hi"


async def test_an_empty_reply_is_refused(console: Console) -> None:
    conversation_id, _ = await claimed(console)
    sent = list(console.telegram.sent)
    response = await console.post(f"/console/conversations/{conversation_id}/reply", {"text": "   "})
    assert response.status_code == 400 and "reply: empty" in response.text
    assert console.telegram.sent == sent


async def test_notes_are_internal_and_kept_with_the_conversation(console: Console) -> None:
    conversation_id, _ = await claimed(console)
    sent = list(console.telegram.sent)
    response = await console.post(
        f"/console/conversations/{conversation_id}/notes", {"text": "Called Migri, waiting for callback"}
    )
    assert response.status_code == 303
    page = await console.client.get(f"/console/conversations/{conversation_id}")
    assert "Called Migri, waiting for callback" in page.text
    assert console.telegram.sent == sent
    console.store.delete_person(conversation_id)
    with console.store.session() as s:
        assert s.scalars(select(Note)).all() == []


async def test_kb_search_answers_in_the_persons_language(console: Console) -> None:
    conversation_id, _ = await claimed(console)
    console.store.set_language(conversation_id, "fi", locked=True)
    response = await console.client.get(
        "/console/kb/search", params={"q": "how do I get a tax card", "language": "fi"}
    )
    hits = response.json()["hits"]
    assert hits[0]["entry_id"] == "tax_card.basics"
    assert hits[0]["language"] == "fi" and hits[0]["answer"] == "tax_card fi: the answer."
    assert hits[0]["reply_text"] == "tax_card fi: the answer.\n\nhttps://www.infofinland.fi/"
    assert (await console.client.get("/console/kb/search", params={"q": " "})).status_code == 400


async def test_a_reply_becomes_a_suggestion_for_the_knowledge_base(console: Console) -> None:
    conversation_id, _ = await claimed(console)
    await console.post(
        f"/console/conversations/{conversation_id}/reply", {"text": "Verokortin saa OmaVerosta."}
    )
    page = await console.client.get(f"/console/conversations/{conversation_id}")
    assert ">Verokortin saa OmaVerosta.</textarea>" in page.text  # the suggestion form starts from the reply
    response = await console.post(
        f"/console/conversations/{conversation_id}/suggestions",
        {"kind": "answer", "text": "Verokortin saa OmaVerosta.", "topic": "tax_card", "language": "fi"},
    )
    assert response.status_code == 303
    bad = await console.post(
        f"/console/conversations/{conversation_id}/suggestions",
        {"kind": "answer", "text": "x", "topic": "no_such_topic", "language": "fi"},
    )
    assert bad.status_code == 400
    with console.store.session() as s:
        row = s.scalars(select(KbSuggestion)).one()
    assert (row.kind, row.topic, row.language, row.author, row.status) == (
        "answer",
        "tax_card",
        "fi",
        "alice",
        "new",
    )
    await console.account("root", Role.ADMIN)
    admin = console.new_client()
    await console.login("root", client=admin)
    listing = await admin.get("/console/admin/suggestions")
    assert "Verokortin saa OmaVerosta." in listing.text
    reviewed = await console.post(
        f"/console/admin/suggestions/{row.id}/review", {"decision": "accepted"}, admin
    )
    assert reviewed.status_code == 303
    with console.store.session() as s:
        assert s.get(KbSuggestion, row.id).status == "accepted"  # type: ignore[union-attr]


async def test_an_erased_conversation_is_gone_from_the_console(console: Console) -> None:
    conversation_id, _ = await claimed(console)
    console.store.delete_person(conversation_id)
    assert (await console.client.get(f"/console/conversations/{conversation_id}")).status_code == 404
