"""Commands every channel shares: /start, /privacy, /delete, LINK codes, numbered options, advisor hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.conversation.commands import Command, parse_command
from bot.conversation.messages import InboundMessage, MessageKind
from tests.fakes import FakeDialogue, running_app

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(
    ("text", "command", "argument"),
    [
        ("/start", Command.START, ""),
        ("/start@NeuvoBot", Command.START, ""),
        ("/delete", Command.DELETE, ""),
        ("/privacy", Command.PRIVACY, ""),
        ("/human", Command.HUMAN, ""),
        ("LINK", Command.LINK, ""),
        ("link 123456", Command.LINK, "123456"),
        ("/link 654321", Command.LINK, "654321"),
    ],
)
def test_commands_are_recognised(text: str, command: Command, argument: str) -> None:
    parsed = parse_command(text)
    assert parsed is not None
    assert (parsed.command, parsed.argument) == (command, argument)


@pytest.mark.parametrize("text", ["linking my accounts?", "/unknown", "start", "link 12", "delete my visa"])
def test_ordinary_messages_are_not_commands(text: str) -> None:
    assert parse_command(text) is None


async def test_start_sends_privacy_notice_and_language_picker_in_the_chosen_language(tmp_path: Path) -> None:
    async with running_app(tmp_path, FakeDialogue()) as (app, _client):
        result = await app.state.engine.handle(InboundMessage("s1", "/start", "web", language="uk"))
        render = app.state.responses.render
        assert [r.text for r in result.replies] == [
            render("utter_privacy_notice", "uk").text,
            render("utter_choose_language", "uk").text,
        ]
        assert len(result.replies[1].buttons) == 8


async def test_delete_asks_first_then_erases_everything_including_the_dialogue_state(
    tmp_path: Path, database_url: str
) -> None:
    dialogue = FakeDialogue()
    async with running_app(tmp_path, dialogue, database_url) as (app, _client):
        engine, store = app.state.engine, app.state.store
        first = await engine.handle(InboundMessage("s1", "hello there my friend", "web"))
        store.add_escalation(
            first.conversation_id,
            reason="user_request",
            language="en",
            summary="x",
            contact=None,
            transcript=[],
        )
        ask = await engine.handle(InboundMessage("s1", "/delete", "web"))
        assert [b.payload for b in ask.replies[0].buttons] == ["/delete_confirm", "/delete_cancel"]
        assert store.count_messages() == 4  # nothing erased before the person confirms
        done = await engine.handle(InboundMessage("s1", "/delete_confirm", "web"))
        assert done.replies[0].text == app.state.responses.render("utter_deleted", "en").text
        assert store.count_messages() == 0
        assert store.escalations() == []
        assert store.get_conversation(first.conversation_id) is None
        assert store.identities(first.conversation_id) == []
        assert dialogue.forgotten == [first.conversation_id]


async def test_delete_cancel_keeps_the_data(tmp_path: Path) -> None:
    async with running_app(tmp_path, FakeDialogue()) as (app, _client):
        await app.state.engine.handle(InboundMessage("s1", "hello there my friend", "web"))
        result = await app.state.engine.handle(InboundMessage("s1", "/delete_cancel", "web"))
        assert result.replies[0].text == app.state.responses.render("utter_delete_cancelled", "en").text
        assert app.state.store.count_messages() == 4


async def test_a_link_code_joins_a_second_channel_to_one_history(tmp_path: Path) -> None:
    dialogue = FakeDialogue()
    async with running_app(tmp_path, dialogue) as (app, _client):
        engine, store = app.state.engine, app.state.store
        sms = await engine.handle(
            InboundMessage("+358401234567", "hei tarvitsen apua verokortin kanssa", "sms")
        )
        before = await engine.handle(InboundMessage("777", "hello from telegram before linking", "telegram"))
        assert before.conversation_id != sms.conversation_id
        code_turn = await engine.handle(InboundMessage("+358401234567", "LINK", "sms"))
        code = re.search(r"\b\d{6}\b", code_turn.replies[0].text).group(0)  # type: ignore[union-attr]
        linked = await engine.handle(InboundMessage("777", f"/link {code}", "telegram"))
        assert linked.conversation_id == sms.conversation_id
        assert linked.replies[0].text == app.state.responses.render("utter_linked", "fi").text
        after = await engine.handle(InboundMessage("777", "and one more question please", "telegram"))
        assert after.conversation_id == sms.conversation_id
        assert dialogue.seen[-1][0] == sms.conversation_id  # Rasa sees one conversation too
        history = [
            (m.channel, m.text) for m in store.message_records(sms.conversation_id) if m.direction == "in"
        ]
        assert ("sms", "hei tarvitsen apua verokortin kanssa") in history
        assert ("telegram", "hello from telegram before linking") in history  # moved into the one history
        assert history[-1] == ("telegram", "and one more question please")
        assert {c for c, _ in store.identities(sms.conversation_id)} == {"sms", "telegram"}
        # A code is spent once used.
        again = await engine.handle(InboundMessage("888", f"LINK {code}", "telegram"))
        assert again.replies[0].text == app.state.responses.render("utter_link_invalid", "en").text


async def test_numbered_reply_picks_the_button_offered_last(tmp_path: Path) -> None:
    dialogue = FakeDialogue()
    async with running_app(tmp_path, dialogue) as (app, _client):
        await app.state.engine.handle(InboundMessage("s1", "/delete", "sms"))
        result = await app.state.engine.handle(InboundMessage("s1", "2", "sms"))
        assert result.replies[0].text == app.state.responses.render("utter_delete_cancelled", "en").text
        # With no buttons pending, a bare number is an ordinary message for the dialogue.
        await app.state.engine.handle(InboundMessage("s1", "2", "sms"))
        assert dialogue.seen[-1][1] == "2"


async def test_non_text_gets_a_hint_in_the_users_language(tmp_path: Path) -> None:
    async with running_app(tmp_path, FakeDialogue()) as (app, _client):
        engine = app.state.engine
        await engine.handle(InboundMessage("s1", "/language fi", "web"))
        result = await engine.handle(
            InboundMessage("s1", "", "web", kind=MessageKind.PHOTO, media_ref="file-1")
        )
        assert result.replies[0].text == app.state.responses.render("utter_non_text", "fi").text


async def test_while_an_advisor_holds_the_conversation_the_bot_stays_quiet(tmp_path: Path) -> None:
    dialogue = FakeDialogue()
    async with running_app(tmp_path, dialogue) as (app, _client):
        engine, store = app.state.engine, app.state.store
        first = await engine.handle(InboundMessage("s1", "hello there my friend", "web"))
        store.assign(first.conversation_id, "advisor-1")
        sent_before = len(dialogue.seen)
        text = await engine.handle(InboundMessage("s1", "are you there?", "web"))
        voice = await engine.handle(
            InboundMessage("s1", "", "web", kind=MessageKind.VOICE_NOTE, media_ref="voice-file-9")
        )
        assert text.replies == [] and text.held_by_advisor
        assert voice.replies == [] and voice.held_by_advisor
        assert len(dialogue.seen) == sent_before
        last = store.message_records(first.conversation_id)[-1]
        assert (last.direction, last.kind, last.media_ref) == ("in", "voice_note", "voice-file-9")
        store.assign(first.conversation_id, None)
        back = await engine.handle(InboundMessage("s1", "thanks, one more thing", "web"))
        assert back.replies and not back.held_by_advisor


async def test_a_platform_language_hint_speaks_for_a_first_time_user(tmp_path: Path) -> None:
    async with running_app(tmp_path, FakeDialogue()) as (app, _client):
        engine, render = app.state.engine, app.state.responses.render
        first = await engine.handle(
            InboundMessage("s1", "/start", "telegram", metadata={"language_hint": "uk"})
        )
        assert first.replies[0].text == render("utter_privacy_notice", "uk").text
        # A person's explicit choice wins over the hint.
        await engine.handle(
            InboundMessage("s1", "/language fi", "telegram", metadata={"language_hint": "uk"})
        )
        again = await engine.handle(
            InboundMessage("s1", "/privacy", "telegram", metadata={"language_hint": "uk"})
        )
        assert again.replies[0].text == render("utter_privacy", "fi").text
