"""`neuvo privacy export|delete|purge`: subject access and erasure requests, and the retention job by hand."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys

from bot.conversation.rasa_client import HttpRasaClient
from bot.privacy.export import export_person
from bot.privacy.retention import erase_person, purge_expired
from bot.settings import AppSettings
from bot.storage.store import ConversationStore


def _find(store: ConversationStore, args: argparse.Namespace) -> str | None:
    if args.conversation:
        return str(args.conversation) if store.get_conversation(args.conversation) else None
    return store.find_conversation(args.channel, args.address)


def _rasa(settings: AppSettings) -> HttpRasaClient | None:
    # Rasa's tracker can be erased only with the running Rasa's token.
    return HttpRasaClient(settings.rasa_url, settings.rasa_token) if settings.rasa_token_given else None


def cmd_export(args: argparse.Namespace) -> int:
    settings = AppSettings.from_env()
    store = ConversationStore(settings.database_url)
    conversation_id = _find(store, args)
    if conversation_id is None:
        print("no data is stored for that person", file=sys.stderr)
        return 1
    json.dump(export_person(store, conversation_id), sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    settings = AppSettings.from_env()
    store = ConversationStore(settings.database_url)
    conversation_id = _find(store, args)
    if conversation_id is None:
        print("no data is stored for that person", file=sys.stderr)
        return 1

    async def run() -> int:
        rasa = _rasa(settings)
        try:
            return await erase_person(store, rasa, conversation_id)
        finally:
            if rasa:
                await rasa.aclose()

    rows = asyncio.run(run())
    print(f"erased: {rows} row(s)")
    if not settings.rasa_token_given:
        print(
            "note: NEUVO_RASA_TOKEN was not set, so Rasa's in-memory tracker was not erased", file=sys.stderr
        )
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    settings = AppSettings.from_env()
    store = ConversationStore(settings.database_url)
    days = args.days or settings.retention_days

    async def run() -> int:
        rasa = _rasa(settings)
        try:
            return await purge_expired(store, rasa, dt.timedelta(days=days), dt.datetime.now(dt.UTC))
        finally:
            if rasa:
                await rasa.aclose()

    print(f"erased {asyncio.run(run())} conversation(s) idle for more than {days} days")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    privacy = sub.add_parser("privacy", help="export or erase one person's data; run the retention job")
    commands = privacy.add_subparsers(dest="privacy_command", required=True)
    for name, func, text in (
        ("export", cmd_export, "print everything stored about one person as JSON"),
        ("delete", cmd_delete, "erase one person's data everywhere (Rasa's tracker too, given its token)"),
    ):
        p = commands.add_parser(name, help=text)
        who = p.add_mutually_exclusive_group(required=True)
        who.add_argument("--conversation", help="the conversation id (as shown in the console)")
        who.add_argument("--address", help="the person's address on --channel: a phone number, a chat id")
        p.add_argument("--channel", default="sms", help="telegram, sms, voice or web (default sms)")
        p.set_defaults(func=func)
    p = commands.add_parser("purge", help="erase conversations idle for longer than the retention period")
    p.add_argument("--days", type=int, help="retention in days (default NEUVO_RETENTION_DAYS or 180)")
    p.set_defaults(func=cmd_purge)
