"""A fake Telegram Bot API server on loopback for the real PTB client, and builders of real update JSON.

`FakeBotApi` is a real HTTP/1.1 server (stdlib, in a thread, on 127.0.0.1 and a free port) answering the
Bot API methods the channel uses with the Bot API's own response shapes (`{"ok": true, "result": ...}`,
errors as `{"ok": false, "error_code", "description", "parameters"}`). Point PTB at it with
`TELEGRAM_API_BASE_URL=fake.url`.

How requests are decoded: PTB 22 posts `application/x-www-form-urlencoded` bodies in which every value that
is not a string is JSON-encoded (`chat_id=42`, `reply_markup={"inline_keyboard": ...}`,
`allowed_updates=["message", ...]`, `drop_pending_updates=true`); strings such as `text` are sent as they
are. Like the real server, the fake reads each field by its declared type (JSON objects, integers,
booleans, else the string), so a text "42" stays a string. JSON bodies are accepted too.

Every call is recorded (method, decoded params, status answered). Faults can be queued per method
(429 with `parameters.retry_after`, 5xx, 403 ...), and updates queued for getUpdates, which long-polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
BOT_ID = 123456789
BOT_USERNAME = "neuvo_test_bot"

_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
    }
)
_INT_FIELDS = frozenset(
    {"offset", "limit", "timeout", "message_id", "max_connections", "cache_time", "message_thread_id"}
)
_BOOL_FIELDS = frozenset(
    {
        "drop_pending_updates",
        "show_alert",
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
    }
)
MAX_POLL_WAIT = 5.0  # the fake never holds a getUpdates longer than this, whatever timeout is asked


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: dict[str, Any]
    status: int  # the HTTP status the fake answered


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None = None


def decode_params(content_type: str, body: bytes) -> dict[str, Any]:
    """A Bot API request's parameters, typed the way the Bot API reads them."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        loaded: dict[str, Any] = json.loads(body)
        return loaded
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise ValueError(f"the fake does not read {content_type!r} bodies")
    params: dict[str, Any] = {}
    for name, raw in parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True):
        if name in _JSON_FIELDS:
            params[name] = json.loads(raw)
        elif name in _INT_FIELDS or (name == "chat_id" and raw.lstrip("-").isdigit()):
            params[name] = int(raw)
        elif name in _BOOL_FIELDS:
            params[name] = raw == "true"
        else:
            params[name] = raw
    return params


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeBotApi:
    """The Bot API on 127.0.0.1. Use as a context manager, or start()/stop()."""

    def __init__(self, token: str = TOKEN, port: int = 0) -> None:
        self.token = token
        self._port = port
        self._lock = threading.Condition()
        self._calls: list[ApiCall] = []
        self._sent_to: Counter[int | str] = Counter()  # successful sendMessage calls per chat
        self._faults: dict[str, list[Fault]] = {}
        self._stalls: dict[str, list[float]] = {}
        self._updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1)
        self.blocked_chats: set[int] = set()  # sendMessage to these answers 403, as for a blocked bot
        self.webhook: dict[str, Any] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._stopping = False

    # lifecycle

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeBotApi:
        fake = self

        class Handler(_Handler):
            api = fake

        self._stopping = False
        self._server = _Server(("127.0.0.1", self._port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-bot-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and drop open connections, so the port looks closed to clients."""
        if self._server is None:
            return
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
            connections = list(self._connections)
        self._server.shutdown()
        self._server.server_close()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._server = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # what tests set up

    def fail_next(
        self,
        method: str,
        times: int = 1,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with an error instead of doing it."""
        default = {
            400: "Bad Request: chat not found",
            403: "Forbidden: bot was blocked by the user",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, "Error")
        with self._lock:
            self._faults.setdefault(method, []).extend(
                Fault(status, description or default, retry_after) for _ in range(times)
            )

    def stall_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the next `times` calls of `method` for `seconds` before answering them normally."""
        with self._lock:
            self._stalls.setdefault(method, []).extend([seconds] * times)

    def queue_update(self, *updates: dict[str, Any]) -> None:
        """Updates for getUpdates to return (a waiting long poll returns at once)."""
        with self._lock:
            self._updates.extend(updates)
            self._lock.notify_all()

    # what tests check

    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def reset(self) -> None:
        """Forget the calls recorded so far (e.g. after a warm-up)."""
        with self._lock:
            self._calls.clear()
            self._sent_to.clear()

    def pending_updates(self) -> int:
        """Queued updates not yet confirmed (by a getUpdates with a higher offset)."""
        with self._lock:
            return len(self._updates)

    def sent_count(self, chat_id: int | str) -> int:
        """Successful sendMessage calls to one chat, without copying the log (load tests poll this)."""
        with self._lock:
            return self._sent_to[chat_id]

    def sent(self) -> list[dict[str, Any]]:
        """The params of every sendMessage that succeeded, in order."""
        return [c.params for c in self.calls("sendMessage") if c.status == 200]

    async def wait_for(self, check: Callable[[FakeBotApi], bool], timeout: float = 10.0) -> None:
        """Wait (without blocking the event loop) until `check(self)` holds; fail the test after `timeout`."""
        deadline = time.monotonic() + timeout
        while not check(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {[c.method for c in self.calls()]}")
            await asyncio.sleep(0.01)

    # the API

    def handle(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any] | str]:
        prefix = f"/bot{self.token}/"
        if not path.startswith("/bot"):
            return 404, _error(404, "Not Found")
        if not path.startswith(prefix):
            return 401, _error(401, "Unauthorized")
        method = path.removeprefix(prefix).split("?")[0]
        try:
            params = decode_params(content_type, body)
        except ValueError as exc:
            return 400, _error(400, f"Bad Request: {exc}")
        with self._lock:
            faults = self._faults.get(method)
            fault = faults.pop(0) if faults else None
            stalls = self._stalls.get(method)
            stall = stalls.pop(0) if stalls else 0.0
        if stall:
            time.sleep(stall)
        if fault is not None:
            status, answer = _fault_answer(fault)
        else:
            handler = _METHODS.get(method.lower())
            status, answer = handler(self, params) if handler else (404, _error(404, "Not Found"))
        with self._lock:
            self._calls.append(ApiCall(method, params, status))
            if method == "sendMessage" and status == 200:
                self._sent_to[params["chat_id"]] += 1  # a 200 means the fake found a chat_id
        return status, answer

    def _get_me(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, _ok(
            {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Neuvo (test)",
                "username": BOT_USERNAME,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    def _send_message(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id, text = params.get("chat_id"), params.get("text", "")
        if chat_id is None:
            return 400, _error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return 400, _error(400, "Bad Request: message text is empty")
        if utf16_length(text) > 4096:
            return 400, _error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    return 400, _error(400, "Bad Request: BUTTON_DATA_INVALID")
        if chat_id in self.blocked_chats:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Neuvo (test)", "username": BOT_USERNAME},
            "chat": {"id": chat_id, "type": "private"},
            "date": int(time.time()),
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        return 200, _ok(message)

    def _answer_callback_query(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not params.get("callback_query_id"):
            return 400, _error(400, "Bad Request: query is too old and response timeout expired")
        return 200, _ok(True)

    def _get_updates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        offset = params.get("offset")
        wait = min(float(params.get("timeout", 0)), MAX_POLL_WAIT)
        deadline = time.monotonic() + wait
        with self._lock:
            if self.webhook.get("url"):
                return 409, _error(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            while True:
                if offset is not None:  # confirms every update before it
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._stopping or time.monotonic() >= deadline:
                    return 200, _ok(list(self._updates[: params.get("limit", 100)]))
                self._lock.wait(max(0.0, deadline - time.monotonic()))

    def _set_webhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = params.get("url", "")
        if url and not url.startswith("https://"):
            return 400, _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token", "")
        if secret and not all(c.isalnum() or c in "_-" for c in secret):
            return 400, _error(400, "Bad Request: secret token contains unallowed characters")
        with self._lock:
            self.webhook = {
                "url": url,
                "secret_token": secret,
                "allowed_updates": params.get("allowed_updates"),
                "max_connections": params.get("max_connections", 40),
            }
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def _delete_webhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            had = bool(self.webhook.get("url"))
            self.webhook = {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        description = "Webhook was deleted" if had else "Webhook is already deleted"
        return 200, {"ok": True, "result": True, "description": description}

    def _get_webhook_info(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            info: dict[str, Any] = {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if info["url"]:
                info["max_connections"] = self.webhook["max_connections"]
                info["ip_address"] = "127.0.0.1"
                if self.webhook.get("allowed_updates") is not None:
                    info["allowed_updates"] = self.webhook["allowed_updates"]
        return 200, _ok(info)

    def _set_my_commands(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, _ok(True)


_Method = Callable[[FakeBotApi, dict[str, Any]], tuple[int, dict[str, Any]]]
_METHODS: dict[str, _Method] = {
    "getme": FakeBotApi._get_me,
    "sendmessage": FakeBotApi._send_message,
    "answercallbackquery": FakeBotApi._answer_callback_query,
    "getupdates": FakeBotApi._get_updates,
    "setwebhook": FakeBotApi._set_webhook,
    "deletewebhook": FakeBotApi._delete_webhook,
    "getwebhookinfo": FakeBotApi._get_webhook_info,
    "setmycommands": FakeBotApi._set_my_commands,
}


def _ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def _error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def _fault_answer(fault: Fault) -> tuple[int, dict[str, Any] | str]:
    if fault.status == 502:  # what the proxy in front of the Bot API answers: not JSON
        return 502, "<html><body><h1>502 Bad Gateway</h1></body></html>"
    if fault.retry_after is not None:
        return fault.status, _error(fault.status, fault.description, retry_after=fault.retry_after)
    return fault.status, _error(fault.status, fault.description)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout in a test) closes its end: expected, and not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as PTB's httpx pool expects
    api: FakeBotApi

    def setup(self) -> None:
        super().setup()
        with self.api._lock:
            self.api._connections.add(self.connection)

    def finish(self) -> None:
        with self.api._lock:
            self.api._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_POST(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, answer = self.api.handle(self.path, self.headers.get("Content-Type", ""), body)
        if isinstance(answer, str):
            payload, content_type = answer.encode(), "text/html"
        else:
            payload, content_type = json.dumps(answer).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: tests read the recorded calls instead


# Builders of update JSON exactly as Telegram sends it.

_update_ids = itertools.count(10_000)
_message_ids = itertools.count(500)


def next_update_id() -> int:
    return next(_update_ids)


def user(chat_id: int, language_code: str = "en") -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": language_code}


def message_update(
    chat_id: int, content: dict[str, Any], update_id: int | None = None, language_code: str = "en"
) -> dict[str, Any]:
    """An update with a private-chat message; `content` is e.g. {"text": "hi"} or {"voice": {...}}."""
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": user(chat_id, language_code),
        "chat": {"id": chat_id, "first_name": "Test", "type": "private"},
        "date": int(time.time()),
        **content,
    }
    if content.get("text", "").startswith("/"):
        command = content["text"].split()[0]
        message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return {"update_id": update_id if update_id is not None else next_update_id(), "message": message}


def text_update(chat_id: int, text: str, update_id: int | None = None) -> dict[str, Any]:
    return message_update(chat_id, {"text": text}, update_id)


def callback_update(
    chat_id: int, data: str, update_id: int | None = None, query_id: str | None = None
) -> dict[str, Any]:
    """A button press on a message the bot sent earlier."""
    return {
        "update_id": update_id if update_id is not None else next_update_id(),
        "callback_query": {
            "id": query_id or f"{chat_id}{next(_message_ids)}",
            "from": user(chat_id),
            "message": {
                "message_id": next(_message_ids),
                "from": {
                    "id": BOT_ID,
                    "is_bot": True,
                    "first_name": "Neuvo (test)",
                    "username": BOT_USERNAME,
                },
                "chat": {"id": chat_id, "first_name": "Test", "type": "private"},
                "date": int(time.time()),
                "text": "Which language would you like to continue in?",
            },
            "chat_instance": "-7069938581134496571",
            "data": data,
        },
    }


def _file(file_id: str, **extra: Any) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": f"u{file_id}", **extra}


# Non-text content as Telegram sends it, and the file id (or reference) the channel should keep.
MEDIA: dict[str, tuple[dict[str, Any], str | None]] = {
    "voice_note": (
        {"voice": _file("AwACAgQAAxkBAAIBVoice", duration=3, mime_type="audio/ogg", file_size=9000)},
        "AwACAgQAAxkBAAIBVoice",
    ),
    "audio": (
        {"audio": _file("CQACAgQAAxkBAudio", duration=120, mime_type="audio/mpeg")},
        "CQACAgQAAxkBAudio",
    ),
    "photo": (
        {
            "photo": [
                _file("AgACAgQAAxkPhotoSmall", width=90, height=67, file_size=1200),
                _file("AgACAgQAAxkPhotoLarge", width=1280, height=960, file_size=120000),
            ],
            "caption": "my residence permit letter",
        },
        "AgACAgQAAxkPhotoLarge",
    ),
    "video": ({"video": _file("BAACAgQAAxkVideo", width=640, height=480, duration=9)}, "BAACAgQAAxkVideo"),
    "sticker": (
        {
            "sticker": _file(
                "CAACAgIAAxkSticker", width=512, height=512, is_animated=False, is_video=False, type="regular"
            )
        },
        "CAACAgIAAxkSticker",
    ),
    "document": (
        {"document": _file("BQACAgQAAxkDocument", file_name="form.pdf", mime_type="application/pdf")},
        "BQACAgQAAxkDocument",
    ),
    "location": ({"location": {"latitude": 62.2426, "longitude": 25.7473}}, "geo:62.2426,25.7473"),
    "contact": ({"contact": {"phone_number": "+358401234567", "first_name": "Test", "user_id": 1}}, None),
}


@contextlib.contextmanager
def fake_bot_api(port: int = 0) -> Iterator[FakeBotApi]:
    fake = FakeBotApi(port=port).start()
    try:
        yield fake
    finally:
        fake.stop()
