"""A fake Twilio REST API on loopback, and helpers to call the SMS webhook exactly as Twilio does.

The fake is a real HTTP server (uvicorn in a thread) that the real `TwilioRestClient` talks to through
TWILIO_API_BASE_URL. It checks basic auth, records the SMS it accepts (once per idempotency token, as
Twilio does), serves IncomingPhoneNumbers, and can be told to fail.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import itertools
import socket
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.app.main import create_app
from bot.config import KnowledgeSettings
from bot.dialogue.responses import ResponseCatalog
from bot.settings import AppSettings
from channels.settings import ChannelSettings
from channels.twilio.rest import RetryPolicy, TwilioRestClient
from channels.twilio.signature import TwilioVerifier, sign
from channels.twilio.sms import WEBHOOK_PATH, SmsChannel
from tests.fakes import FakeDialogue
from tests.tiny_kb import tiny_retriever

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM_NUMBER = "+358451234567"
PUBLIC_BASE_URL = "https://neuvo.example.fi"
SMS_URL = PUBLIC_BASE_URL + WEBHOOK_PATH
# Fast retries for tests: the behaviour is the same, the waits are milliseconds.
FAST_RETRY = RetryPolicy(attempts=4, base=0.001, cap=0.01)


@dataclass(frozen=True)
class SentSms:
    to: str
    from_: str
    body: str
    idempotency_token: str | None
    sid: str


@dataclass
class Fault:
    status: int
    code: int | None = None
    times: int | None = None  # None: every call from now on
    accept_first: bool = False  # record the message, then answer with the error (the answer was lost)


@dataclass
class FakeTwilioState:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    sent: list[SentSms] = field(default_factory=list)
    calls: int = 0
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)
    fault: Fault | None = None
    by_token: dict[str, SentSms] = field(default_factory=dict)
    sent_to: Counter[str] = field(default_factory=Counter)  # messages per recipient, kept as they are sent


class FakeTwilio:
    """The fake API's state and controls; use `fake_twilio()` to run it."""

    def __init__(self) -> None:
        self.state = FakeTwilioState()
        self.base_url = ""
        self._lock = threading.Lock()
        self._sids = itertools.count(1)

    # -- controls, used by tests -------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self.state = FakeTwilioState()

    def fail_next(self, times: int, status: int = 503, *, accept_first: bool = False) -> None:
        """Answer the next `times` calls with `status` (429 or 5xx), then behave again."""
        with self._lock:
            self.state.fault = Fault(status, times=times, accept_first=accept_first)

    def fail_always(self, status: int = 400, code: int = 21211) -> None:
        """Refuse every call from now on with a Twilio error (21211 invalid 'To', 21610 unsubscribed)."""
        with self._lock:
            self.state.fault = Fault(status, code=code)

    def add_number(self, phone_number: str, **fields: str) -> str:
        sid = f"PN{next(self._sids):032d}"
        with self._lock:
            self.state.numbers[sid] = {
                "sid": sid,
                "account_sid": self.state.account_sid,
                "phone_number": phone_number,
                "friendly_name": fields.get("friendly_name", "Neuvo"),
                "sms_url": fields.get("sms_url", ""),
                "sms_method": fields.get("sms_method", "POST"),
                "voice_url": fields.get("voice_url", ""),
                "voice_method": fields.get("voice_method", "POST"),
                "status_callback": fields.get("status_callback", ""),
                "status_callback_method": "POST",
            }
        return sid

    @property
    def sent(self) -> list[SentSms]:
        with self._lock:
            return list(self.state.sent)

    @property
    def calls(self) -> int:
        with self._lock:
            return self.state.calls

    def bodies_to(self, number: str) -> list[str]:
        return [m.body for m in self.sent if m.to == number]

    def count_to(self, number: str) -> int:
        """How many messages went to `number`, without copying the whole log (load tests poll this)."""
        with self._lock:
            return self.state.sent_to[number]

    # -- the API -----------------------------------------------------------------------------------------
    def app(self) -> FastAPI:
        app = FastAPI()
        prefix = "/2010-04-01/Accounts/{account}"

        @app.post(prefix + "/Messages.json")
        async def create_message(account: str, request: Request) -> JSONResponse:
            denied = self._check(request, account)
            if denied:
                return denied
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            token = request.headers.get("i-twilio-idempotency-token")
            with self._lock:
                fault = self._take_fault()
                if fault and not fault.accept_first:
                    return _error(fault.status, fault.code or 20500, "fake failure")
                if token and token in self.state.by_token:
                    return JSONResponse(_message_json(self.state.by_token[token]), status_code=201)
                for name, code in (("To", 21604), ("From", 21603), ("Body", 21602)):
                    if not form.get(name):
                        return _error(400, code, f"A '{name}' parameter is required.")
                if len(form["Body"]) > 1600:
                    return _error(400, 21617, "The concatenated message body exceeds the 1600 limit.")
                message = SentSms(form["To"], form["From"], form["Body"], token, f"SM{next(self._sids):032d}")
                self.state.sent.append(message)
                self.state.sent_to[message.to] += 1
                if token:
                    self.state.by_token[token] = message
                if fault:  # accepted, but the answer is "lost"
                    return _error(fault.status, fault.code or 20500, "fake failure after accepting")
            return JSONResponse(_message_json(message), status_code=201)

        @app.get(prefix + "/IncomingPhoneNumbers.json")
        async def list_numbers(account: str, request: Request) -> JSONResponse:
            denied = self._check(request, account)
            if denied:
                return denied
            wanted = request.query_params.get("PhoneNumber")
            with self._lock:
                if fault := self._take_fault():
                    return _error(fault.status, fault.code or 20500, "fake failure")
                numbers = [
                    dict(n) for n in self.state.numbers.values() if not wanted or n["phone_number"] == wanted
                ]
            return JSONResponse({"incoming_phone_numbers": numbers, "page": 0, "page_size": 50})

        @app.post(prefix + "/IncomingPhoneNumbers/{sid}.json")
        async def update_number(account: str, sid: str, request: Request) -> JSONResponse:
            denied = self._check(request, account)
            if denied:
                return denied
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            with self._lock:
                if fault := self._take_fault():
                    return _error(fault.status, fault.code or 20500, "fake failure")
                number = self.state.numbers.get(sid)
                if number is None:
                    return _error(404, 20404, f"The requested resource {sid} was not found")
                for param, key in (
                    ("SmsUrl", "sms_url"),
                    ("SmsMethod", "sms_method"),
                    ("VoiceUrl", "voice_url"),
                    ("VoiceMethod", "voice_method"),
                    ("StatusCallback", "status_callback"),
                    ("StatusCallbackMethod", "status_callback_method"),
                ):
                    if param in form:
                        number[key] = form[param]
                return JSONResponse(dict(number))

        return app

    def _check(self, request: Request, account: str) -> JSONResponse | None:
        """Twilio's basic auth: account sid and auth token; counts every call."""
        with self._lock:
            self.state.calls += 1
            expected = f"{self.state.account_sid}:{self.state.auth_token}"
            own_account = account == self.state.account_sid
        header = request.headers.get("authorization", "")
        given = (
            base64.b64decode(header.removeprefix("Basic ")).decode() if header.startswith("Basic ") else ""
        )
        if given != expected:
            return _error(401, 20003, "Authenticate")
        if not own_account:
            return _error(403, 20003, "Not this account")
        return None

    def _take_fault(self) -> Fault | None:
        fault = self.state.fault
        if fault is None:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.state.fault = None
        return fault


def _error(status: int, code: int, message: str) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return JSONResponse(body, status_code=status)


def _message_json(message: SentSms) -> dict[str, Any]:
    return {
        "sid": message.sid,
        "account_sid": ACCOUNT_SID,
        "to": message.to,
        "from": message.from_,
        "body": message.body,
        "status": "queued",
        "direction": "outbound-api",
        "api_version": "2010-04-01",
    }


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    """Run the fake API on a free loopback port for the duration of the block."""
    fake = FakeTwilio()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fake.app(), log_level="warning", lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    else:  # pragma: no cover
        raise RuntimeError("the fake Twilio API did not start")
    fake.base_url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def channel_settings(fake: FakeTwilio, **overrides: Any) -> ChannelSettings:
    values: dict[str, Any] = {
        "public_base_url": PUBLIC_BASE_URL,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_phone_number": FROM_NUMBER,
        "twilio_api_base_url": fake.base_url,
        "sms_max_segments": 4,
    } | overrides
    return ChannelSettings(**values)


def sms_channel(fake: FakeTwilio, responses: ResponseCatalog, **overrides: Any) -> SmsChannel:
    """The real channel, talking to the fake API, with millisecond retries."""
    settings = channel_settings(fake, **overrides)
    client = TwilioRestClient(
        ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, fake.base_url, retry=FAST_RETRY, timeout=5.0
    )
    verifier = TwilioVerifier(AUTH_TOKEN, settings.public_base_url)
    return SmsChannel(verifier, client, responses, settings.sms_max_segments)


@functools.cache
def catalog(domain: Path) -> ResponseCatalog:
    """The bot's texts, read once per test run (reading domain.yml takes a quarter of a second)."""
    return ResponseCatalog.load(domain)


@asynccontextmanager
async def running_sms_app(
    tmp_path: Path, fake: FakeTwilio, dialogue: Any | None = None, **overrides: Any
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The app with the SMS channel (only), the tiny knowledge base, a fake dialogue and the fake API."""
    settings = AppSettings.from_env(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "NEUVO_RASA_TOKEN": "test-token"}
    )
    app = create_app(
        settings,
        KnowledgeSettings.from_env(),
        dialogue=dialogue or FakeDialogue(),
        retriever=tiny_retriever(tmp_path),
        channels=[sms_channel(fake, catalog(settings.domain_path), **overrides)],
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield app, client


_inbound_sids = itertools.count(1)


def inbound_fields(
    text: str, sender: str = "+358401111111", sid: str | None = None, **extra: str
) -> dict[str, str]:
    """The form Twilio POSTs for an incoming SMS (the fields Neuvo reads, and a few it ignores)."""
    sid = sid or f"SM{next(_inbound_sids):032x}"
    return {
        "ToCountry": "FI",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": text,
        "To": FROM_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    } | extra


async def post_signed(
    client: httpx.AsyncClient,
    fields: dict[str, str],
    *,
    url: str = SMS_URL,
    token: str = AUTH_TOKEN,
    path: str = WEBHOOK_PATH,
) -> httpx.Response:
    """POST a webhook form signed as Twilio signs it: over `url` (the public URL Twilio called) and fields."""
    signature = sign(token, url, fields)
    return await client.post(path, data=fields, headers={"X-Twilio-Signature": signature})


async def settle(app: Any) -> None:
    """Wait until the hub has handled everything and every reply has been sent."""
    await app.state.hub.idle()
    await asyncio.sleep(0)
