"""`neuvo run` starts Rasa with the endpoints file its environment needs, and the app with the log format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot import launcher

pytestmark = pytest.mark.unit


class Recorder:
    """Stands in for subprocess.Popen: keeps the command line and environment of each start."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def __call__(self, command: list[str], **kwargs: Any) -> Any:
        self.calls.append((command, kwargs["env"]))
        return object()


@pytest.fixture
def popen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(launcher.subprocess, "Popen", recorder)
    monkeypatch.setattr(launcher, "LOG_DIR", tmp_path)
    for name in ("DATABASE_URL", "REDIS_URL", "NEUVO_LOG_FORMAT", "NEUVO_LOG_LEVEL", "NEUVO_RASA_ENDPOINTS"):
        monkeypatch.delenv(name, raising=False)
    return recorder


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_rasa_keeps_memory_stores_by_default(popen: Recorder, tmp_path: Path) -> None:
    launcher.start_rasa(tmp_path / "model.tar.gz", "tok", 8001, 5011)
    command, _ = popen.calls[0]
    assert option(command, "--endpoints").endswith("/endpoints.yml")


def test_rasa_gets_the_production_stores_with_postgres_and_redis(
    popen: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://neuvo@db:5432/neuvo")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/3")
    launcher.start_rasa(tmp_path / "model.tar.gz", "tok", 8001, 5011)
    command, env = popen.calls[0]
    assert option(command, "--endpoints").endswith("/endpoints.production.yml")
    assert (env["RASA_TRACKER_HOST"], env["RASA_TRACKER_DB"], env["RASA_LOCK_DB"]) == (
        "db",
        "neuvo_rasa",
        "3",
    )
    assert env["NEUVO_ACTION_ENDPOINT_URL"] == "http://127.0.0.1:8001/webhook"


def test_a_bad_redis_url_stops_the_launch_naming_it(popen: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://neuvo@db/neuvo")
    monkeypatch.setenv("REDIS_URL", "rediss://cache:6379/0")
    with pytest.raises(launcher.LaunchError, match="REDIS_URL"):
        launcher.start_rasa(Path("model.tar.gz"), "tok", 8001, 5011)
    assert popen.calls == []


def test_the_app_logs_json_through_the_redaction_filter_when_asked(
    popen: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    launcher.start_app("tok", 8001, 5011)
    assert "--log-config" not in popen.calls[0][0]  # unset: uvicorn's own logging, as before
    monkeypatch.setenv("NEUVO_LOG_FORMAT", "json")
    monkeypatch.setenv("NEUVO_LOG_LEVEL", "debug")
    launcher.start_app("tok", 8001, 5011)
    command, _ = popen.calls[1]
    assert option(command, "--log-level") == "debug"
    config = json.loads(Path(option(command, "--log-config")).read_text())
    assert config["handlers"]["main"]["filters"] == ["redact"]
    assert config["formatters"]["main"]["()"].endswith("JsonFormatter")
