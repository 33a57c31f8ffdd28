"""`neuvo twilio number configure|show +358...`: point the account's number at this service, or check it.

`configure` sets the number's SmsUrl to PUBLIC_BASE_URL/webhooks/twilio/sms and its VoiceUrl to
PUBLIC_BASE_URL/webhooks/twilio/voice, both POST, through Twilio's REST API (TWILIO_API_BASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Awaitable, Callable

from bot.config import ConfigError
from channels.settings import ChannelSettings
from channels.twilio.rest import PhoneNumber, TwilioApiError, TwilioRestClient, TwilioUnreachable

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
SMS_PATH = "/webhooks/twilio/sms"
VOICE_PATH = "/webhooks/twilio/voice"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class CliError(Exception):
    """A problem to print for the operator, with the exit code to return."""

    def __init__(self, message: str, exit_code: int = EXIT_PROBLEMS) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `twilio number configure|show` to the `neuvo` command line."""
    twilio = subparsers.add_parser("twilio", help="the Twilio phone number (SMS and voice)")
    commands = twilio.add_subparsers(dest="twilio_command", required=True)
    number = commands.add_parser("number", help="the account's phone number")
    actions = number.add_subparsers(dest="number_command", required=True)
    p = actions.add_parser(
        "configure", help="point the number's SMS and voice webhooks at PUBLIC_BASE_URL (both POST)"
    )
    p.add_argument("phone_number", help="the number in E.164 form, e.g. +358401234567")
    p.add_argument("--status-callback", metavar="PATH", help="also set the call status callback to this path")
    p.set_defaults(func=cmd_configure)
    p = actions.add_parser("show", help="where the number's SMS and calls go now")
    p.add_argument("phone_number", help="the number in E.164 form, e.g. +358401234567")
    p.set_defaults(func=cmd_show)


def cmd_configure(args: argparse.Namespace) -> int:
    return _run(
        lambda settings, client: _configure(settings, client, args.phone_number, args.status_callback)
    )


def cmd_show(args: argparse.Namespace) -> int:
    return _run(lambda settings, client: _show(settings, client, args.phone_number))


def _run(work: Callable[[ChannelSettings, TwilioRestClient], Awaitable[str]]) -> int:
    """Settings and client for one command; errors become a message on stderr and an exit code."""
    try:
        settings = _settings()
        output = asyncio.run(_with_client(settings, work))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(output)
    return EXIT_OK


def _settings() -> ChannelSettings:
    try:
        settings = ChannelSettings.from_env()
    except ConfigError as exc:
        raise CliError(f"configuration: {exc}", EXIT_USAGE) from exc
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        raise CliError("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the Twilio account's)", EXIT_USAGE)
    return settings


async def _with_client(
    settings: ChannelSettings, work: Callable[[ChannelSettings, TwilioRestClient], Awaitable[str]]
) -> str:
    client = TwilioRestClient(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_phone_number,
        settings.twilio_api_base_url,
    )
    try:
        return await work(settings, client)
    except TwilioApiError as exc:
        if exc.status in (401, 403):
            raise CliError(
                f"Twilio refused the credentials ({exc}): check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
            ) from exc
        raise CliError(f"{exc}: {exc.detail}" if exc.detail else str(exc)) from exc
    except TwilioUnreachable as exc:
        raise CliError(f"{exc} at {settings.twilio_api_base_url}") from exc
    finally:
        await client.aclose()


async def _number(client: TwilioRestClient, phone_number: str) -> PhoneNumber:
    if not _E164.match(phone_number):
        raise CliError(f"{phone_number!r} is not an E.164 number like +358401234567", EXIT_USAGE)
    number = await client.find_number(phone_number)
    if number is None:
        raise CliError(f"{phone_number} is not a number on this Twilio account (TWILIO_ACCOUNT_SID)")
    return number


async def _configure(
    settings: ChannelSettings, client: TwilioRestClient, phone_number: str, status_path: str | None
) -> str:
    number = await _number(client, phone_number)
    base = settings.public_base_url
    status_callback = f"{base}/{status_path.lstrip('/')}" if status_path else None
    updated = await client.update_number_webhooks(
        number.sid, f"{base}{SMS_PATH}", f"{base}{VOICE_PATH}", status_callback
    )
    return "configured\n" + _describe(updated, base)


async def _show(settings: ChannelSettings, client: TwilioRestClient, phone_number: str) -> str:
    return _describe(await _number(client, phone_number), settings.public_base_url)


def _describe(number: PhoneNumber, base: str) -> str:
    def line(label: str, method: str, url: str, path: str) -> str:
        expected = f"{base}{path}"
        if url == expected and method.upper() == "POST":
            verdict = "this service"
        else:
            verdict = f"not this service: run `neuvo twilio number configure {number.phone_number}`"
        return f"  {label:<6} {method or '-'} {url or '(none)'}  [{verdict}]"

    lines = [
        f"{number.phone_number} ({number.sid}) {number.friendly_name}".rstrip(),
        line("SMS", number.sms_method, number.sms_url, SMS_PATH),
        line("voice", number.voice_method, number.voice_url, VOICE_PATH),
    ]
    if number.status_callback:
        lines.append(f"  status callback: {number.status_callback}")
    return "\n".join(lines)
