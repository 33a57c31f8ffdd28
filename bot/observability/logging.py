"""Logs as JSON lines, with personal data and secrets masked before any handler writes them.

`NEUVO_LOG_FORMAT=json` (production) gives one JSON object a line: time, level, logger, message, the
record's extra fields and the traceback. `NEUVO_LOG_FORMAT=text` gives plain lines with the same masking.
Unset, logging is left as uvicorn and Python set it up (development and tests). NEUVO_LOG_LEVEL sets the
level (INFO).

What is masked, wherever it appears (message, extra fields, exception messages and tracebacks):
phone numbers (E.164 such as +358 40 123 4567, and Finnish national ones such as 040-123 4567), e-mail
addresses and `token=`/`secret=` query parameters; the values of extra fields that hold a person's words
(`text`, `body`, ...) or an address on a platform (`chat_id`, `phone`, ...), whatever they look like.
"""

from __future__ import annotations

import datetime as dt
import json as jsonlib
import logging
import os
import re
import sys
from typing import Any

from bot.config import ConfigError

# Fields every LogRecord has; anything else on a record came in through `extra=`.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Extra fields whose value is what a person wrote: never logged, only its length.
TEXT_FIELDS = frozenset({"text", "body", "caption", "summary", "transcript", "contact", "question", "answer"})
# Extra fields whose value addresses a person on a platform (a Telegram chat id is just a number).
ADDRESS_FIELDS = frozenset(
    {
        "chat_id",
        "telegram_chat_id",
        "user_id",
        "sender_id",
        "recipient_id",
        "phone",
        "phone_number",
        "from_number",
        "to_number",
        "email",
        "caller",
    }
)

_MODULE = "bot.observability.logging"  # not __name__, which is __main__ under -m

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# +358401234567, +358 40 123 4567, +1-202-555-0143: a plus, then 7 to 15 digits with spaces or dashes.
_E164 = re.compile(r"\+\d(?:[ -]?\d){6,14}(?!\d)")
# 0401234567, 040 123 4567, 040-1234567, 014 123 456: a leading 0, then 6 to 11 more digits.
_NATIONAL = re.compile(r"(?<![\w.:/+-])0\d(?:[ -]?\d){5,10}(?![\w.:-])")
_SECRET_PARAM = re.compile(r"([?&](?:token|secret|key|signature|password)=)[^&\s\"']+", re.IGNORECASE)


def redact(text: str) -> str:
    """Mask phone numbers, e-mail addresses and secret query parameters in free text."""
    text = _SECRET_PARAM.sub(r"\1[redacted]", text)
    text = _EMAIL.sub("[email]", text)
    text = _E164.sub("[phone]", text)
    return _NATIONAL.sub("[phone]", text)


def _redact_value(key: str, value: Any) -> Any:
    if key in TEXT_FIELDS:
        return f"[{len(value)} chars]" if isinstance(value, str | list) else "[redacted]"
    if key in ADDRESS_FIELDS:
        return "[redacted]"
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(key, v) for v in value]
    return value


class RedactionFilter(logging.Filter):
    """Masks personal data on the record itself, so every handler and formatter sees only the masked form."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format: keep the template only
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        for key in set(vars(record)) - _RECORD_FIELDS:
            setattr(record, key, _redact_value(key, getattr(record, key)))
        if record.exc_info and record.exc_info[1] is not None:
            # Exception messages often quote their input: format the traceback now, then mask it.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in sorted(set(vars(record)) - _RECORD_FIELDS):
            if key not in entry and not key.startswith("_"):
                entry[key] = getattr(record, key)
        if record.exc_info:
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return jsonlib.dumps(entry, ensure_ascii=False, default=str)


def logging_config(json: bool, level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` dict (uvicorn's `--log-config` takes it as a .json file).

    Every logger, uvicorn's included, goes through one handler on the root logger, with the redaction filter
    on the handler so records from any library are masked too.
    """
    formatter: dict[str, Any] = (
        {"()": f"{_MODULE}.JsonFormatter"}
        if json
        else {"format": "%(asctime)s %(levelname)-8s %(name)s - %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": f"{_MODULE}.RedactionFilter"}},
        "formatters": {"main": formatter},
        "handlers": {
            "main": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "main",
                "filters": ["redact"],
            }
        },
        "root": {"level": level, "handlers": ["main"]},
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": level}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(json: bool, level: str | int = "INFO") -> None:
    """Send every log record through the redaction filter to stderr, as JSON lines or plain text."""
    import logging.config

    name = logging.getLevelName(level) if isinstance(level, int) else level.upper()
    logging.config.dictConfig(logging_config(json, name))


def configure_logging_from_env(env: dict[str, str] | None = None) -> bool:
    """For commands and jobs (`neuvo privacy purge`): configure logging when NEUVO_LOG_FORMAT is set."""
    fmt, level = log_format_from_env(env)
    if fmt is None:
        return False
    configure_logging(fmt == "json", level)
    return True


def log_format_from_env(env: dict[str, str] | None = None) -> tuple[str | None, str]:
    """NEUVO_LOG_FORMAT (json, text, or unset) and NEUVO_LOG_LEVEL (INFO), checked."""
    env = dict(os.environ) if env is None else env
    fmt = (env.get("NEUVO_LOG_FORMAT") or "").strip().lower() or None
    if fmt not in (None, "json", "text"):
        raise ConfigError(f"NEUVO_LOG_FORMAT: {fmt!r} is not json or text")
    level = (env.get("NEUVO_LOG_LEVEL") or "INFO").strip().upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ConfigError(f"NEUVO_LOG_LEVEL: {level!r} is not a logging level")
    return fmt, level


if __name__ == "__main__":
    # `python -m bot.observability.logging [json|text] [LEVEL]` prints the config for uvicorn's --log-config.
    args = [*sys.argv[1:], "json", "INFO"][:2] if len(sys.argv) < 3 else sys.argv[1:3]
    print(jsonlib.dumps(logging_config(json=args[0] == "json", level=args[1]), indent=2))
