"""A broadcast reaches only people who opted in; STOP and unsubscribing take effect at once; each channel is
rate-limited."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.conversation.messages import InboundMessage
from bot.roaming import subscriptions
from bot.roaming.broadcast import Broadcaster, EmptyBroadcast, deliveries
from bot.roaming.rate_limit import RateLimiter
from bot.storage.store import conversation_id_for
from channels.base import Outgoing
from tests.bot.roaming.apps import make_dialogue
from tests.fakes_channels import CollectingOutput
from tests.fakes_twilio import FakeTwilio, fake_twilio, inbound_fields, post_signed, running_sms_app, settle

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

TEXTS = {
    "fi": "Kielikahvila torstaina kirjastossa.",
    "en": "Language café on Thursday at the library.",
    "ar": "مقهى اللغة يوم الخميس في المكتبة.",
}


@pytest.fixture(scope="module")
def twilio_server() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


@pytest.fixture
def twilio(twilio_server: FakeTwilio) -> FakeTwilio:
    twilio_server.reset()
    return twilio_server


class FakeClock:
    """A monotonic clock that only moves when something sleeps: the rate limiter's waits are recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


async def test_only_opted_in_people_get_it_and_stop_or_unsubscribe_act_at_once(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    holder: dict[str, object] = {}
    from bot.config import REPO_ROOT

    dialogue = make_dialogue(holder, REPO_ROOT / "domain.yml", {"lopeta tilaus": "unsubscribe_events"})  # type: ignore[arg-type]
    async with running_sms_app(tmp_path, twilio, dialogue) as (app, client):
        holder["app"] = app
        store, hub = app.state.store, app.state.hub
        telegram = CollectingOutput("telegram")
        hub.register_output(telegram)

        def someone(channel: str, address: str, municipality: str | None, language: str) -> str:
            who = store.conversation(channel, address).id
            if municipality:
                subscriptions.subscribe(store, who, municipality, language, channel)
            return who

        tg_fi = someone("telegram", "1001", "Jämsä", "fi")
        sms_ar = someone("sms", "+358401000001", "Jämsä", "ar")
        sms_so = someone("sms", "+358401000002", "Jämsä", "so")  # no Somali text: gets the English one
        someone("telegram", "1002", "Jyväskylä", "en")  # another municipality
        someone("telegram", "1003", None, "fi")  # never opted in
        gone = someone("telegram", "1004", "Jämsä", "fi")
        subscriptions.unsubscribe(store, gone)  # opted out earlier
        someone("sms", "+358401000003", "Jämsä", "fi")
        store.set_opt_out("sms", "+358401000003", True)  # sent STOP earlier

        clock = FakeClock()
        broadcaster = Broadcaster(
            hub, {"telegram": 20, "sms": 1}, sleep=clock.sleep, monotonic=clock.monotonic
        )
        first = await broadcaster.send("admin", ["Jämsä"], TEXTS)
        assert (first.sent, first.skipped, first.failed) == (3, 1, 0)
        assert [(a, o.messages[0].text.split("\n")[0]) for a, o in telegram.sent] == [("1001", TEXTS["fi"])]
        assert twilio.bodies_to("+358401000001")[0].startswith(TEXTS["ar"])
        assert twilio.bodies_to("+358401000002")[0].startswith(TEXTS["en"])
        assert twilio.bodies_to("+358401000003") == []
        assert "lopeta tilaus" in telegram.sent[0][1].messages[0].text  # how to stop, in the same message
        assert sorted(c for c, _, s in deliveries(store, first.id) if s == "sent") == sorted(
            [tg_fi, sms_ar, sms_so]
        )

        # STOP by SMS (the real webhook) and "unsubscribe" in the Telegram chat: both at once
        assert (await post_signed(client, inbound_fields("STOP", sender="+358401000001"))).status_code == 200
        await settle(app)
        await hub.process(InboundMessage(sender_id="1001", text="lopeta tilaus", channel="telegram"))
        assert (
            telegram.sent[-1][1].messages[-1].text
            == app.state.responses.render("roaming_unsubscribed", "fi").text
        )
        before_sms = len(twilio.sent)
        second = await broadcaster.send("admin", ["Jämsä"], TEXTS)
        assert second.sent == 1  # only the Somali subscriber is left
        assert [m.to for m in twilio.sent[before_sms:]] == ["+358401000002"]
        assert len(telegram.sent) == 2  # the unsubscribe confirmation only, no second broadcast


async def test_an_opt_out_during_a_broadcast_is_respected(tmp_path: Path, twilio: FakeTwilio) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, _):
        store, hub = app.state.store, app.state.hub
        people = [store.conversation("sms", f"+35840200000{i}").id for i in range(3)]
        for who in people:
            subscriptions.subscribe(store, who, "Laukaa", "fi", "sms")
        clock = FakeClock()

        async def sleep(seconds: float) -> None:
            await clock.sleep(seconds)
            if len(clock.waits) == 1:  # while the first SMS is paced, the last person opts out
                subscriptions.unsubscribe(store, people[2])

        result = await Broadcaster(hub, {"sms": 1}, sleep=sleep, monotonic=clock.monotonic).send(
            "admin", ["Laukaa"], {"fi": "Uutinen"}
        )
        assert (result.sent, result.skipped) == (2, 1)
        assert twilio.bodies_to("+358402000002") == []


@pytest.mark.parametrize(("channel", "interval"), [("sms", 1.0), ("telegram", 0.05)])
async def test_each_channel_is_paced_at_its_own_rate(
    tmp_path: Path, twilio: FakeTwilio, channel: str, interval: float
) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, _):
        store, hub = app.state.store, app.state.hub
        clock = FakeClock()
        sent_at: list[float] = []

        class TimedOutput(CollectingOutput):
            async def send(self, recipient_id: str, outgoing: Outgoing) -> None:
                sent_at.append(clock.now)
                await super().send(recipient_id, outgoing)

        hub.register_output(TimedOutput(channel))
        for i in range(5):
            who = store.conversation(channel, f"+35840300000{i}").id
            subscriptions.subscribe(store, who, "Muurame", "fi", channel)
        broadcaster = Broadcaster(
            hub, {"sms": 1, "telegram": 20}, sleep=clock.sleep, monotonic=clock.monotonic
        )
        assert (await broadcaster.send("admin", ["Muurame"], {"fi": "Uutinen"})).sent == 5
        gaps = [b - a for a, b in itertools.pairwise(sent_at)]
        assert gaps == pytest.approx([interval] * 4)


async def test_a_limiter_lets_one_through_per_interval() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(3):
        await limiter.wait()
    assert clock.waits == [0.5, 0.5]
    clock.now += 10  # idle for a while: no burst credit, the next one goes at once
    await limiter.wait()
    assert clock.waits == [0.5, 0.5]


async def test_an_empty_broadcast_is_refused(tmp_path: Path, twilio: FakeTwilio) -> None:
    async with running_sms_app(tmp_path, twilio) as (app, _):
        with pytest.raises(EmptyBroadcast):
            await Broadcaster(app.state.hub, {}).send("admin", [], {"fi": "  "})
        assert conversation_id_for("sms", "+358") != ""
