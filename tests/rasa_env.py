"""Running a script in Rasa's own environment (.venv-rasa), to test the code Rasa loads (rasa_addons/)."""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.config import REPO_ROOT
from bot.launcher import RASA_BIN

RASA_PYTHON = RASA_BIN.with_name("python")


def run_in_rasa_env(script: str) -> dict[str, object]:
    """Runs `script` with Rasa's Python in the repository; returns the JSON object its last line prints.

    Skips the test, with the reason, when Rasa's environment is not installed.
    """
    if not RASA_PYTHON.exists():
        pytest.skip(f"Rasa's environment is not installed at {RASA_PYTHON}: run `make setup-rasa`")
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
