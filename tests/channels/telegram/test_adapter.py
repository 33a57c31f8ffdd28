"""Building the channel from the environment, and what it tells the operator at start."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.dialogue.responses import ResponseCatalog
from channels.registry import build_channels
from channels.settings import ChannelSettings
from channels.telegram.adapter import TelegramChannel
from channels.telegram.client import RedactBotToken
from tests.channels.telegram.harness import telegram_app
from tests.fakes_telegram import FakeBotApi

RESPONSES = ResponseCatalog.load(REPO_ROOT / "domain.yml")


@pytest.mark.unit
def test_without_a_token_the_channel_is_off() -> None:
    assert TelegramChannel.from_settings(ChannelSettings(), RESPONSES) is None
    assert build_channels(ChannelSettings(), RESPONSES) == []


@pytest.mark.unit
@pytest.mark.anyio
async def test_the_secret_decides_between_webhook_and_polling() -> None:
    env = {"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9"}
    polling = TelegramChannel.from_settings(ChannelSettings.from_env(env), RESPONSES)
    webhook = TelegramChannel.from_settings(
        ChannelSettings.from_env({**env, "TELEGRAM_WEBHOOK_SECRET": "s3cret"}), RESPONSES
    )
    assert polling is not None and webhook is not None
    assert (polling.mode, polling.poller is not None) == ("polling", True)
    assert (webhook.mode, webhook.poller is None) == ("webhook", True)
    assert [c.name for c in build_channels(ChannelSettings.from_env(env), RESPONSES)] == ["telegram"]
    for channel in (polling, webhook):
        await channel.client.aclose()


@pytest.mark.unit
def test_bot_tokens_in_logged_urls_are_redacted() -> None:
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        "",
        0,
        "HTTP Request: %s %s",
        ("POST", "https://api.telegram.org/bot1:SECRET/getMe"),
        None,
    )
    RedactBotToken().filter(record)
    assert record.getMessage() == "HTTP Request: POST https://api.telegram.org/bot<redacted>/getMe"


@pytest.mark.unit
@pytest.mark.anyio
async def test_webhook_mode_warns_when_telegram_has_no_webhook_for_it(
    tmp_path: Path, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    async with telegram_app(tmp_path, fake):
        await fake.wait_for(lambda f: bool(f.calls("getWebhookInfo")))
        await fake.wait_for(lambda f: "no webhook is set" in caplog.text)
