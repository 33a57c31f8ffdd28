"""Opting in and out of event news in conversation, on a channel that can carry them (Telegram here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.messages import InboundMessage
from bot.roaming import subscriptions
from tests.bot.roaming.apps import roaming_app
from tests.bot.roaming.builders import add_event, at
from tests.fakes_channels import CollectingOutput

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

INTENTS = {
    "mitä tapahtumia on tulossa Laukaassa": "ask_events",
    "Tilaa tapahtumauutiset": "subscribe_events",
    "lopeta tilaus": "unsubscribe_events",
    # the NLU's worst mistake here: "no more news" read as a subscription
    "En halua enää ilmoituksia tapahtumista": "subscribe_events",
}


async def test_opt_in_from_the_events_list_and_out_again(tmp_path: Path) -> None:
    async with roaming_app(tmp_path, INTENTS) as bot:
        telegram = CollectingOutput("telegram")
        hub = bot.app.state.hub
        hub.register_output(telegram)
        add_event(bot.store, "Laukaa", at(4), {"fi": "Kielikahvila", "en": "Language café"})

        async def say(text: str) -> list[str]:
            before = len(telegram.sent)
            await hub.process(InboundMessage(sender_id="555", text=text, channel="telegram", language="fi"))
            return [m.text for _, o in telegram.sent[before:] for m in o.messages]

        listed = await say("mitä tapahtumia on tulossa Laukaassa")
        assert "Kielikahvila" in listed[-1]
        button = telegram.sent[-1][1].messages[-1].buttons
        assert [b.payload for b in button] == [
            "Tilaa tapahtumauutiset"
        ]  # offered on a channel that can carry news
        said = await say("Tilaa tapahtumauutiset")  # pressing it: Laukaa is remembered
        assert said[-1] == bot.text(
            "roaming_subscribed",
            "fi",
            municipality="Laukaa",
            channel=bot.text("roaming_channel_telegram", "fi"),
        )
        (subscriber,) = subscriptions.subscribers(bot.store, ["Laukaa"])
        assert (subscriber.channel, subscriber.language) == ("telegram", "fi")
        again = await say("mitä tapahtumia on tulossa Laukaassa")
        assert not telegram.sent[-1][1].messages[-1].buttons  # already subscribed: no offer
        assert "Kielikahvila" in again[-1]
        said = await say("En halua enää ilmoituksia tapahtumista")
        assert said[-1] == bot.text("roaming_unsubscribed", "fi")
        assert subscriptions.subscribers(bot.store) == []
        said = await say("lopeta tilaus")
        assert said[-1] == bot.text("roaming_not_subscribed", "fi")
