"""Real PostgreSQL and Redis for tests: a fresh database per test, skipped with the reason when absent.

NEUVO_TEST_POSTGRES_URL (postgresql://postgres@127.0.0.1:5432/postgres) and NEUVO_TEST_REDIS_URL
(redis://127.0.0.1:6379/15) say where they are.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "NEUVO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("NEUVO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _postgres_problem() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {type(exc).__name__}"


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new empty database, dropped afterwards; skips the test when PostgreSQL is not there."""
    problem = _postgres_problem()
    if problem:
        pytest.skip(problem)
    import psycopg

    name = f"neuvo_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_or_skip() -> str:
    try:
        import redis
    except ImportError:
        pytest.skip("redis (the Python client) is not installed")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}")
    return REDIS_URL
