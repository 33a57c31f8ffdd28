"""Messages that tell of danger get emergency information at once and an urgent escalation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.messages import InboundMessage
from bot.conversation.safety import signals_danger
from tests.fakes import FakeDialogue, running_app

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to live anymore, I want to die",
        "my husband beats me when he is drunk",
        "mieheni hakkaa minua ja pelkään",
        "jag vill ta livet av mig",
        "муж бьет меня каждый день",
        "я не хочу жити, хочу померти",
        "زوجي يضربني كل يوم",
        "ninkaygu wuu i garaacaa",
        "شوهرم کتکم میزند",
    ],
)
def test_danger_is_recognised_in_every_language(text: str) -> None:
    assert signals_danger(text)


@pytest.mark.parametrize(
    "text",
    [
        "what does Finnish law say about domestic violence",
        "how do I renew my residence permit",
        "rapeseed oil is cheap in Lidl",
        "kuinka haen kotikuntaa",
        "hit the road jack",
    ],
)
def test_ordinary_questions_are_not_flagged(text: str) -> None:
    assert not signals_danger(text)


async def test_danger_gets_emergency_info_and_an_urgent_escalation(tmp_path: Path) -> None:
    dialogue = FakeDialogue()
    async with running_app(tmp_path, dialogue) as (app, _client):
        await app.state.engine.handle(InboundMessage("s1", "/language fi", "web"))
        result = await app.state.engine.handle(InboundMessage("s1", "mieheni lyö minua, mitä teen", "web"))
        assert result.replies[0].text == app.state.responses.render("utter_safety_emergency", "fi").text
        assert "112" in result.replies[0].text
        assert result.escalated
        [escalation] = app.state.store.escalations(result.conversation_id)
        assert (escalation.reason, escalation.urgent) == ("safety", True)
        assert escalation.transcript[-1]["text"] == "mieheni lyö minua, mitä teen"
        assert all("lyö" not in seen[1] for seen in dialogue.seen)  # answered at once, not via the dialogue
