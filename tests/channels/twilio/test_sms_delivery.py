"""Replies going out by SMS: fitted to the segment limit, numbered options, retries and failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.conversation.rasa_client import RasaTurn
from bot.dialogue.responses import BotMessage, Button, ResponseCatalog
from bot.settings import AppSettings
from bot.storage.store import conversation_id_for
from channels.base import Outgoing
from channels.twilio.output import SmsOutput, idempotency_key
from channels.twilio.segments import segments
from tests.fakes import FakeDialogue
from tests.fakes_twilio import FakeTwilio, fake_twilio, inbound_fields, post_signed, running_sms_app, settle

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

PERSON = "+358403333333"
ENTRY = "tax_card.basics"  # an entry of the tiny knowledge base
LONG_ANSWER = "The tax card tells your employer how much tax to withhold from your pay. " * 20


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


class ScriptedDialogue(FakeDialogue):
    """Answers every message with the given replies, as Rasa does after running the answer action."""

    def __init__(self, replies: list[BotMessage], entry_id: str | None = None) -> None:
        super().__init__()
        self.replies = replies
        self.entry_id = entry_id

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        self.seen.append((conversation_id, text, metadata["language"]))
        if self.entry_id:
            return RasaTurn(
                self.replies,
                "ask_question",
                0.9,
                actions=["action_answer_question"],
                slots={"entry_id": self.entry_id, "confidence": 0.9},
            )
        return RasaTurn(self.replies, "greet", 0.9)


async def test_a_too_long_answer_becomes_its_short_version_and_a_link(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    source = "https://www.infofinland.fi/"
    dialogue = ScriptedDialogue([BotMessage(f"Tax card\n\n{LONG_ANSWER}\n\nSource: {source}")], ENTRY)
    async with running_sms_app(tmp_path, twilio, dialogue, sms_max_segments=3) as (app, client):
        await post_signed(client, inbound_fields("how do i get a tax card", sender=PERSON))
        await settle(app)
        conversation = app.state.store.conversation("sms", PERSON)
        answer = app.state.retriever.answer_for(ENTRY, conversation.language)
        more = app.state.responses.render("utter_more_at", conversation.language, url=source).text
        assert twilio.bodies_to(PERSON) == [f"{answer.short}\n{more}"]
        assert answer.short in twilio.bodies_to(PERSON)[0] and source in twilio.bodies_to(PERSON)[0]


async def test_a_long_reply_without_a_short_version_is_cut_to_the_limit(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    dialogue = ScriptedDialogue([BotMessage(LONG_ANSWER)])
    async with running_sms_app(tmp_path, twilio, dialogue, sms_max_segments=2) as (app, client):
        await post_signed(client, inbound_fields("tell me everything", sender=PERSON))
        await settle(app)
        [body] = twilio.bodies_to(PERSON)
        assert segments(body) <= 2 and body.endswith("...")
        assert LONG_ANSWER.startswith(body.removesuffix("..."))


async def test_buttons_are_numbered_and_a_number_answers_them(tmp_path: Path, twilio: FakeTwilio) -> None:
    question = BotMessage("Did this help?", [Button("Yes", "/feedback_positive"), Button("No", "/deny")])
    dialogue = ScriptedDialogue([BotMessage("Here is the answer."), question])
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        await post_signed(client, inbound_fields("hello there", sender=PERSON))
        await settle(app)
        conversation = app.state.store.conversation("sms", PERSON)
        hint = app.state.responses.render("utter_options_hint", conversation.language).text
        assert twilio.bodies_to(PERSON) == [f"Here is the answer.\n\nDid this help?\n\n{hint}\n1. Yes\n2. No"]
        await post_signed(client, inbound_fields("2", sender=PERSON))
        await settle(app)
        assert dialogue.seen[-1][1] == "/deny"


async def test_parts_too_big_to_join_go_out_in_order_with_their_own_keys(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    first, second = "a" * 150 + " first", "b" * 150 + " second"
    dialogue = ScriptedDialogue([BotMessage(first), BotMessage(second)])
    async with running_sms_app(tmp_path, twilio, dialogue, sms_max_segments=1) as (app, client):
        await post_signed(client, inbound_fields("hello there", sender=PERSON))
        await settle(app)
        sent = [m for m in twilio.sent if m.to == PERSON]
        assert [m.body for m in sent] == [first, second]
        assert len({m.idempotency_token for m in sent}) == 2


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_a_reply_is_delivered_once_after_temporary_failures(
    tmp_path: Path, twilio: FakeTwilio, status: int
) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, client):
        twilio.fail_next(2, status)
        await post_signed(client, inbound_fields("hello there", sender=PERSON))
        await settle(app)
        assert twilio.bodies_to(PERSON) == ["echo: hello there"]
        assert twilio.calls == 3
        assert app.state.store.escalations() == []


async def test_a_lost_answer_from_twilio_does_not_send_the_reply_twice(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, client):
        twilio.fail_next(1, 500, accept_first=True)
        await post_signed(client, inbound_fields("hello there", sender=PERSON))
        await settle(app)
        assert twilio.bodies_to(PERSON) == ["echo: hello there"]
        assert twilio.calls == 2


async def test_a_reply_twilio_refuses_for_good_becomes_an_escalation(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, client):
        twilio.fail_always(400, 21211)
        response = await post_signed(client, inbound_fields("hello there", sender=PERSON))
        assert response.status_code == 200
        await settle(app)
        assert twilio.sent == []
        [escalation] = app.state.store.escalations()
        assert escalation.reason == "delivery_failed"
        assert escalation.conversation_id == conversation_id_for("sms", PERSON)
        assert escalation.channel == "sms"
        assert escalation.transcript == [{"from": "bot", "text": "echo: hello there"}]


async def test_a_reply_that_keeps_failing_becomes_an_escalation(tmp_path: Path, twilio: FakeTwilio) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, client):
        twilio.fail_next(1000, 503)
        await post_signed(client, inbound_fields("hello there", sender=PERSON))
        await settle(app)
        assert [e.reason for e in app.state.store.escalations()] == ["delivery_failed"]


class CollectingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send_sms(self, to: str, body: str, idempotency_key: str) -> str:
        self.sent.append((to, body, idempotency_key))
        return f"SM{len(self.sent)}"


async def test_the_same_turn_sent_again_carries_the_same_keys() -> None:
    responses = ResponseCatalog.load(AppSettings.from_env({}).domain_path)
    sender = CollectingSender()
    output = SmsOutput(sender, responses, max_segments=1)
    outgoing = Outgoing(
        [BotMessage("a" * 150), BotMessage("b" * 150)],
        language="en",
        conversation_id="c1",
        metadata={"turn_id": "SM42"},
    )
    await output.send(PERSON, outgoing)
    await output.send(PERSON, outgoing)
    keys = [key for _, _, key in sender.sent]
    assert keys[:2] == keys[2:] and keys[0] != keys[1]
    assert keys[0] == idempotency_key("c1", "SM42", 0)
    # without a turn id every send is a new turn
    plain = Outgoing([BotMessage("hello")], language="en", conversation_id="c1")
    await output.send(PERSON, plain)
    await output.send(PERSON, plain)
    assert sender.sent[-1][2] != sender.sent[-2][2]


async def test_a_reply_still_being_sent_when_the_app_stops_goes_out(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    async with running_sms_app(tmp_path, twilio) as (_, client):
        twilio.fail_next(2, 503)  # the reply is still retrying when shutdown begins
        await post_signed(client, inbound_fields("hello there", sender=PERSON))
    assert twilio.bodies_to(PERSON) == ["echo: hello there"]
