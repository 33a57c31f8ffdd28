"""`neuvo twilio number configure|show` against the fake Twilio API."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from channels.twilio.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, register
from tests.fakes_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_BASE_URL, FakeTwilio, fake_twilio

pytestmark = pytest.mark.unit

SMS_URL = f"{PUBLIC_BASE_URL}/webhooks/twilio/sms"
VOICE_URL = f"{PUBLIC_BASE_URL}/webhooks/twilio/voice"


@pytest.fixture(scope="module")
def twilio_server() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


@pytest.fixture
def twilio(twilio_server: FakeTwilio, monkeypatch: pytest.MonkeyPatch) -> FakeTwilio:
    twilio_server.reset()
    for name, value in {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": FROM_NUMBER,
        "TWILIO_API_BASE_URL": twilio_server.base_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }.items():
        monkeypatch.setenv(name, value)
    return twilio_server


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="neuvo")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.func(args))


def test_configure_points_sms_and_voice_at_this_service(
    twilio: FakeTwilio, capsys: pytest.CaptureFixture[str]
) -> None:
    twilio.add_number("+358401000000", sms_url="https://other.example/sms")
    sid = twilio.add_number(FROM_NUMBER, sms_url="https://old.example/sms", sms_method="GET")

    assert run("twilio", "number", "configure", FROM_NUMBER) == EXIT_OK

    number = twilio.state.numbers[sid]
    assert (number["sms_url"], number["sms_method"]) == (SMS_URL, "POST")
    assert (number["voice_url"], number["voice_method"]) == (VOICE_URL, "POST")
    untouched = next(n for n in twilio.state.numbers.values() if n["sid"] != sid)
    assert untouched["sms_url"] == "https://other.example/sms"
    out = capsys.readouterr().out
    assert "configured" in out and SMS_URL in out and VOICE_URL in out
    assert AUTH_TOKEN not in out


def test_configure_can_set_the_call_status_callback(twilio: FakeTwilio) -> None:
    sid = twilio.add_number(FROM_NUMBER)
    assert (
        run(
            "twilio", "number", "configure", FROM_NUMBER, "--status-callback", "/webhooks/twilio/voice/status"
        )
        == 0
    )
    assert twilio.state.numbers[sid]["status_callback"] == f"{PUBLIC_BASE_URL}/webhooks/twilio/voice/status"


def test_show_tells_whether_the_number_points_here(
    twilio: FakeTwilio, capsys: pytest.CaptureFixture[str]
) -> None:
    twilio.add_number(FROM_NUMBER, sms_url="https://old.example/sms", voice_url=VOICE_URL)
    assert run("twilio", "number", "show", FROM_NUMBER) == EXIT_OK
    out = capsys.readouterr().out
    sms_line = next(line for line in out.splitlines() if "SMS" in line)
    voice_line = next(line for line in out.splitlines() if "voice" in line)
    assert "https://old.example/sms" in sms_line and "not this service" in sms_line
    assert "[this service]" in voice_line

    run("twilio", "number", "configure", FROM_NUMBER)
    capsys.readouterr()
    run("twilio", "number", "show", FROM_NUMBER)
    assert capsys.readouterr().out.count("[this service]") == 2


def test_a_number_not_on_the_account_is_a_clear_error(
    twilio: FakeTwilio, capsys: pytest.CaptureFixture[str]
) -> None:
    twilio.add_number("+358401000000")
    assert run("twilio", "number", "configure", "+358409999999") == EXIT_PROBLEMS
    err = capsys.readouterr().err
    assert "+358409999999 is not a number on this Twilio account" in err
    assert all(n["sms_url"] == "" for n in twilio.state.numbers.values())


def test_a_malformed_number_is_a_usage_error(twilio: FakeTwilio, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("twilio", "number", "show", "0401234567") == EXIT_USAGE
    assert "E.164" in capsys.readouterr().err
    assert twilio.calls == 0


@pytest.mark.parametrize("unset", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_missing_credentials_are_named(
    twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], unset: str
) -> None:
    monkeypatch.delenv(unset)
    assert run("twilio", "number", "configure", FROM_NUMBER) == EXIT_USAGE
    assert unset in capsys.readouterr().err
    assert twilio.calls == 0


def test_a_missing_public_url_is_named(
    twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL")
    assert run("twilio", "number", "configure", FROM_NUMBER) == EXIT_USAGE
    assert "PUBLIC_BASE_URL" in capsys.readouterr().err
    assert twilio.calls == 0


def test_wrong_credentials_are_reported_as_such(
    twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    twilio.add_number(FROM_NUMBER)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "not-the-token")
    assert run("twilio", "number", "show", FROM_NUMBER) == EXIT_PROBLEMS
    err = capsys.readouterr().err
    assert "refused the credentials" in err and "TWILIO_AUTH_TOKEN" in err
    assert "not-the-token" not in err
