"""A reply for a caller after the call (an advisor's answer) reaches them by SMS, or fails loudly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.dialogue.responses import BotMessage
from bot.storage.store import conversation_id_for
from channels.base import DeliveryFailed, Outgoing
from channels.twilio.voice_output import VoiceOutput
from tests.channels.twilio.voice_call import CALLER, voice_line

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _reply(conversation_id: str = "") -> Outgoing:
    return Outgoing([BotMessage("Your residence permit decision is ready.")], "ar", conversation_id)


async def test_a_reply_to_a_caller_is_texted_to_the_number_that_called(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        assert await line.app.state.hub.deliver("voice", CALLER, _reply())
        assert line.sms.sent == [(CALLER, _reply())]


async def test_without_an_sms_output_the_reply_fails_and_becomes_one_escalation(tmp_path: Path) -> None:
    async with voice_line(tmp_path, with_sms=False) as line:
        conversation_id = conversation_id_for("voice", CALLER)
        assert not await line.app.state.hub.deliver("voice", CALLER, _reply(conversation_id))
        [escalation] = line.store.escalations()
        assert (escalation.reason, escalation.channel) == ("delivery_failed", "voice")


async def test_a_refused_text_message_becomes_one_escalation_not_two(tmp_path: Path) -> None:
    async with voice_line(tmp_path) as line:
        line.sms.refuse = True
        conversation_id = conversation_id_for("voice", CALLER)
        assert not await line.app.state.hub.deliver("voice", CALLER, _reply(conversation_id))
        assert len(line.store.escalations()) == 1


@pytest.mark.parametrize("recipient", ["anonymous", "hidden:CA123", "+1", "0401112222"])
async def test_a_hidden_or_malformed_number_cannot_be_texted(recipient: str) -> None:
    with pytest.raises(DeliveryFailed):
        await VoiceOutput().send(recipient, _reply())


async def test_an_output_not_yet_started_fails_instead_of_dropping_the_reply() -> None:
    with pytest.raises(DeliveryFailed):
        await VoiceOutput().send(CALLER, _reply())


def test_the_line_is_on_only_with_twilio_credentials() -> None:
    from bot.config import REPO_ROOT
    from bot.dialogue.responses import ResponseCatalog
    from channels.registry import CHANNELS
    from channels.settings import ChannelSettings
    from channels.twilio.voice import VoiceChannel

    responses = ResponseCatalog.load(REPO_ROOT / "domain.yml")
    assert CHANNELS["voice"](ChannelSettings(), responses) is None
    settings = ChannelSettings(
        public_base_url="https://neuvo.example.fi", twilio_account_sid="AC1", twilio_auth_token="t"
    )
    channel = CHANNELS["voice"](settings, responses)
    assert isinstance(channel, VoiceChannel)
    assert channel.name == channel.output.name == "voice"
    assert {route.path for route in channel.router().routes} == {  # type: ignore[attr-defined]
        "/webhooks/twilio/voice",
        *(
            f"/webhooks/twilio/voice/{step}"
            for step in ("language", "question", "offer", "person", "recording")
        ),
    }
