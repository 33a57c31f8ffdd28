"""HttpRasaClient against fake Rasa servers on loopback: one server as before, and several with failover."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.config import ConfigError
from bot.conversation.rasa_client import HttpRasaClient, RasaUnavailable
from bot.settings import AppSettings
from tests.fakes_rasa import FakeRasaServer, fake_rasa_servers

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

CONVERSATIONS = [f"conversation-{n}" for n in range(24)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def client_for(*servers: FakeRasaServer, timeout: float = 2.0) -> HttpRasaClient:
    return HttpRasaClient(",".join(s.url for s in servers), "test-token", timeout)


async def test_one_server_goes_degraded_at_once_and_back_after_a_check() -> None:
    async with fake_rasa_servers("a") as (a,):
        client = client_for(a)
        assert client.status["url"] == a.url and "instances" not in client.status
        assert await client.check() is True
        turn = await client.send("c1", "hello", {"language": "en"})
        assert [m.text for m in turn.messages] == ["a: hello"] and turn.intent == "greet"
        await a.stop()
        with pytest.raises(RasaUnavailable):
            await client.send("c1", "still there?", {"language": "en"})
        assert client.available is False and client.status["last_error"] == "ConnectError"
        await a.start()
        # Still degraded until a check sees Rasa again: no request goes out meanwhile.
        with pytest.raises(RasaUnavailable):
            await client.send("c1", "and now?", {"language": "en"})
        assert a.received == [("c1", "hello")]
        assert await client.check() is True
        assert [m.text for m in (await client.send("c1", "back", {"language": "en"})).messages] == ["a: back"]
        await client.aclose()


async def test_each_conversation_stays_on_one_server_and_both_get_some() -> None:
    async with fake_rasa_servers("a", "b") as (a, b):
        client = client_for(a, b)
        await client.check()
        for _ in range(3):
            for conversation in CONVERSATIONS:
                await client.send(conversation, "hi", {"language": "en"})
        assert a.senders() and b.senders()
        assert a.senders().isdisjoint(b.senders())
        assert a.senders() | b.senders() == set(CONVERSATIONS)
        # The route does not depend on the order the servers are listed in.
        reversed_client = client_for(b, a)
        await reversed_client.check()
        assert all(reversed_client.route(c)[0] == client.route(c)[0] for c in CONVERSATIONS)
        await client.aclose()
        await reversed_client.aclose()


async def test_a_server_going_down_moves_only_its_conversations(caplog: pytest.LogCaptureFixture) -> None:
    async with fake_rasa_servers("a", "b") as (a, b):
        client = client_for(a, b)
        await client.check()
        on_a = [c for c in CONVERSATIONS if client.route(c)[0] == a.url]
        on_b = [c for c in CONVERSATIONS if client.route(c)[0] == b.url]
        await a.stop()
        caplog.set_level(logging.WARNING)
        turn = await client.send(on_a[0], "hello", {"language": "en"})
        assert [m.text for m in turn.messages] == ["b: hello"]  # failed over, not degraded
        assert client.available is True
        assert "its conversations go to the others" in caplog.text
        instances = {i["url"]: i for i in client.status["instances"]}
        assert instances[a.url]["reachable"] is False and instances[b.url]["reachable"] is True
        for conversation in on_a + on_b:
            await client.send(conversation, "again", {"language": "en"})
        assert b.senders() == set(on_a + on_b)
        await client.aclose()


async def test_the_monitor_brings_a_recovered_server_back_for_its_conversations() -> None:
    async with fake_rasa_servers("a", "b") as (a, b):
        client = client_for(a, b)
        await client.check()
        conversation = next(c for c in CONVERSATIONS if client.route(c)[0] == a.url)
        await a.stop()
        await client.send(conversation, "one", {"language": "en"})
        await a.start()
        monitor = asyncio.create_task(client.monitor(interval_up=0.05, interval_down=0.05))
        try:
            for _ in range(100):
                if client.status["instances"][0]["reachable"]:
                    break
                await asyncio.sleep(0.05)
            turn = await client.send(conversation, "two", {"language": "en"})
        finally:
            monitor.cancel()
        assert [m.text for m in turn.messages] == ["a: two"]
        assert b.received == [(conversation, "one")]
        await client.aclose()


async def test_a_timeout_is_not_sent_twice_and_the_next_message_goes_elsewhere() -> None:
    async with fake_rasa_servers("a", "b") as (a, b):
        client = client_for(a, b, timeout=0.3)
        await client.check()
        conversation = next(c for c in CONVERSATIONS if client.route(c)[0] == a.url)
        a.delay = 1.0
        with pytest.raises(RasaUnavailable, match="timeout"):
            await client.send(conversation, "slow", {"language": "en"})
        assert b.received == []  # a may still handle it: the message is not handled twice
        turn = await client.send(conversation, "next", {"language": "en"})
        assert [m.text for m in turn.messages] == ["b: next"]
        await client.aclose()


async def test_all_servers_down_is_degraded_mode() -> None:
    async with fake_rasa_servers("a", "b") as (a, b):
        client = client_for(a, b)
        await client.check()
        await a.stop()
        await b.stop()
        with pytest.raises(RasaUnavailable):
            await client.send("c1", "hello", {"language": "en"})
        assert client.available is False
        assert await client.check() is False
        assert a.url in client.status["last_error"] and b.url in client.status["last_error"]
        await client.aclose()


async def test_forget_erases_on_every_server_and_fails_only_if_none_took_it() -> None:
    async with fake_rasa_servers("a", "b") as (a, b):
        client = client_for(a, b)
        await client.forget("c1")
        assert a.forgotten == ["c1"] and b.forgotten == ["c1"]
        await a.stop()
        await client.forget("c2")
        assert b.forgotten == ["c1", "c2"]
        await b.stop()
        with pytest.raises(RasaUnavailable):
            await client.forget("c3")
        await client.aclose()


def test_rasa_url_lists_several_servers() -> None:
    settings = AppSettings.from_env({"RASA_URL": " http://10.0.0.5:5005/ ,http://10.0.0.6:5005"})
    assert settings.rasa_urls == ("http://10.0.0.5:5005", "http://10.0.0.6:5005")
    assert settings.rasa_url == "http://10.0.0.5:5005,http://10.0.0.6:5005"
    assert AppSettings.from_env({"RASA_PORT": "5099"}).rasa_urls == ("http://127.0.0.1:5099",)


@pytest.mark.parametrize("value", ["http://a:5005,ftp://b:5005", "http://a:5005,http://a:5005/"])
def test_a_bad_rasa_url_list_names_the_setting(value: str) -> None:
    with pytest.raises(ConfigError, match="RASA_URL"):
        AppSettings.from_env({"RASA_URL": value})
