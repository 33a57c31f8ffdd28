"""Settings of the roaming advisory from the environment, checked at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bot.config import ConfigError


def _number(
    env: dict[str, str] | os._Environ[str], name: str, default: float, low: float, high: float
) -> float:
    raw = env.get(name, str(default))
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {raw!r} is not a number") from exc
    if not low <= value <= high:
        raise ConfigError(f"{name}: {value:g} is outside {low:g}-{high:g}")
    return value


@dataclass(frozen=True)
class RoamingSettings:
    """Environment variables:

    NEUVO_REMINDER_HOUR (17): the hour (Finnish time, 0-23) of the day before a booked visit at which its
    reminder is sent. NEUVO_REMINDER_INTERVAL_SECONDS (60): how often the reminder job looks.
    NEUVO_BROADCAST_RATE_TELEGRAM (20) and NEUVO_BROADCAST_RATE_SMS (1): messages per second a broadcast
    sends on each channel (Telegram allows about 30 a second in all; a Twilio long code sends 1 a second).
    """

    reminder_hour: int = 17
    reminder_interval_seconds: float = 60.0
    broadcast_rate_telegram: float = 20.0
    broadcast_rate_sms: float = 1.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RoamingSettings:
        env = os.environ if environ is None else environ
        hour = _number(env, "NEUVO_REMINDER_HOUR", 17, 0, 23)
        if hour != int(hour):
            raise ConfigError(f"NEUVO_REMINDER_HOUR: {hour:g} is not a whole hour")
        return cls(
            reminder_hour=int(hour),
            reminder_interval_seconds=_number(env, "NEUVO_REMINDER_INTERVAL_SECONDS", 60, 1, 3600),
            broadcast_rate_telegram=_number(env, "NEUVO_BROADCAST_RATE_TELEGRAM", 20, 0.01, 30),
            broadcast_rate_sms=_number(env, "NEUVO_BROADCAST_RATE_SMS", 1, 0.01, 100),
        )

    def broadcast_rates(self) -> dict[str, float]:
        """Messages per second per channel; channels not named here get the slowest rate."""
        return {"telegram": self.broadcast_rate_telegram, "sms": self.broadcast_rate_sms}
