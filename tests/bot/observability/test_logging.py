"""JSON log lines are valid and carry no phone numbers, e-mail addresses, chat ids, texts or tokens."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import REPO_ROOT, ConfigError
from bot.observability.logging import (
    JsonFormatter,
    RedactionFilter,
    configure_logging_from_env,
    log_format_from_env,
    logging_config,
    redact,
)

pytestmark = pytest.mark.unit

PERSONAL = ("+358401234567", "0401234567", "040-123 4567", "+358 40 123 4567", "maija.meikalainen@example.fi")


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing through the production handler set-up (filter on the handler, JSON formatter)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactionFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("neuvo.test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_phone_numbers_and_emails_in_the_message_are_masked(
    json_log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = json_log
    logger.info(
        "sms from %s, call back %s or %s; mail %s",
        "+358401234567",
        "0401234567",
        "040-123 4567",
        "maija.meikalainen@example.fi",
    )
    (entry,) = lines(stream)
    assert entry["message"] == "sms from [phone], call back [phone] or [phone]; mail [email]"
    assert entry["level"] == "INFO" and entry["logger"] == "neuvo.test.redaction"
    assert str(entry["time"]).endswith("+00:00")


def test_extra_fields_that_hold_texts_or_addresses_are_masked_whatever_they_look_like(
    json_log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = json_log
    logger.warning(
        "delivery failed",
        extra={
            "chat_id": 123456789,
            "text": "Olen Maija, numeroni on 0401234567",
            "body": "help",
            "channel": "telegram",
            "attempt": 3,
            "detail": "twilio said: +358401234567 is unreachable",
        },
    )
    (entry,) = lines(stream)
    assert entry["chat_id"] == "[redacted]"
    assert entry["text"] == "[34 chars]" and entry["body"] == "[4 chars]"
    assert entry["channel"] == "telegram" and entry["attempt"] == 3
    assert entry["detail"] == "twilio said: [phone] is unreachable"
    assert not any(p in json.dumps(entry) for p in (*PERSONAL, "123456789", "Maija"))


def test_exception_messages_and_tracebacks_are_scrubbed(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    try:
        raise ValueError("no account for maija.meikalainen@example.fi at +358 40 123 4567")
    except ValueError:
        logger.exception("lookup failed")
    (entry,) = lines(stream)
    assert "ValueError: no account for [email] at [phone]" in str(entry["exception"])
    assert "Traceback" in str(entry["exception"])
    assert not any(p in stream.getvalue() for p in PERSONAL)


def test_secrets_in_urls_are_masked() -> None:
    line = '127.0.0.1:5123 - "POST /webhook?token=s3cr3t-value&x=1 HTTP/1.1" 200'
    assert redact(line) == '127.0.0.1:5123 - "POST /webhook?token=[redacted]&x=1 HTTP/1.1" 200'


@pytest.mark.parametrize(
    "harmless",
    [
        "2026-11-28 02:40:09",
        "answered in 0.025 s",
        "Rasa at http://127.0.0.1:5005 unavailable",
        "entry tax_card_01 confidence 0.8123",
        "conversation 0f3a9c12b4d5e6f7",
        "version 3.6.21",
    ],
)
def test_ordinary_numbers_are_left_alone(harmless: str) -> None:
    assert redact(harmless) == harmless


def test_the_uvicorn_config_routes_every_logger_through_the_filter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging.config

    previous = logging.root.handlers[:], logging.root.level
    try:
        logging.config.dictConfig(logging_config(json=True, level="INFO"))
        logging.getLogger("uvicorn.error").info("client 0401234567 connected")
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", "/webhook?token=abc", "1.1", 200
        )
        logging.getLogger("bot.anything").debug("not at INFO")
    finally:
        logging.root.handlers[:], level = previous
        logging.root.setLevel(level)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).handlers.clear()
    entries = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [e["logger"] for e in entries] == ["uvicorn.error", "uvicorn.access"]
    assert entries[0]["message"] == "client [phone] connected"
    assert "token=[redacted]" in str(entries[1]["message"])


def test_log_settings_are_checked() -> None:
    assert log_format_from_env({}) == (None, "INFO")
    assert log_format_from_env({"NEUVO_LOG_FORMAT": "JSON", "NEUVO_LOG_LEVEL": "debug"}) == ("json", "DEBUG")
    with pytest.raises(ConfigError, match="NEUVO_LOG_FORMAT"):
        log_format_from_env({"NEUVO_LOG_FORMAT": "xml"})
    with pytest.raises(ConfigError, match="NEUVO_LOG_LEVEL"):
        log_format_from_env({"NEUVO_LOG_LEVEL": "loud"})


def test_the_committed_uvicorn_log_config_is_the_generated_one() -> None:
    committed = json.loads((REPO_ROOT / "deploy" / "logging.json").read_text(encoding="utf-8"))
    assert committed == logging_config(json=True, level="INFO"), (
        "regenerate: python -m bot.observability.logging json INFO > deploy/logging.json"
    )


def test_commands_configure_logging_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    handlers, level = logging.root.handlers[:], logging.root.level
    try:
        assert configure_logging_from_env({}) is False
        assert logging.root.handlers == handlers
        assert configure_logging_from_env({"NEUVO_LOG_FORMAT": "json"}) is True
        logging.getLogger("bot.privacy.retention").warning("erased %s", "+358401234567")
    finally:
        logging.root.handlers[:] = handlers
        logging.root.setLevel(level)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).handlers.clear()
    (entry,) = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert entry["message"] == "erased [phone]" and entry["level"] == "WARNING"
