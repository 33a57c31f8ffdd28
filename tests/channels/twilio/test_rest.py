"""The Twilio REST client against the fake API on loopback: sending, retries, refusals, phone numbers."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from channels.base import DeliveryFailed
from channels.twilio.rest import RecipientUnsubscribed, RetryPolicy, TwilioApiError, TwilioRestClient
from tests.fakes_twilio import ACCOUNT_SID, AUTH_TOKEN, FAST_RETRY, FROM_NUMBER, FakeTwilio, fake_twilio

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

TO = "+358409876543"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def twilio_server() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


@pytest.fixture
def twilio(twilio_server: FakeTwilio) -> FakeTwilio:
    twilio_server.reset()
    return twilio_server


@pytest.fixture
async def client(twilio: FakeTwilio) -> AsyncIterator[TwilioRestClient]:
    rest = TwilioRestClient(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, twilio.base_url, retry=FAST_RETRY)
    yield rest
    await rest.aclose()


async def test_an_sms_is_sent_with_auth_sender_and_idempotency_token(
    twilio: FakeTwilio, client: TwilioRestClient
) -> None:
    sid = await client.send_sms(TO, "Hei! Verokortin saat OmaVerosta.", "key-1")
    [sent] = twilio.sent
    assert (sent.to, sent.from_, sent.body, sent.idempotency_token) == (
        TO,
        FROM_NUMBER,
        "Hei! Verokortin saat OmaVerosta.",
        "key-1",
    )
    assert sid == sent.sid and sid.startswith("SM")


async def test_wrong_credentials_fail_without_retrying(twilio: FakeTwilio) -> None:
    rest = TwilioRestClient(ACCOUNT_SID, "wrong-token", FROM_NUMBER, twilio.base_url, retry=FAST_RETRY)
    try:
        with pytest.raises(DeliveryFailed, match="401"):
            await rest.send_sms(TO, "hello", "key-1")
    finally:
        await rest.aclose()
    assert twilio.sent == [] and twilio.calls == 1


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_rate_limits_and_server_errors_are_retried_until_sent(
    twilio: FakeTwilio, client: TwilioRestClient, status: int
) -> None:
    twilio.fail_next(2, status)
    await client.send_sms(TO, "hello", "key-1")
    assert [m.body for m in twilio.sent] == ["hello"]
    assert twilio.calls == 3


async def test_a_lost_answer_is_retried_without_sending_twice(
    twilio: FakeTwilio, client: TwilioRestClient
) -> None:
    # Twilio accepted the message but the answer was a 502: the retry carries the same token.
    twilio.fail_next(1, 502, accept_first=True)
    sid = await client.send_sms(TO, "hello", "key-1")
    assert [m.sid for m in twilio.sent] == [sid]
    assert twilio.calls == 2


async def test_retries_are_bounded(twilio: FakeTwilio, client: TwilioRestClient) -> None:
    twilio.fail_next(100, 503)
    with pytest.raises(DeliveryFailed, match="503"):
        await client.send_sms(TO, "hello", "key-1")
    assert twilio.calls == FAST_RETRY.attempts
    assert twilio.sent == []


async def test_a_permanent_refusal_is_not_retried(twilio: FakeTwilio, client: TwilioRestClient) -> None:
    twilio.fail_always(400, 21211)
    with pytest.raises(DeliveryFailed, match="21211") as raised:
        await client.send_sms(TO, "hello", "key-1")
    assert not isinstance(raised.value, RecipientUnsubscribed)
    assert twilio.calls == 1


async def test_an_unsubscribed_recipient_is_reported_as_such(
    twilio: FakeTwilio, client: TwilioRestClient
) -> None:
    twilio.fail_always(400, 21610)
    with pytest.raises(RecipientUnsubscribed):
        await client.send_sms(TO, "hello", "key-1")


async def test_network_errors_are_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(201, json={"sid": "SM123", "status": "queued"})

    rest = TwilioRestClient(
        ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, retry=FAST_RETRY, transport=httpx.MockTransport(handler)
    )
    try:
        assert await rest.send_sms(TO, "hello", "key-1") == "SM123"
    finally:
        await rest.aclose()
    assert len(calls) == 3
    assert {c.headers["i-twilio-idempotency-token"] for c in calls} == {"key-1"}


async def test_an_unreachable_api_fails_after_the_retries(twilio: FakeTwilio) -> None:
    # A loopback port nobody listens on: connection refused at once.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    rest = TwilioRestClient(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, dead, retry=RetryPolicy(2, 0.001, 0.01))
    try:
        with pytest.raises(DeliveryFailed, match="unreachable"):
            await rest.send_sms(TO, "hello", "key-1")
    finally:
        await rest.aclose()


async def test_numbers_and_bodies_stay_out_of_the_logs(
    twilio: FakeTwilio, client: TwilioRestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    twilio.fail_next(1, 500)
    await client.send_sms(TO, "my secret question", "key-1")
    twilio.fail_always(400, 21211)
    with pytest.raises(DeliveryFailed):
        await client.send_sms(TO, "my secret question", "key-2")
    assert "retry" in caplog.text  # the retry was logged ...
    assert TO not in caplog.text and "secret" not in caplog.text  # ... without the number or the text


async def test_a_number_is_found_and_its_webhooks_updated(
    twilio: FakeTwilio, client: TwilioRestClient
) -> None:
    twilio.add_number("+358401000000", friendly_name="Other")
    sid = twilio.add_number(FROM_NUMBER, sms_url="https://old.example/sms", sms_method="GET")
    found = await client.find_number(FROM_NUMBER)
    assert found is not None
    assert (found.sid, found.sms_url, found.sms_method) == (sid, "https://old.example/sms", "GET")

    updated = await client.update_number_webhooks(
        sid, "https://neuvo.example.fi/webhooks/twilio/sms", "https://neuvo.example.fi/webhooks/twilio/voice"
    )
    assert (updated.sms_url, updated.sms_method) == ("https://neuvo.example.fi/webhooks/twilio/sms", "POST")
    assert (updated.voice_url, updated.voice_method) == (
        "https://neuvo.example.fi/webhooks/twilio/voice",
        "POST",
    )
    assert twilio.state.numbers[sid]["sms_url"] == updated.sms_url


async def test_an_unknown_number_is_none(twilio: FakeTwilio, client: TwilioRestClient) -> None:
    twilio.add_number("+358401000000")
    assert await client.find_number(FROM_NUMBER) is None


async def test_updating_an_unknown_number_sid_is_an_api_error(client: TwilioRestClient) -> None:
    with pytest.raises(TwilioApiError) as raised:
        await client.update_number_webhooks("PN" + "9" * 32, "https://a/sms", "https://a/voice")
    assert (raised.value.status, raised.value.code) == (404, 20404)
