"""The console's settings from the environment, checked at start-up; the session secret is never printed."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field

from bot.config import ConfigError

log = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32


def _int(env: dict[str, str] | os._Environ[str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, str(default))
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from exc
    if not low <= value <= high:
        raise ConfigError(f"{name}: {value} is outside {low}-{high}")
    return value


def _flag(env: dict[str, str] | os._Environ[str], name: str) -> bool:
    raw = env.get(name, "0").strip().lower()
    if raw in {"1", "true", "yes"}:
        return True
    if raw in {"", "0", "false", "no"}:
        return False
    raise ConfigError(f"{name}: {raw!r} is not 1 or 0")


@dataclass(frozen=True)
class ConsoleConfig:
    """Environment variables:

    NEUVO_SESSION_SECRET: signs session cookies (at least 32 characters); without it a random secret is made
    per process, so sessions end when the app restarts and several workers do not share them.
    NEUVO_CONSOLE_SECURE_COOKIES: 1 marks cookies Secure (served over https only).
    NEUVO_CONSOLE_LOCKOUT_ATTEMPTS (20) wrong passwords in a row lock an account for
    NEUVO_CONSOLE_LOCKOUT_MINUTES (15). NEUVO_CONSOLE_SESSION_HOURS (12): how long a login lasts.
    NEUVO_CONSOLE_ARGON2_TIME_COST (3) and NEUVO_CONSOLE_ARGON2_MEMORY_KIB (65536): the cost of new password
    hashes (RFC 9106's low-memory profile by default); stored hashes keep theirs and are upgraded at login.
    """

    session_secret: str = field(repr=False)
    secure_cookies: bool = False
    lockout_attempts: int = 20
    lockout_minutes: int = 15
    session_hours: int = 12
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ConsoleConfig:
        env = os.environ if environ is None else environ
        secret = env.get("NEUVO_SESSION_SECRET", "")
        if secret and len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(f"NEUVO_SESSION_SECRET: use at least {MIN_SECRET_LENGTH} random characters")
        if not secret:
            log.warning(
                "NEUVO_SESSION_SECRET is not set: using a random per-process secret "
                "(console logins end when the app restarts)"
            )
            secret = secrets.token_urlsafe(48)
        return cls(
            session_secret=secret,
            secure_cookies=_flag(env, "NEUVO_CONSOLE_SECURE_COOKIES"),
            lockout_attempts=_int(env, "NEUVO_CONSOLE_LOCKOUT_ATTEMPTS", 20, 1, 1000),
            lockout_minutes=_int(env, "NEUVO_CONSOLE_LOCKOUT_MINUTES", 15, 1, 24 * 60),
            session_hours=_int(env, "NEUVO_CONSOLE_SESSION_HOURS", 12, 1, 24 * 7),
            **argon2_costs(env),
        )


def argon2_costs(environ: dict[str, str] | os._Environ[str] | None = None) -> dict[str, int]:
    """The argon2 cost settings alone (the command line needs them, not the session secret)."""
    env = os.environ if environ is None else environ
    return {
        "argon2_time_cost": _int(env, "NEUVO_CONSOLE_ARGON2_TIME_COST", 3, 1, 20),
        "argon2_memory_kib": _int(env, "NEUVO_CONSOLE_ARGON2_MEMORY_KIB", 65536, 1024, 4 * 1024 * 1024),
    }
