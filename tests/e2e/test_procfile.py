"""deploy/Procfile as written: its app and Rasa lines start here, become healthy together, and stop cleanly.

Each line runs through /bin/sh from the repository root, as honcho and foreman run it, with free loopback
ports, a fresh PostgreSQL database and Redis (skipped, with the reason, when either is absent). There is no
outbox process: the app workers deliver the outbox.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.launcher import MODELS, RASA_BIN, REPO_ROOT, free_port
from tests.databases import POSTGRES_ADMIN_URL, fresh_postgres_database, redis_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROCFILE = REPO_ROOT / "deploy" / "Procfile"


def procfile_lines(path: Path = PROCFILE) -> dict[str, str]:
    processes: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, command = line.partition(":")
        assert name.isidentifier() and command.strip(), f"not a Procfile line: {raw!r}"
        assert name not in processes, f"{name} is defined twice"
        processes[name] = command.strip()
    return processes


def test_the_procfile_names_every_process() -> None:
    processes = procfile_lines()
    assert set(processes) == {"app", "rasa1", "rasa2"}
    assert "--factory bot.app.main:create_app" in processes["app"] and "--workers" in processes["app"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_units_are_valid(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the units as installed (paths pointed at this checkout): no complaint."""
    units = []
    for unit in (REPO_ROOT / "deploy" / "systemd").iterdir():
        name = unit.name.replace("@.service", "@8000.service")
        (tmp_path / name).write_text(unit.read_text().replace("/opt/neuvo", str(REPO_ROOT)))
        units.append(str(tmp_path / name))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
    )
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr
    )


def start(command: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """One Procfile line, in its own process group (uvicorn's workers and Rasa's children stop with it)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            ["/bin/sh", "-c", f"exec {command}"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_all(processes: dict[str, subprocess.Popen[bytes]], timeout: float = 45.0) -> dict[str, int | str]:
    """SIGTERM to each line's main process, as honcho and systemd's KillMode=mixed do; then the whole group
    must be gone within `timeout`. What is left is described, then killed.

    Not SIGTERM to the group: uvicorn's supervisor would see its workers die before it reads its own SIGTERM,
    and start new ones.
    """
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    codes: dict[str, int | str] = {}
    deadline = time.monotonic() + timeout
    for name, process in processes.items():
        try:
            code: int | str = process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            code = "did not stop on SIGTERM"
        while group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if group_alive(process.pid):
            code = (
                f"{code}; left running:\n"
                + subprocess.run(
                    ["ps", "-o", "pid,pgid,stat,wchan:20,args", "-g", str(process.pid)],
                    capture_output=True,
                    text=True,
                ).stdout
            )
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        codes[name] = code
    return codes


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def production_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    if not RASA_BIN.exists():
        pytest.skip(f"Rasa is not installed at {RASA_BIN}: run `make setup-rasa`")
    if not list(MODELS.glob("neuvo-*.tar.gz")):
        pytest.skip(f"no trained Rasa model in {MODELS}: run `neuvo rasa train`")
    redis_url = redis_or_skip()
    with fresh_postgres_database() as database_url:
        ports = {"APP_PORT": free_port(), "RASA1_PORT": free_port(), "RASA2_PORT": free_port()}
        (tmp_path / "metrics").mkdir()
        env = {
            **os.environ,
            **{k: str(v) for k, v in ports.items()},
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "RASA_URL": f"http://127.0.0.1:{ports['RASA1_PORT']},http://127.0.0.1:{ports['RASA2_PORT']}",
            "NEUVO_RASA_TOKEN": secrets.token_urlsafe(16),
            "WEB_CONCURRENCY": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            "NEUVO_TORCH_THREADS": "1",
        }
        try:
            yield env
        finally:
            import psycopg

            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
                rasa_db = database_url.rsplit("/", 1)[1] + "_rasa"
                conn.execute(f'DROP DATABASE IF EXISTS "{rasa_db}" WITH (FORCE)')


def test_the_app_and_both_rasa_lines_start_become_healthy_and_stop_cleanly(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    lines = procfile_lines()
    processes = {
        name: start(lines[name], production_env, tmp_path / f"{name}.log")
        for name in ("app", "rasa1", "rasa2")
    }
    app_url = f"http://127.0.0.1:{production_env['APP_PORT']}"
    try:
        deadline = time.monotonic() + 420
        health: object = "starting"

        def ready(health: object) -> bool:
            # The app reports ok as soon as one Rasa answers; the two Rasa lines may finish loading apart.
            if not isinstance(health, dict) or health.get("status") != "ok":
                return False
            return [i["reachable"] for i in health["rasa"]["instances"]] == [True, True]

        while not ready(health):
            for name, process in processes.items():
                if process.poll() is not None:
                    log = (tmp_path / f"{name}.log").read_text(errors="replace")[-3000:]
                    pytest.fail(f"{name} exited with {process.returncode}:\n{log}")
            assert time.monotonic() < deadline, f"/healthz never reached ok with both Rasa (last: {health})"
            time.sleep(1)
            try:
                health = httpx.get(f"{app_url}/healthz", timeout=5).json()
            except (httpx.HTTPError, ValueError):
                health = "starting"

        # Several workers answer; /metrics adds up all of them (multiprocess mode).
        def greet(n: int) -> dict[str, object]:
            reply = httpx.post(
                f"{app_url}/api/chat",
                json={"sender_id": f"procfile-{n}", "text": "hello", "language": "en", "channel": "procfile"},
                timeout=60,
            )
            assert reply.status_code == 200
            return dict(reply.json())

        with ThreadPoolExecutor(6) as pool:
            assert [r["intent"] for r in pool.map(greet, range(6))] == ["greet"] * 6
        metrics = httpx.get(f"{app_url}/metrics", timeout=10).text
        received = {
            s.labels.get("language"): s.value
            for f in text_string_to_metric_families(metrics)
            for s in f.samples
            if s.name == "neuvo_messages_received_total" and s.labels.get("channel") == "procfile"
        }
        assert received == {"en": 6}
        workers = {path.stem.rsplit("_", 1)[1] for path in (tmp_path / "metrics").glob("*.db")}
        assert len(workers) >= 2  # both workers write their metrics there (WEB_CONCURRENCY=2)
    finally:
        codes = stop_all(processes)
    assert codes == {"app": 0, "rasa1": 0, "rasa2": 0}, f"{codes}\n" + "\n".join(
        f"--- {name}.log:\n" + (tmp_path / f"{name}.log").read_text(errors="replace")[-2500:]
        for name, code in codes.items()
        if code != 0
    )
    # The app logs JSON lines through the redaction filter (deploy/logging.json).
    app_lines = [line for line in (tmp_path / "app.log").read_text().splitlines() if line.startswith("{")]
    assert app_lines and all(json.loads(line)["level"] for line in app_lines)
