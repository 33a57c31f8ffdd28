"""One person, two channels: a conversation started by SMS continues on Telegram, linked by the person.

Both real adapters run in one app: signed Twilio webhooks in, the fake Twilio REST API out; Telegram webhook
updates in, the fake Bot API (driven by the real python-telegram-bot client) out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app.main import create_app
from bot.config import KnowledgeSettings
from bot.settings import AppSettings
from channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from channels.telegram.client import Timeouts
from tests.channels.telegram.harness import FAST_BACKOFF, FAST_RETRY, SECRET
from tests.fakes import FakeDialogue
from tests.fakes_telegram import FakeBotApi, fake_bot_api, text_update
from tests.fakes_twilio import FakeTwilio, catalog, fake_twilio, inbound_fields, post_signed, sms_channel
from tests.tiny_kb import tiny_retriever

pytestmark = [pytest.mark.unit, pytest.mark.anyio]
PHONE = "+358401234567"
CHAT = 777001


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTwilio, FakeBotApi]]:
    with fake_twilio() as twilio, fake_bot_api() as telegram:
        yield twilio, telegram


async def test_sms_then_telegram_linked_by_the_user_keep_one_history(
    tmp_path: Path, fakes: tuple[FakeTwilio, FakeBotApi]
) -> None:
    twilio, telegram = fakes
    settings = AppSettings.from_env(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "NEUVO_RASA_TOKEN": "test-token"}
    )
    responses = catalog(settings.domain_path)
    telegram_channel = TelegramChannel(
        telegram.token,
        telegram.url,
        responses,
        webhook_secret=SECRET,
        retry=FAST_RETRY,
        backoff=FAST_BACKOFF,
        timeouts=Timeouts(connect=1.0, read=3.0, write=3.0, pool=3.0),
    )
    dialogue = FakeDialogue()
    app = create_app(
        settings,
        KnowledgeSettings.from_env(),
        dialogue=dialogue,
        retriever=tiny_retriever(tmp_path),
        channels=[sms_channel(twilio, responses), telegram_channel],
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://x") as client,
    ):
        hub, store = app.state.hub, app.state.store

        async def telegram_says(text: str) -> None:
            response = await client.post(
                WEBHOOK_PATH, json=text_update(CHAT, text), headers={SECRET_HEADER: SECRET}
            )
            assert response.status_code == 200
            await hub.idle()

        assert (
            await post_signed(client, inbound_fields("hei, kysyn verokortista", PHONE))
        ).status_code == 200
        await hub.idle()
        assert (await post_signed(client, inbound_fields("LINK", PHONE))).status_code == 200
        await hub.idle()
        code_sms = twilio.bodies_to(PHONE)[-1]
        code = re.search(r"\b\d{6}\b", code_sms)
        assert code is not None, code_sms

        await telegram_says(f"/link {code.group(0)}")
        linked_text = responses.render("utter_linked", "fi").text  # the conversation's language
        assert [m["text"] for m in telegram.sent() if m["chat_id"] == CHAT][-1] == linked_text

        await telegram_says("jatkan täällä telegramissa")
        sms_conversation = store.conversation("sms", PHONE)
        assert store.conversation("telegram", str(CHAT)).id == sms_conversation.id
        history = [(m.channel, m.direction, m.text) for m in store.message_records(sms_conversation.id)]
        assert ("sms", "in", "hei, kysyn verokortista") in history
        assert history[-2] == ("telegram", "in", "jatkan täällä telegramissa")
        assert history[-1] == ("telegram", "out", "echo: jatkan täällä telegramissa")
        # Rasa saw one conversation throughout.
        assert {conversation for conversation, _text, _lang in dialogue.seen} == {sms_conversation.id}
        # The reply to the Telegram message went to Telegram, not by SMS.
        assert [m["text"] for m in telegram.sent()][-1] == "echo: jatkan täällä telegramissa"
        assert all("jatkan" not in body for body in twilio.bodies_to(PHONE))
