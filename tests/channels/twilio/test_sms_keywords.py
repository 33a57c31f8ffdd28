"""STOP, START and HELP on SMS: opting out and in, one confirmation each, and nothing sent in between."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.store import conversation_id_for
from channels.twilio.sms_keywords import Keyword, parse_keyword
from tests.fakes import FakeDialogue
from tests.fakes_twilio import FakeTwilio, fake_twilio, inbound_fields, post_signed, running_sms_app, settle

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

PERSON = "+358402222222"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def twilio_server() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


@pytest.fixture
def twilio(twilio_server: FakeTwilio) -> FakeTwilio:
    twilio_server.reset()
    return twilio_server


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("STOP", Keyword.STOP),
        ("  stop \n", Keyword.STOP),
        ("StopAll", Keyword.STOP),
        ("UNSUBSCRIBE", Keyword.STOP),
        ("cancel", Keyword.STOP),
        ("End", Keyword.STOP),
        ("quit", Keyword.STOP),
        ("Lopeta", Keyword.STOP),
        ("SLUTA", Keyword.STOP),
        ("START", Keyword.START),
        ("unstop", Keyword.START),
        ("aloita", Keyword.START),
        ("HELP", Keyword.HELP),
        ("info", Keyword.HELP),
        ("Apua", Keyword.HELP),
        ("HJÄLP", Keyword.HELP),
        ("hjälp", Keyword.HELP),
        ("please stop", None),
        ("stop sending me the bus times", None),
        ("I need help with my tax card", None),
        ("STOP!", None),
        ("yes", None),  # an ordinary answer, unless the number has opted out
    ],
)
def test_only_a_whole_message_is_a_keyword(text: str, keyword: Keyword | None) -> None:
    assert parse_keyword(text) is keyword


def test_yes_opts_back_in_only_an_opted_out_number() -> None:
    assert parse_keyword("YES", opted_out=True) is Keyword.START
    assert parse_keyword("YES", opted_out=False) is None


async def test_stop_confirms_once_then_silence_until_start(tmp_path: Path, twilio: FakeTwilio) -> None:
    dialogue = FakeDialogue()
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        responses, store = app.state.responses, app.state.store
        stopped = [responses.render("utter_sms_stopped", lang).text for lang in ("fi", "en")]

        await post_signed(client, inbound_fields("STOP", sender=PERSON))
        await settle(app)
        assert twilio.bodies_to(PERSON) == ["\n\n".join(stopped)]  # language unknown: Finnish and English
        assert store.is_opted_out("sms", PERSON)

        response = await post_signed(client, inbound_fields("Mistä saan bussikortin?", sender=PERSON))
        assert response.status_code == 200
        await settle(app)
        assert len(twilio.bodies_to(PERSON)) == 1  # no answer while opted out ...
        conversation = conversation_id_for("sms", PERSON)
        assert ("in", "Mistä saan bussikortin?") in store.messages(conversation)  # ... but kept for advisors

        await post_signed(client, inbound_fields("start", sender=PERSON))
        await settle(app)
        # the question showed the person writes Finnish, so the confirmation is in Finnish only
        assert twilio.bodies_to(PERSON)[1:] == [responses.render("utter_sms_started", "fi").text]
        assert not store.is_opted_out("sms", PERSON)

        await post_signed(client, inbound_fields("Mistä saan bussikortin?", sender=PERSON))
        await settle(app)
        assert twilio.bodies_to(PERSON)[2:] == ["echo: Mistä saan bussikortin?"]


async def test_confirmations_use_the_conversation_language_once_known(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, client):
        store = app.state.store
        conversation = store.conversation("sms", PERSON)
        store.set_language(conversation.id, "sv", locked=True)
        await post_signed(client, inbound_fields("sluta", sender=PERSON))
        await settle(app)
        assert twilio.bodies_to(PERSON) == [app.state.responses.render("utter_sms_stopped", "sv").text]


async def test_yes_from_an_opted_out_number_opts_in_and_is_otherwise_an_answer(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    dialogue = FakeDialogue()
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        await post_signed(client, inbound_fields("yes", sender=PERSON))
        await settle(app)
        assert twilio.bodies_to(PERSON) == ["echo: yes"]
        assert [t for _, t, _ in dialogue.seen] == ["yes"]

        await post_signed(client, inbound_fields("STOP", sender=PERSON))
        await post_signed(client, inbound_fields("YES", sender=PERSON))
        await settle(app)
        started = app.state.responses.render("utter_sms_started", "en").text
        assert started in twilio.bodies_to(PERSON)[-1]
        assert not app.state.store.is_opted_out("sms", PERSON)
        assert len(dialogue.seen) == 1  # the second YES went to the keyword, not the dialogue


async def test_help_says_who_we_are_how_to_stop_and_the_emergency_number(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    dialogue = FakeDialogue()
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        await post_signed(client, inbound_fields("HELP", sender=PERSON))
        await settle(app)
        [body] = twilio.bodies_to(PERSON)
        assert "Neuvo" in body and "112" in body and "STOP" in body and "LOPETA" in body
        assert dialogue.seen == []
        assert not app.state.store.is_opted_out("sms", PERSON)


async def test_help_texts_exist_in_every_language_and_name_the_emergency_number(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, _):
        for language in ("fi", "sv", "en", "ru", "uk", "ar", "so", "fa"):
            texts = {
                name: app.state.responses.render(name, language).text
                for name in ("utter_sms_stopped", "utter_sms_started", "utter_sms_help")
            }
            english = {name: app.state.responses.render(name, "en").text for name in texts}
            if language != "en":
                assert texts != english, language  # written, not falling back to English
            assert "112" in texts["utter_sms_help"], language
            assert "START" in texts["utter_sms_stopped"] or "ALOITA" in texts["utter_sms_stopped"], language


async def test_a_redelivered_keyword_is_confirmed_once(tmp_path: Path, twilio: FakeTwilio) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, client):
        fields = inbound_fields("STOP", sender=PERSON, sid="SM" + "c" * 32)
        for _ in range(3):
            assert (await post_signed(client, fields)).status_code == 200
        await settle(app)
        assert len(twilio.bodies_to(PERSON)) == 1
        assert twilio.calls == 1  # handled once, not sent thrice and dropped by Twilio's idempotency check


async def test_twilio_refusing_the_stop_confirmation_is_not_an_escalation(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    # With Twilio's own opt-out handling on, Twilio answers STOP itself and refuses our confirmation.
    async with running_sms_app(tmp_path, twilio) as (app, client):
        twilio.fail_always(400, 21610)
        await post_signed(client, inbound_fields("STOP", sender=PERSON))
        await settle(app)
        assert app.state.store.is_opted_out("sms", PERSON)
        assert app.state.store.escalations() == []


async def test_a_recipient_twilio_knows_as_unsubscribed_is_marked_opted_out(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    # The person sent STOP to Twilio before we ever saw it: Twilio refuses with 21610.
    dialogue = FakeDialogue()
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        twilio.fail_always(400, 21610)
        await post_signed(client, inbound_fields("hello there", sender=PERSON))
        await settle(app)
        assert app.state.store.is_opted_out("sms", PERSON)
        calls = twilio.calls
        twilio.reset()  # Twilio would accept again; we must not send anyway
        await post_signed(client, inbound_fields("are you there", sender=PERSON))
        await settle(app)
        assert twilio.sent == [] and calls == 1
