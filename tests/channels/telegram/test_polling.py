"""Long polling (no webhook secret): updates from getUpdates are answered, outages are waited out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.launcher import free_port
from channels.telegram.client import ALLOWED_UPDATES
from tests.channels.telegram.harness import telegram_app
from tests.fakes_telegram import FakeBotApi, callback_update, text_update

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

CHAT = 42_000_001


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_queued_updates_are_answered_in_order_and_confirmed(tmp_path: Path, fake: FakeBotApi) -> None:
    fake.webhook = {"url": "https://old.example.org/hook"}  # left over: polling must remove it first
    fake.queue_update(text_update(CHAT, "first", update_id=100), text_update(CHAT, "second", update_id=101))
    async with telegram_app(tmp_path, fake, secret="") as t:
        await fake.wait_for(lambda f: len(f.sent()) == 2)
        fake.queue_update(
            callback_update(CHAT, '/set_language{"language": "fi"}', update_id=102, query_id="q9")
        )
        await fake.wait_for(lambda f: len(f.sent()) == 3 and len(f.calls("answerCallbackQuery")) == 1)
        await fake.wait_for(lambda f: f.pending_updates() == 0)  # confirmed by the next poll's offset
        await t.settle()
        assert [m["text"] for m in fake.sent()] == [
            "echo: first",
            "echo: second",
            t.text("utter_language_set", "fi"),
        ]
    assert [c.method for c in fake.calls()][:3] == ["getMe", "deleteWebhook", "getUpdates"]
    assert fake.webhook == {}
    polls = fake.calls("getUpdates")
    assert polls[0].params == {"timeout": 1, "allowed_updates": list(ALLOWED_UPDATES)}
    assert [p.params.get("offset") for p in polls][:2] == [None, 102]  # 100 and 101 came in one batch
    assert all(p.status == 200 for p in polls)


async def test_an_update_fetched_twice_is_answered_once(tmp_path: Path, fake: FakeBotApi) -> None:
    fake.queue_update(text_update(CHAT, "hello", update_id=300), text_update(CHAT, "hello", update_id=300))
    async with telegram_app(tmp_path, fake, secret="") as t:
        await fake.wait_for(lambda f: len(f.sent()) >= 1)
        await fake.wait_for(lambda f: f.pending_updates() == 0)  # confirmed: the next poll asked for 301
        await t.settle()
        assert fake.sent() == [{"chat_id": CHAT, "text": "echo: hello"}]


async def test_an_unreadable_update_is_skipped_and_the_next_one_answered(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    bad = text_update(CHAT, "ok", update_id=400)
    bad["message"]["from"]["id"] = "not-a-number"  # PTB passes it on; the channel's check refuses it
    fake.queue_update(bad, text_update(CHAT, "after", update_id=401))
    async with telegram_app(tmp_path, fake, secret="") as t:
        await fake.wait_for(lambda f: len(f.sent()) == 1)
        await t.settle()
        assert fake.sent() == [{"chat_id": CHAT, "text": "echo: after"}]


async def test_an_unreachable_api_does_not_stop_the_app_and_polling_starts_when_it_appears(
    tmp_path: Path,
) -> None:
    port = free_port()  # nothing listens here yet
    fake = FakeBotApi(port=port)
    async with telegram_app(tmp_path, fake, secret="", api_url=f"http://127.0.0.1:{port}") as t:
        await until(lambda: t.channel.connect_failures >= 3)
        assert t.channel.running and not t.channel.connected
        assert (await t.client.get("/healthz")).status_code == 200  # the app serves meanwhile
        with fake:
            fake.queue_update(text_update(CHAT, "are you back?", update_id=500))
            await fake.wait_for(lambda f: len(f.sent()) == 1)
            await t.settle()
            assert t.channel.connected
            assert fake.sent() == [{"chat_id": CHAT, "text": "echo: are you back?"}]


async def test_polling_survives_an_outage_and_continues_where_it_left_off(tmp_path: Path) -> None:
    port = free_port()
    first = FakeBotApi(port=port).start()
    try:
        first.queue_update(text_update(CHAT, "before", update_id=600))
        async with telegram_app(tmp_path, first, secret="") as t:
            await first.wait_for(lambda f: len(f.sent()) == 1)
            first.stop()
            poller = t.channel.poller
            assert poller is not None
            await until(lambda: poller.failures >= 3)
            assert t.channel.running
            with FakeBotApi(port=port) as second:
                second.queue_update(text_update(CHAT, "after", update_id=601))
                await second.wait_for(lambda f: len(f.sent()) == 1)
                await t.settle()
                assert second.sent() == [{"chat_id": CHAT, "text": "echo: after"}]
                assert second.calls("getUpdates")[0].params.get("offset") == 601
                assert poller.failures == 0
    finally:
        first.stop()


async def test_stopping_the_app_ends_a_long_poll_promptly(tmp_path: Path, fake: FakeBotApi) -> None:
    fake.queue_update(text_update(CHAT, "hello", update_id=700))
    async with telegram_app(tmp_path, fake, secret="") as t:
        await fake.wait_for(lambda f: len(f.sent()) == 1 and f.pending_updates() == 0)  # the next poll waits
        started = time.monotonic()
    assert time.monotonic() - started < 0.9  # less than the poll's own timeout: it was cancelled
    assert not t.channel.running
