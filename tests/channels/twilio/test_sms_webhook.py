"""The SMS webhook as Twilio calls it: signatures, redelivery, malformed requests and MMS."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.languages import FALLBACK_LANGUAGE
from bot.storage.store import conversation_id_for
from channels.twilio.signature import sign
from tests.fakes import FakeDialogue
from tests.fakes_twilio import (
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SMS_URL,
    FakeTwilio,
    fake_twilio,
    inbound_fields,
    post_signed,
    running_sms_app,
    settle,
)

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

PERSON = "+358401111111"


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


def nothing_kept(app: Any, sender: str = PERSON) -> bool:
    store = app.state.store
    conversation = conversation_id_for("sms", sender)
    return (
        store.count_messages() == 0
        and store.get_conversation(conversation) is None
        and store.identities(conversation) == []
    )


async def test_a_text_is_answered_by_sms_and_the_webhook_returns_empty_twiml(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    dialogue = FakeDialogue()
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        response = await post_signed(client, inbound_fields("Mistä saan verokortin?"))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/xml")
        assert response.text.endswith("<Response/>")
        await settle(app)
        assert twilio.bodies_to(PERSON) == ["echo: Mistä saan verokortin?"]
        assert [t for _, t, _ in dialogue.seen] == ["Mistä saan verokortin?"]
        conversation = conversation_id_for("sms", PERSON)
        assert app.state.store.messages(conversation) == [
            ("in", "Mistä saan verokortin?"),
            ("out", "echo: Mistä saan verokortin?"),
        ]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": ""},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
    ],
    ids=["unsigned", "empty signature", "garbage signature"],
)
async def test_unsigned_or_wrongly_signed_requests_are_refused_and_leave_no_trace(
    tmp_path: Path, twilio: FakeTwilio, headers: dict[str, str]
) -> None:
    dialogue = FakeDialogue()
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        response = await client.post(
            "/webhooks/twilio/sms", data=inbound_fields("hello there"), headers=headers
        )
        assert response.status_code == 403
        await settle(app)
        assert nothing_kept(app)
        assert dialogue.seen == [] and twilio.sent == [] and twilio.calls == 0


@pytest.mark.parametrize(
    ("url", "token"),
    [
        (SMS_URL, "another-accounts-token"),
        ("https://evil.example.com/webhooks/twilio/sms", AUTH_TOKEN),  # another host
        (f"{PUBLIC_BASE_URL}/webhooks/twilio/voice", AUTH_TOKEN),  # another path of ours
        ("http://neuvo.example.fi/webhooks/twilio/sms", AUTH_TOKEN),  # http, not https
        (f"{SMS_URL}?x=1", AUTH_TOKEN),  # another query
    ],
    ids=["other token", "other host", "other path", "other scheme", "other query"],
)
async def test_a_signature_for_another_url_or_token_is_refused(
    tmp_path: Path, twilio: FakeTwilio, url: str, token: str
) -> None:
    dialogue = FakeDialogue()
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        response = await post_signed(client, inbound_fields("hello there"), url=url, token=token)
        assert response.status_code == 403
        await settle(app)
        assert nothing_kept(app)
        assert dialogue.seen == [] and twilio.sent == []


async def test_changed_fields_break_the_signature(tmp_path: Path, twilio: FakeTwilio) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, client):
        fields = inbound_fields("hello there")
        signature = sign(AUTH_TOKEN, SMS_URL, fields)
        forged = fields | {"From": "+358409999999"}
        response = await client.post(
            "/webhooks/twilio/sms", data=forged, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 403
        await settle(app)
        assert nothing_kept(app, "+358409999999") and nothing_kept(app)
        assert twilio.sent == []


async def test_the_same_message_delivered_three_times_is_answered_once(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    dialogue = FakeDialogue()
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        fields = inbound_fields("Paljonko bussilippu maksaa?", sid="SM" + "a" * 32)
        for _ in range(3):
            response = await post_signed(client, fields)
            assert response.status_code == 200
        await settle(app)
        assert twilio.bodies_to(PERSON) == ["echo: Paljonko bussilippu maksaa?"]
        assert len(dialogue.seen) == 1
        assert app.state.store.count_messages() == 2  # one in, one out


async def test_concurrent_redeliveries_are_answered_once(tmp_path: Path, twilio: FakeTwilio) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, client):
        fields = inbound_fields("hello there", sid="SM" + "b" * 32)
        responses = await asyncio.gather(*(post_signed(client, fields) for _ in range(3)))
        assert {r.status_code for r in responses} == {200}
        await settle(app)
        assert twilio.bodies_to(PERSON) == ["echo: hello there"]


@pytest.mark.parametrize("missing", ["MessageSid", "From", "Body"])
async def test_a_signed_request_without_a_required_field_is_refused_naming_it(
    tmp_path: Path, twilio: FakeTwilio, missing: str
) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, client):
        fields = inbound_fields("hello there")
        del fields[missing]
        response = await post_signed(client, fields)
        assert response.status_code == 400
        assert missing in response.json()["detail"]
        await settle(app)
        assert nothing_kept(app)
        assert twilio.sent == []


@pytest.mark.parametrize("empty", ["MessageSid", "From"])
async def test_an_empty_sender_or_message_id_is_refused(
    tmp_path: Path, twilio: FakeTwilio, empty: str
) -> None:
    async with running_sms_app(tmp_path, twilio) as (_, client):
        response = await post_signed(client, inbound_fields("hello there") | {empty: " "})
        assert response.status_code == 400
        assert empty in response.json()["detail"]


async def test_malformed_requests_are_refused_and_the_next_valid_one_works(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, client):
        # a 1 MB body, signed as if real
        huge = inbound_fields("x" * 1_000_000)
        response = await post_signed(client, huge)
        assert response.status_code == 413
        # invalid UTF-8
        signature = sign(AUTH_TOKEN, SMS_URL, {})
        response = await client.post(
            "/webhooks/twilio/sms",
            content=b"MessageSid=SM1&From=%2B358401111111&Body=\xff\xfe",
            headers={"X-Twilio-Signature": signature, "content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 400
        # not a form at all
        response = await client.post(
            "/webhooks/twilio/sms",
            content=b'{"Body": "hello", "From": "+358401111111"}',
            headers={"X-Twilio-Signature": signature, "content-type": "application/json"},
        )
        assert response.status_code == 400
        # a non-numeric NumMedia
        response = await post_signed(client, inbound_fields("hello there", NumMedia="many"))
        assert response.status_code == 400
        await settle(app)
        assert nothing_kept(app)
        assert twilio.sent == []

        response = await post_signed(client, inbound_fields("hello there"))
        assert response.status_code == 200
        await settle(app)
        assert twilio.bodies_to(PERSON) == ["echo: hello there"]


async def test_a_picture_without_text_is_kept_for_an_advisor_and_answered_with_a_hint(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    media = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"
    dialogue = FakeDialogue()
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        fields = inbound_fields("", NumMedia="1", MediaUrl0=media, MediaContentType0="image/jpeg")
        response = await post_signed(client, fields)
        assert response.status_code == 200
        await settle(app)
        records = app.state.store.message_records(conversation_id_for("sms", PERSON))
        assert (records[0].direction, records[0].kind, records[0].media_ref) == ("in", "photo", media)
        hint = app.state.responses.render("utter_non_text", FALLBACK_LANGUAGE).text
        assert twilio.bodies_to(PERSON) == [hint]
        assert dialogue.seen == []


async def test_a_picture_with_text_is_answered_as_text(tmp_path: Path, twilio: FakeTwilio) -> None:
    media = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM2/Media/ME2"
    async with running_sms_app(tmp_path, twilio) as (app, client):
        fields = inbound_fields(
            "what is this letter", NumMedia="1", MediaUrl0=media, MediaContentType0="image/png"
        )
        await post_signed(client, fields)
        await settle(app)
        records = app.state.store.message_records(conversation_id_for("sms", PERSON))
        assert (records[0].kind, records[0].media_ref) == ("text", media)
        assert twilio.bodies_to(PERSON) == ["echo: what is this letter"]
