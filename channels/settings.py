"""Channel configuration from the environment, checked at start-up; secrets are never printed."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from bot.config import ConfigError
from bot.handoff.hours import AdvisorHours


def _url(env: dict[str, str] | os._Environ[str], name: str, default: str = "") -> str:
    value = (env.get(name) or default).rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name}: {value!r} is not an http(s) URL")
    return value


def _int(env: dict[str, str] | os._Environ[str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, str(default))
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from exc
    if not low <= value <= high:
        raise ConfigError(f"{name}: {value} is outside {low}-{high}")
    return value


@dataclass(frozen=True)
class ChannelSettings:
    """Environment variables (a channel is off while its token is unset):

    PUBLIC_BASE_URL: the public https address of this service (behind a proxy), used to verify Twilio
    signatures and to build callback URLs.
    TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET (webhook mode when set, long polling otherwise),
    TELEGRAM_API_BASE_URL (https://api.telegram.org; a local Bot API server or a test fake).
    TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER (the number SMS are sent from),
    TWILIO_API_BASE_URL (https://api.twilio.com; a test fake), SMS_MAX_SEGMENTS (4).
    NEUVO_ADVISOR_PHONE (the advisors' line the voice line connects to), NEUVO_ADVISOR_HOURS
    (e.g. mon-fri=09:00-15:00, Europe/Helsinki).
    """

    public_base_url: str = ""
    telegram_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_base_url: str = "https://api.telegram.org"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_phone_number: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    sms_max_segments: int = 4
    advisor_phone: str = ""
    advisor_hours: AdvisorHours = field(default_factory=AdvisorHours)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ChannelSettings:
        env = os.environ if environ is None else environ
        secret = env.get("TELEGRAM_WEBHOOK_SECRET", "")
        # Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - in a secret token.
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET: use 1-256 characters from A-Z, a-z, 0-9, _ and -")
        twilio_sid = env.get("TWILIO_ACCOUNT_SID", "")
        twilio_token = env.get("TWILIO_AUTH_TOKEN", "")
        if bool(twilio_sid) != bool(twilio_token):
            raise ConfigError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: set both or neither")
        public = _url(env, "PUBLIC_BASE_URL")
        if twilio_token and not public:
            raise ConfigError(
                "PUBLIC_BASE_URL: needed to verify Twilio's signatures (the address Twilio calls)"
            )
        return cls(
            public_base_url=public,
            telegram_token=env.get("TELEGRAM_BOT_TOKEN", ""),
            telegram_webhook_secret=secret,
            telegram_api_base_url=_url(env, "TELEGRAM_API_BASE_URL", "https://api.telegram.org"),
            twilio_account_sid=twilio_sid,
            twilio_auth_token=twilio_token,
            twilio_phone_number=env.get("TWILIO_PHONE_NUMBER", ""),
            twilio_api_base_url=_url(env, "TWILIO_API_BASE_URL", "https://api.twilio.com"),
            sms_max_segments=_int(env, "SMS_MAX_SEGMENTS", 4, 1, 10),
            advisor_phone=env.get("NEUVO_ADVISOR_PHONE", ""),
            advisor_hours=AdvisorHours.parse(env.get("NEUVO_ADVISOR_HOURS", "")),
        )

    def __repr__(self) -> str:  # secrets must not end up in logs or tracebacks
        return (
            f"ChannelSettings(public_base_url={self.public_base_url!r}, "
            f"telegram={'on' if self.telegram_token else 'off'}, "
            f"twilio={'on' if self.twilio_auth_token else 'off'})"
        )
