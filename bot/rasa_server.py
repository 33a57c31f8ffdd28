"""How one Rasa process is started: its command line, its environment, and which endpoints file it reads.

Development (the default) uses `endpoints.yml`: trackers and locks in memory, one Rasa process. Production
mode (DATABASE_URL on PostgreSQL and REDIS_URL set) uses `endpoints.production.yml`: trackers in PostgreSQL
and locks in Redis, so several Rasa processes, on one machine or several, can serve the same conversations.
Rasa fails on a `${VAR}` that is not set, so the variables that file names are derived here from DATABASE_URL
and REDIS_URL; each can be overridden by setting it.

`python -m bot.rasa_server --port 5005` starts one Rasa process this way (the Procfile and systemd use it).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.config import REPO_ROOT, ConfigError

DEVELOPMENT_ENDPOINTS = REPO_ROOT / "endpoints.yml"
PRODUCTION_ENDPOINTS = REPO_ROOT / "endpoints.production.yml"
_POSTGRES_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class RasaEndpoints:
    """The endpoints file Rasa should read and the variables it expands."""

    path: Path
    variables: dict[str, str]

    @property
    def production(self) -> bool:
        return self.path == PRODUCTION_ENDPOINTS


def is_postgres(database_url: str) -> bool:
    return urlsplit(database_url).scheme.split("+", 1)[0] in _POSTGRES_SCHEMES


def select_endpoints(env: Mapping[str, str]) -> RasaEndpoints:
    """Production stores when DATABASE_URL is PostgreSQL and REDIS_URL is set, else the in-memory ones.

    NEUVO_RASA_ENDPOINTS names another file explicitly (its variables are then the operator's business).
    """
    explicit = env.get("NEUVO_RASA_ENDPOINTS")
    if explicit:
        path = Path(explicit) if Path(explicit).is_absolute() else REPO_ROOT / explicit
        if not path.is_file():
            raise ConfigError(f"NEUVO_RASA_ENDPOINTS: {path} does not exist")
        return RasaEndpoints(path, {})
    database_url = env.get("DATABASE_URL", "")
    redis_url = env.get("REDIS_URL", "")
    if not (database_url and is_postgres(database_url) and redis_url):
        return RasaEndpoints(DEVELOPMENT_ENDPOINTS, {})
    variables = {**_tracker_variables(database_url), **_lock_variables(redis_url)}
    app_port = env.get("APP_PORT", "8000")
    variables["NEUVO_ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{app_port}/webhook"
    # A variable the operator set wins over the derived one.
    return RasaEndpoints(PRODUCTION_ENDPOINTS, {k: env.get(k) or v for k, v in variables.items()})


def _tracker_variables(database_url: str) -> dict[str, str]:
    url = urlsplit(database_url)
    database = url.path.lstrip("/")
    if not database:
        raise ConfigError("DATABASE_URL: names no database (postgresql://user@host:5432/NAME)")
    try:
        port = url.port or 5432
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL: {exc}") from exc
    return {
        "RASA_TRACKER_HOST": url.hostname or "127.0.0.1",
        "RASA_TRACKER_PORT": str(port),
        # Rasa's table is called `events`: a database of its own keeps it apart from the app's tables.
        "RASA_TRACKER_DB": f"{database}_rasa",
        "RASA_TRACKER_USER": unquote(url.username) if url.username else getpass.getuser(),
        "RASA_TRACKER_PASSWORD": unquote(url.password or ""),
        # Rasa connects here first and creates RASA_TRACKER_DB when it is missing.
        "RASA_TRACKER_LOGIN_DB": database,
    }


def _lock_variables(redis_url: str) -> dict[str, str]:
    url = urlsplit(redis_url)
    if url.scheme != "redis":
        raise ConfigError(
            f"REDIS_URL: Rasa's lock store needs redis://host:port/db (got {url.scheme}://); "
            "for TLS to Redis, point NEUVO_RASA_ENDPOINTS at your own endpoints file with use_ssl: true"
        )
    db = url.path.lstrip("/") or "0"
    if not db.isdigit():
        raise ConfigError(f"REDIS_URL: database {db!r} is not a number")
    try:
        port = url.port or 6379
    except ValueError as exc:
        raise ConfigError(f"REDIS_URL: {exc}") from exc
    return {
        "RASA_LOCK_HOST": url.hostname or "127.0.0.1",
        "RASA_LOCK_PORT": str(port),
        "RASA_LOCK_DB": db,
        "RASA_LOCK_PASSWORD": unquote(url.password or ""),
    }


def rasa_command(
    rasa_bin: Path, model: Path, token: str, port: int, endpoints: Path, interface: str = "127.0.0.1"
) -> list[str]:
    return [
        str(rasa_bin),
        "run",
        "--enable-api",
        f"--auth-token={token}",  # one argument: a token starting with "-" must not read as an option
        "--interface",
        interface,
        "--port",
        str(port),
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        "credentials.yml",
    ]


def main(argv: list[str] | None = None) -> int:
    """Start one Rasa process in the foreground (replaces this process), configured from the environment."""
    from bot.launcher import MODELS, RASA_BIN, model_path, rasa_env

    parser = argparse.ArgumentParser(prog="python -m bot.rasa_server", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("RASA_PORT", "5005")))
    parser.add_argument("--interface", default=os.environ.get("RASA_INTERFACE", "127.0.0.1"))
    parser.add_argument("--model", type=Path, help="model file (default: the one for the current inputs)")
    args = parser.parse_args(argv)
    token = os.environ.get("NEUVO_RASA_TOKEN")
    if not token:
        print("error: NEUVO_RASA_TOKEN must be set (the secret the app and Rasa share)", file=sys.stderr)
        return 2
    model = args.model or model_path()
    if not model.is_file():
        newest = sorted(MODELS.glob("neuvo-*.tar.gz"), key=lambda p: p.stat().st_mtime)
        if not newest:
            print(f"error: no trained model in {MODELS}: run `neuvo rasa train`", file=sys.stderr)
            return 2
        model = newest[-1]
    env = rasa_env(token, int(os.environ.get("APP_PORT", "8000")))
    try:
        endpoints = select_endpoints(env)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    env.update(endpoints.variables)
    command = rasa_command(RASA_BIN, model, token, args.port, endpoints.path, args.interface)
    os.chdir(REPO_ROOT)
    os.execve(command[0], command, env)


if __name__ == "__main__":
    sys.exit(main())
