"""Which endpoints file Rasa runs with: in-memory stores by default, PostgreSQL + Redis in production mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError
from bot.rasa_server import DEVELOPMENT_ENDPOINTS, PRODUCTION_ENDPOINTS, select_endpoints

pytestmark = pytest.mark.unit

PRODUCTION = {
    "DATABASE_URL": "postgresql+psycopg://neuvo:s%40cret@db.internal:6432/neuvo",
    "REDIS_URL": "redis://:pw@cache.internal:6380/2",
    "APP_PORT": "8100",
}


def variables_in(path: Path) -> set[str]:
    lines = [
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")
    ]
    return set(re.findall(r"\$\{(\w+)\}", "\n".join(lines)))


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"DATABASE_URL": "sqlite:///x.db", "REDIS_URL": "redis://127.0.0.1:6379/0"},
        {"DATABASE_URL": "postgresql://u@h/neuvo"},  # no Redis: no lock store, so no second Rasa
    ],
)
def test_without_postgres_and_redis_rasa_keeps_its_stores_in_memory(env: dict[str, str]) -> None:
    chosen = select_endpoints(env)
    assert chosen.path == DEVELOPMENT_ENDPOINTS and not chosen.production and chosen.variables == {}
    stores = yaml.safe_load(DEVELOPMENT_ENDPOINTS.read_text(encoding="utf-8"))
    assert "tracker_store" not in stores and "lock_store" not in stores


def test_production_mode_derives_every_variable_the_file_needs() -> None:
    chosen = select_endpoints(PRODUCTION)
    assert chosen.production
    needed = variables_in(PRODUCTION_ENDPOINTS) - {"NEUVO_RASA_TOKEN"}  # the launcher always sets it
    assert needed <= set(chosen.variables)
    v = chosen.variables
    assert (v["RASA_TRACKER_HOST"], v["RASA_TRACKER_PORT"]) == ("db.internal", "6432")
    assert (v["RASA_TRACKER_USER"], v["RASA_TRACKER_PASSWORD"]) == ("neuvo", "s@cret")
    assert (v["RASA_TRACKER_DB"], v["RASA_TRACKER_LOGIN_DB"]) == ("neuvo_rasa", "neuvo")
    assert (v["RASA_LOCK_HOST"], v["RASA_LOCK_PORT"], v["RASA_LOCK_DB"]) == ("cache.internal", "6380", "2")
    assert v["RASA_LOCK_PASSWORD"] == "pw"
    assert v["NEUVO_ACTION_ENDPOINT_URL"] == "http://127.0.0.1:8100/webhook"


def test_a_variable_the_operator_set_wins() -> None:
    chosen = select_endpoints({**PRODUCTION, "RASA_TRACKER_DB": "trackers", "RASA_LOCK_DB": "5"})
    assert chosen.variables["RASA_TRACKER_DB"] == "trackers" and chosen.variables["RASA_LOCK_DB"] == "5"


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({**PRODUCTION, "DATABASE_URL": "postgresql://u@h:5432/"}, "DATABASE_URL"),
        ({**PRODUCTION, "REDIS_URL": "rediss://h:6379/0"}, "REDIS_URL"),
        ({**PRODUCTION, "REDIS_URL": "redis://h:6379/cache"}, "REDIS_URL"),
        ({"NEUVO_RASA_ENDPOINTS": "no-such-endpoints.yml"}, "NEUVO_RASA_ENDPOINTS"),
    ],
)
def test_a_bad_setting_fails_naming_it(env: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError, match=setting):
        select_endpoints(env)
