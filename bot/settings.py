"""Typed settings of the application and the launcher, read from the environment and checked at start-up."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.config import REPO_ROOT, ConfigError


def _port(env: dict[str, str] | os._Environ[str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    try:
        port = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {raw!r} is not a port number") from exc
    if not 1 <= port <= 65535:
        raise ConfigError(f"{name}: {port} is outside 1-65535")
    return port


def _seconds(env: dict[str, str] | os._Environ[str], name: str, default: float) -> float:
    raw = env.get(name, str(default))
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {raw!r} is not a number of seconds") from exc
    if value <= 0:
        raise ConfigError(f"{name}: must be positive")
    return value


def _whole(env: dict[str, str] | os._Environ[str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, str(default))
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from exc
    if not low <= value <= high:
        raise ConfigError(f"{name}: {value} is outside {low}-{high}")
    return value


def _redis_url(env: dict[str, str] | os._Environ[str]) -> str:
    url = env.get("REDIS_URL", "")
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"REDIS_URL: {url!r} is not a redis:// URL")
    return url


def _outbox(env: dict[str, str] | os._Environ[str], database_url: str) -> bool:
    raw = env.get("NEUVO_OUTBOX", "auto").lower()
    if raw not in {"auto", "on", "off"}:
        raise ConfigError(f"NEUVO_OUTBOX: {raw!r} is not auto, on or off")
    return raw == "on" or (raw == "auto" and database_url.startswith("postgresql"))


@dataclass(frozen=True)
class AppSettings:
    """Environment variables:

    APP_PORT (8000), RASA_PORT (5005), RASA_URL (http://127.0.0.1:$RASA_PORT; several Rasa servers that share
    their stores as a comma-separated list, see `HttpRasaClient`), NEUVO_RASA_TOKEN (shared secret
    between the app and Rasa; the launcher generates one per run), RASA_TIMEOUT_SECONDS (2: slower means
    degraded mode), DATABASE_URL (sqlite under .cache/neuvo/), NEUVO_DOMAIN (domain.yml),
    NEUVO_RETENTION_DAYS (180: idle conversations are erased after this), NEUVO_NO_ANSWER_MINUTES (60: a
    person whose escalation nobody answered by then is told it is still queued), NEUVO_OUTBOX (auto: replies
    go through the outbox table on PostgreSQL; on, off), REDIS_URL (several workers: shared per-person locks
    and console live updates).
    """

    app_port: int
    rasa_port: int
    rasa_url: str
    rasa_token: str
    rasa_timeout: float
    database_url: str
    domain_path: Path
    retention_days: int = 180
    no_answer_minutes: int = 60
    rasa_token_given: bool = True  # False when the token was generated here (no Rasa shares it)
    outbox: bool = False
    redis_url: str = ""

    @property
    def rasa_urls(self) -> tuple[str, ...]:
        """Every Rasa server in RASA_URL (`rasa_url` is the comma-separated form `HttpRasaClient` takes)."""
        return tuple(self.rasa_url.split(","))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> AppSettings:
        env = os.environ if environ is None else environ
        app_port = _port(env, "APP_PORT", 8000)
        rasa_port = _port(env, "RASA_PORT", 5005)
        rasa_urls = [u.strip().rstrip("/") for u in (env.get("RASA_URL") or "").split(",") if u.strip()]
        for url in rasa_urls:
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"RASA_URL: {url!r} is not an http(s) URL")
        if len(set(rasa_urls)) != len(rasa_urls):
            raise ConfigError("RASA_URL: lists the same server twice")
        rasa_url = ",".join(rasa_urls) or f"http://127.0.0.1:{rasa_port}"
        token = env.get("NEUVO_RASA_TOKEN") or secrets.token_urlsafe(24)
        db_default = f"sqlite:///{REPO_ROOT / '.cache' / 'neuvo' / 'neuvo.db'}"
        domain = Path(env.get("NEUVO_DOMAIN") or REPO_ROOT / "domain.yml")
        if not domain.is_file():
            raise ConfigError(f"NEUVO_DOMAIN: {domain} does not exist")
        return cls(
            app_port=app_port,
            rasa_port=rasa_port,
            rasa_url=rasa_url,
            rasa_token=token,
            rasa_timeout=_seconds(env, "RASA_TIMEOUT_SECONDS", 2.0),
            database_url=env.get("DATABASE_URL") or db_default,
            domain_path=domain,
            retention_days=_whole(env, "NEUVO_RETENTION_DAYS", 180, 1, 3650),
            no_answer_minutes=_whole(env, "NEUVO_NO_ANSWER_MINUTES", 60, 1, 7 * 24 * 60),
            rasa_token_given=bool(env.get("NEUVO_RASA_TOKEN")),
            outbox=_outbox(env, env.get("DATABASE_URL") or db_default),
            redis_url=_redis_url(env),
        )
