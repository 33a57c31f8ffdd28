"""`neuvo telegram webhook set|delete|info`: point Telegram at this service, or take the webhook away."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from telegram import Bot
from telegram.error import TelegramError

from bot.config import ConfigError
from channels.settings import ChannelSettings
from channels.telegram.adapter import WEBHOOK_PATH
from channels.telegram.client import ALLOWED_UPDATES, describe, make_bot, protect_logs

EXIT_OK, EXIT_FAILED = 0, 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `telegram webhook set|delete|info` to a command line's subcommands."""
    telegram = subparsers.add_parser("telegram", help="the Telegram bot")
    commands = telegram.add_subparsers(dest="telegram_command", required=True)
    webhook = commands.add_parser("webhook", help="Telegram's webhook for this bot").add_subparsers(
        dest="webhook_command", required=True
    )
    p = webhook.add_parser(
        "set",
        help=f"send updates to PUBLIC_BASE_URL{WEBHOOK_PATH}, signed with TELEGRAM_WEBHOOK_SECRET",
    )
    p.add_argument("--drop-pending-updates", action="store_true", help="discard updates not yet delivered")
    p.set_defaults(func=cmd_webhook_set)
    p = webhook.add_parser("delete", help="stop webhook delivery (the app then uses long polling)")
    p.add_argument("--drop-pending-updates", action="store_true", help="discard updates not yet delivered")
    p.set_defaults(func=cmd_webhook_delete)
    p = webhook.add_parser("info", help="what Telegram knows about the webhook (never the secret)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_webhook_info)


def webhook_url(settings: ChannelSettings) -> str:
    """The public address Telegram should post updates to; Telegram only posts to https."""
    if not settings.public_base_url:
        raise ConfigError(f"PUBLIC_BASE_URL: needed to tell Telegram where {WEBHOOK_PATH} is")
    if not settings.public_base_url.startswith("https://"):
        raise ConfigError("PUBLIC_BASE_URL: Telegram only delivers webhooks to https:// addresses")
    return settings.public_base_url + WEBHOOK_PATH


def cmd_webhook_set(args: argparse.Namespace) -> int:
    settings = _settings()
    url = webhook_url(settings)
    if not settings.telegram_webhook_secret:
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET: needed so the app can tell Telegram's requests from others"
        )

    async def run(bot: Bot) -> None:
        await bot.set_webhook(
            url=url,
            secret_token=settings.telegram_webhook_secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=args.drop_pending_updates,
        )

    return _run(settings, run, f"webhook set: {url}")


def cmd_webhook_delete(args: argparse.Namespace) -> int:
    settings = _settings()

    async def run(bot: Bot) -> None:
        await bot.delete_webhook(drop_pending_updates=args.drop_pending_updates)

    return _run(settings, run, "webhook deleted: the app receives updates by long polling")


def cmd_webhook_info(args: argparse.Namespace) -> int:
    settings = _settings()
    info: dict[str, Any] = {}

    async def run(bot: Bot) -> None:
        webhook = await bot.get_webhook_info()
        info.update(
            url=_without_query(webhook.url) or None,
            pending_update_count=webhook.pending_update_count,
            allowed_updates=list(webhook.allowed_updates or []),
            max_connections=webhook.max_connections,
            ip_address=webhook.ip_address,
            last_error_date=webhook.last_error_date.isoformat() if webhook.last_error_date else None,
            last_error_message=webhook.last_error_message,
        )

    status = _run(settings, run, None)
    if status == EXIT_OK:
        if args.json:
            print(json.dumps(info, indent=2))
        else:
            for key, value in info.items():
                shown = ", ".join(value) if isinstance(value, list) else value
                print(f"{key}: {'-' if shown in (None, '') else shown}")
    return status


def _settings() -> ChannelSettings:
    settings = ChannelSettings.from_env()
    if not settings.telegram_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN: not set")
    return settings


def _run(settings: ChannelSettings, work: Callable[[Bot], Awaitable[None]], done: str | None) -> int:
    protect_logs()

    async def main() -> None:
        client = make_bot(settings.telegram_token, settings.telegram_api_base_url)
        try:
            await client.bot.initialize()
            await work(client.bot)
        finally:
            await client.aclose()

    try:
        asyncio.run(main())
    except TelegramError as exc:
        print(f"error: the Bot API refused: {describe(exc)}", file=sys.stderr)
        return EXIT_FAILED
    if done:
        print(done)
    return EXIT_OK


def _without_query(url: str) -> str:
    """A webhook URL without query or fragment: some set-ups put a secret there."""
    if not url:
        return ""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
