"""`neuvo run`: train Rasa if its inputs changed, start Rasa and the app, wait until ready, stop cleanly.

Rasa runs from .venv-rasa (Python 3.10) bound to 127.0.0.1 with its HTTP API behind a per-run token; the app
runs from .venv (Python 3.11). Ctrl-C or SIGTERM stops both.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.config import REPO_ROOT, ConfigError
from bot.observability.logging import log_format_from_env, logging_config
from bot.rasa_server import rasa_command, select_endpoints

RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
LOG_DIR = REPO_ROOT / ".cache" / "neuvo"
MODELS = REPO_ROOT / "models"
TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "rasa_addons")


class LaunchError(RuntimeError):
    """Something the user must fix before the service can start; the message says what."""


def free_port() -> int:
    """A free TCP port on loopback (for runs that must not collide with a running service)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def training_inputs_hash(root: Path = REPO_ROOT) -> str:
    """A hash of everything a trained model depends on: config, domain, training data, custom components."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        files: Iterable[Path] = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.suffix in {".pyc"} or "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path = REPO_ROOT) -> Path:
    return MODELS / f"neuvo-{training_inputs_hash(root)}.tar.gz"


def rasa_env(token: str, app_port: int) -> dict[str, str]:
    env = {**os.environ, "NEUVO_RASA_TOKEN": token, "APP_PORT": str(app_port), "PYTHONPATH": str(REPO_ROOT)}
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Many requests at once on few cores: one thread per operation avoids oversubscribing the CPU.
    env.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", "1")
    env.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "1")
    return env


def ensure_model(*, quiet: bool = False) -> Path:
    """Export the knowledge questions, then train only when the training inputs changed."""
    from bot.config import KnowledgeSettings
    from bot.dialogue.nlu_export import export
    from bot.knowledge.loader import load_knowledge_base

    export(
        load_knowledge_base(KnowledgeSettings.from_env().entries_dir),
        REPO_ROOT / "data" / "nlu" / "knowledge_questions.yml",
    )
    target = model_path()
    if target.is_file():
        if not quiet:
            print(f"Rasa model is up to date: {target.relative_to(REPO_ROOT)}")
        return target
    if not RASA_BIN.exists():
        raise LaunchError(f"{RASA_BIN} is missing: run `make setup-rasa` (needs Python 3.10)")
    MODELS.mkdir(exist_ok=True)
    print("Training the Rasa model (data, domain or config changed); this takes a few minutes…", flush=True)
    started = time.perf_counter()
    command = [
        str(RASA_BIN),
        "train",
        "--data",
        "data",
        "--domain",
        "domain.yml",
        "--config",
        "config.yml",
        "--out",
        str(MODELS),
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    result = subprocess.run(command, cwd=REPO_ROOT, env=rasa_env("training", 0), check=False)
    if result.returncode != 0 or not target.is_file():
        raise LaunchError(f"Rasa training failed (exit {result.returncode}); see the output above")
    for old in MODELS.glob("neuvo-*.tar.gz"):
        if old != target:
            old.unlink()
    print(f"Trained in {time.perf_counter() - started:.0f} s: {target.relative_to(REPO_ROOT)}", flush=True)
    return target


@dataclass
class Stack:
    """The two processes of a running service."""

    rasa: subprocess.Popen[bytes] | None
    app: subprocess.Popen[bytes]
    app_url: str
    rasa_url: str
    token: str

    def stop(self, timeout: float = 15.0) -> None:
        for proc in (self.app, self.rasa):
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in (self.app, self.rasa):
            if proc is None:
                continue
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def rasa_log_path(rasa_port: int) -> Path:
    return LOG_DIR / f"rasa-{rasa_port}.log"


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_rasa(model: Path, token: str, app_port: int, rasa_port: int) -> subprocess.Popen[bytes]:
    """Start Rasa in the background; its output goes to .cache/neuvo/rasa-<port>.log."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    env = rasa_env(token, app_port)
    try:
        endpoints = select_endpoints(env)  # PostgreSQL + Redis stores in production mode, else in memory
    except ConfigError as exc:
        raise LaunchError(str(exc)) from exc
    env.update(endpoints.variables)
    command = rasa_command(RASA_BIN, model, token, rasa_port, endpoints.path)
    log_file = rasa_log_path(rasa_port).open("ab")
    try:
        return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    finally:
        log_file.close()  # the child keeps its own handle


def start_app(token: str, app_port: int, rasa_port: int, host: str = "127.0.0.1") -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEUVO_RASA_TOKEN": token, "APP_PORT": str(app_port), "RASA_PORT": str(rasa_port)}
    env.setdefault("NEUVO_TORCH_THREADS", "1")  # the service handles many messages at once
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bot.app.main:create_app",
        "--host",
        host,
        "--port",
        str(app_port),
        "--timeout-graceful-shutdown",  # an open console event stream must not hold up a stop
        "5",
        "--log-level",
        "warning",
    ]
    try:
        log_format, log_level = log_format_from_env(env)
    except ConfigError as exc:
        raise LaunchError(str(exc)) from exc
    if log_format:  # NEUVO_LOG_FORMAT=json|text: every logger through the redaction filter
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        config = LOG_DIR / f"logging-{app_port}.json"
        config.write_text(json.dumps(logging_config(log_format == "json", log_level)), encoding="utf-8")
        command[-2:] = ["--log-level", log_level.lower(), "--log-config", str(config)]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env)


def wait_ready(stack: Stack, timeout: float) -> str:
    """Wait for the app to answer and Rasa to be loaded; returns the last health status seen."""
    deadline = time.monotonic() + timeout
    status = "starting"
    while time.monotonic() < deadline:
        if stack.app.poll() is not None:
            raise LaunchError(f"the app stopped during start-up (exit {stack.app.returncode})")
        if stack.rasa is not None and stack.rasa.poll() is not None:
            port = int(stack.rasa_url.rsplit(":", 1)[1])
            raise LaunchError(
                f"Rasa stopped during start-up (exit {stack.rasa.returncode}); the end of its log:\n"
                + log_tail(rasa_log_path(port))
            )
        try:
            status = httpx.get(f"{stack.app_url}/healthz", timeout=2).json()["status"]
        except (httpx.HTTPError, ValueError, KeyError):
            status = "starting"
        if status == "ok":
            return status
        time.sleep(0.5)
    return status


def start_stack(app_port: int, rasa_port: int, *, with_rasa: bool = True, timeout: float = 240.0) -> Stack:
    token = os.environ.get("NEUVO_RASA_TOKEN") or secrets.token_urlsafe(24)
    model = ensure_model() if with_rasa else None
    rasa = start_rasa(model, token, app_port, rasa_port) if model else None
    app = start_app(token, app_port, rasa_port, host=os.environ.get("APP_HOST", "127.0.0.1"))
    stack = Stack(rasa, app, f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{rasa_port}", token)
    try:
        status = wait_ready(stack, timeout)
    except BaseException:
        stack.stop()
        raise
    if status != "ok":
        print(f"warning: the service is {status!r} (Rasa not ready); answering from the knowledge base only")
    return stack


def run(app_port: int, rasa_port: int) -> int:
    started = time.perf_counter()
    try:
        stack = start_stack(app_port, rasa_port)
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"\nNeuvo is running (ready in {time.perf_counter() - started:.0f} s)\n"
        f"  web chat:  {stack.app_url}/\n  API:       POST {stack.app_url}/api/chat\n"
        f"  health:    {stack.app_url}/healthz\n  Rasa:      {stack.rasa_url} (loopback only; log in "
        f"{rasa_log_path(rasa_port).relative_to(REPO_ROOT)})\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        while not stopping:
            if stack.app.poll() is not None:
                print(f"error: the app stopped (exit {stack.app.returncode})", file=sys.stderr)
                break
            if stack.rasa and stack.rasa.poll() is not None:
                print("warning: Rasa stopped; the app answers from the knowledge base only", file=sys.stderr)
                stack.rasa = None
            time.sleep(0.5)
    finally:
        print("stopping…", flush=True)
        stack.stop()
    return 0 if stopping else 1
