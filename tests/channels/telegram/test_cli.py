"""`telegram webhook set|info|delete` against the fake Bot API."""

from __future__ import annotations

import argparse
import json

import pytest

from bot.config import ConfigError
from channels.telegram.cli import register
from tests.channels.telegram.harness import SECRET
from tests.fakes_telegram import FakeBotApi

pytestmark = pytest.mark.unit

PUBLIC = "https://neuvo.example.fi"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="neuvo")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.func(args))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, fake: FakeBotApi) -> FakeBotApi:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.url)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC + "/")
    return fake


def test_set_points_telegram_at_the_webhook_with_the_secret(
    env: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("telegram", "webhook", "set") == 0
    [call] = env.calls("setWebhook")
    assert call.params == {
        "url": f"{PUBLIC}/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "edited_message", "callback_query"],
        "drop_pending_updates": False,
    }
    out = capsys.readouterr().out
    assert f"{PUBLIC}/webhooks/telegram" in out
    assert SECRET not in out and env.token not in out


def test_info_shows_the_webhook_without_secrets(env: FakeBotApi, capsys: pytest.CaptureFixture[str]) -> None:
    run("telegram", "webhook", "set")
    capsys.readouterr()
    assert run("telegram", "webhook", "info", "--json") == 0
    info = json.loads(capsys.readouterr().out)
    assert info["url"] == f"{PUBLIC}/webhooks/telegram"
    assert info["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert info["pending_update_count"] == 0
    assert run("telegram", "webhook", "info") == 0
    text = capsys.readouterr().out
    assert f"url: {PUBLIC}/webhooks/telegram" in text
    assert SECRET not in text and env.token not in text and "secret" not in text.lower()


def test_delete_removes_the_webhook(env: FakeBotApi, capsys: pytest.CaptureFixture[str]) -> None:
    run("telegram", "webhook", "set")
    assert env.webhook["url"]
    assert run("telegram", "webhook", "delete", "--drop-pending-updates") == 0
    assert env.webhook == {}
    assert env.calls("deleteWebhook")[0].params == {"drop_pending_updates": True}
    run("telegram", "webhook", "info")
    assert "url: -" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("variable", "value", "names"),
    [
        ("PUBLIC_BASE_URL", "", "PUBLIC_BASE_URL"),
        ("PUBLIC_BASE_URL", "http://neuvo.example.fi", "PUBLIC_BASE_URL"),
        ("TELEGRAM_WEBHOOK_SECRET", "", "TELEGRAM_WEBHOOK_SECRET"),
        ("TELEGRAM_BOT_TOKEN", "", "TELEGRAM_BOT_TOKEN"),
    ],
)
def test_set_refuses_an_incomplete_configuration_naming_the_setting(
    env: FakeBotApi, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, names: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=names):
        run("telegram", "webhook", "set")
    assert env.calls("setWebhook") == []


def test_a_rejected_token_fails_without_printing_it(
    env: FakeBotApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:WRONG_TOKEN_VALUE")
    assert run("telegram", "webhook", "info") == 1
    captured = capsys.readouterr()
    assert "rejected" in captured.err
    assert "WRONG_TOKEN_VALUE" not in captured.err + captured.out
