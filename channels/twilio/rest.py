"""Twilio's REST API over httpx: sending SMS (with retries) and pointing a phone number at this service.

Only the calls Neuvo needs, in Twilio's 2010-04-01 wire format. Phone numbers and message bodies are personal
data: they are never logged, and Twilio's error messages (which may quote the number) are kept out of logs.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Any

import httpx

from channels.base import ChannelError, DeliveryDeferred, DeliveryFailed

log = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
# Twilio's error code for a recipient who answered STOP: Twilio will not deliver to them until START.
UNSUBSCRIBED_RECIPIENT = 21610
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class TwilioApiError(ChannelError):
    """Twilio answered with an error. `detail` is Twilio's own message, which may quote a phone number:
    show it to the operator (the CLI), never log it."""

    def __init__(self, status: int, code: int | None, detail: str = "") -> None:
        super().__init__(f"Twilio answered HTTP {status}" + (f", error {code}" if code else ""))
        self.status = status
        self.code = code
        self.detail = detail


class TwilioUnreachable(ChannelError):
    """Twilio could not be reached, or kept failing, after every retry."""


class RecipientUnsubscribed(DeliveryFailed):
    """The recipient has opted out at Twilio (error 21610); nothing can be sent until they send START."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for 429, 5xx and network errors: `base` * 2^n, at most `cap` seconds
    per wait (or Twilio's Retry-After, within `cap`), and `attempts` tries in all."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 8.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.cap)
        return min(self.base * 2**attempt, self.cap) * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class PhoneNumber:
    """One of the account's phone numbers (an IncomingPhoneNumber) and where Twilio sends its traffic."""

    sid: str
    phone_number: str
    friendly_name: str
    sms_url: str
    sms_method: str
    voice_url: str
    voice_method: str
    status_callback: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PhoneNumber:
        def text(key: str) -> str:
            return str(data.get(key) or "")

        return cls(
            sid=text("sid"),
            phone_number=text("phone_number"),
            friendly_name=text("friendly_name"),
            sms_url=text("sms_url"),
            sms_method=text("sms_method"),
            voice_url=text("voice_url"),
            voice_method=text("voice_method"),
            status_callback=text("status_callback"),
        )


class TwilioRestClient:
    """The account's REST API. One instance per process; `aclose` when done."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        base_url: str = "https://api.twilio.com",
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._account_sid = account_sid
        self._from_number = from_number
        self._retry = retry or RetryPolicy()
        self._client = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/{API_VERSION}/Accounts/{account_sid}",
            auth=httpx.BasicAuth(account_sid, auth_token),
            timeout=httpx.Timeout(timeout),
            headers={"Accept": "application/json"},
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send_sms(self, to: str, body: str, idempotency_key: str) -> str:
        """Send one SMS and return its message sid.

        Twilio drops a repeated request with the same idempotency key, so a retry after a lost answer does
        not send the message twice. Raises DeliveryFailed (RecipientUnsubscribed for error 21610) when
        Twilio refuses the message or cannot be reached after the retries.
        """
        if not self._from_number:
            raise DeliveryFailed("TWILIO_PHONE_NUMBER is not set: there is no number to send from")
        try:
            data = await self._request(
                "POST",
                "/Messages.json",
                data={"To": to, "From": self._from_number, "Body": body},
                headers={"I-Twilio-Idempotency-Token": idempotency_key},
            )
        except TwilioApiError as exc:
            if exc.code == UNSUBSCRIBED_RECIPIENT:
                raise RecipientUnsubscribed(
                    "the recipient has opted out of SMS (Twilio error 21610)"
                ) from exc
            if exc.status == 401:
                log.error("Twilio rejected the credentials: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
            raise DeliveryFailed(f"SMS refused: {exc}") from exc
        except TwilioUnreachable as exc:
            raise DeliveryDeferred(f"SMS not sent: {exc}") from exc
        return str(data.get("sid", ""))

    async def find_number(self, phone_number: str) -> PhoneNumber | None:
        """The account's number with this E.164 value, or None when the account has no such number."""
        data = await self._request("GET", "/IncomingPhoneNumbers.json", params={"PhoneNumber": phone_number})
        for item in data.get("incoming_phone_numbers") or []:
            if isinstance(item, dict) and item.get("phone_number") == phone_number:
                return PhoneNumber.from_json(item)
        return None

    async def update_number_webhooks(
        self, number_sid: str, sms_url: str, voice_url: str, status_callback: str | None = None
    ) -> PhoneNumber:
        """Point a number's incoming SMS and calls (both POST) at these URLs; returns the updated number."""
        fields = {"SmsUrl": sms_url, "SmsMethod": "POST", "VoiceUrl": voice_url, "VoiceMethod": "POST"}
        if status_callback is not None:
            fields |= {"StatusCallback": status_callback, "StatusCallbackMethod": "POST"}
        data = await self._request("POST", f"/IncomingPhoneNumbers/{number_sid}.json", data=fields)
        return PhoneNumber.from_json(data)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        data: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One API call, retried on 429, 5xx and network errors; the decoded JSON object on success."""
        attempts = self._retry.attempts
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._client.request(method, path, data=data, params=params, headers=headers)
            except httpx.TransportError as exc:
                if last:
                    raise TwilioUnreachable(f"Twilio unreachable ({type(exc).__name__})") from exc
                delay = self._retry.delay(attempt)
                log.warning("Twilio %s failed (%s); retry in %.2f s", path, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            if response.status_code in _RETRY_STATUSES and not last:
                delay = self._retry.delay(attempt, response.headers.get("retry-after"))
                log.warning("Twilio %s answered %d; retry in %.2f s", path, response.status_code, delay)
                await asyncio.sleep(delay)
                continue
            if response.status_code in _RETRY_STATUSES:
                raise TwilioUnreachable(f"Twilio kept answering HTTP {response.status_code}")
            if response.is_error:
                code, detail = _error_of(response)
                raise TwilioApiError(response.status_code, code, detail)
            try:
                body = response.json()
            except ValueError as exc:
                raise TwilioApiError(response.status_code, None, "the answer was not JSON") from exc
            if not isinstance(body, dict):
                raise TwilioApiError(response.status_code, None, "the answer was not a JSON object")
            return body
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _error_of(response: httpx.Response) -> tuple[int | None, str]:
    """Twilio's error code and message from an error answer (`{"code": 21211, "message": ...}`)."""
    try:
        body = response.json()
    except ValueError:
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    code = body.get("code")
    return (code if isinstance(code, int) else None), str(body.get("message") or "")
