"""A real running service (Rasa + app) for end-to-end tests; trains the Rasa model first if needed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.launcher import RASA_BIN, Stack, free_port, log_tail, rasa_log_path, start_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if not RASA_BIN.exists():
        pytest.skip(f"Rasa is not installed at {RASA_BIN}: run `make setup-rasa`")
    rasa_port = free_port()
    running = start_stack(free_port(), rasa_port, timeout=300)
    if running.rasa is None or running.rasa.poll() is not None:
        running.stop()
        pytest.fail("Rasa did not start; the end of its log:\n" + log_tail(rasa_log_path(rasa_port)))
    yield running
    running.stop()
