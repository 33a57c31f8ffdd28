"""Bringing a database to the current schema with Alembic (`neuvo db upgrade|downgrade|current`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"
# Not the key env.py takes per migration transaction: this one is held around the whole preparation.
_PREPARE_LOCK = 7_361_944_219


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def prepare(engine: Engine) -> None:
    """Bring the database to the current schema, whatever state it is in.

    - empty: create every table at once and record the current revision (fast, for new installs and tests);
    - made by the first release (tables, no revision recorded: it used `create_all`): record 0001, upgrade;
    - already under Alembic: upgrade to the head revision.

    Several workers starting together on PostgreSQL take turns (a session advisory lock), so one of them
    creates or upgrades and the others find the work done.
    """
    if engine.dialect.name != "postgresql":
        _prepare(engine)
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PREPARE_LOCK})
        try:
            _prepare(engine)
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PREPARE_LOCK})
            lock.commit()


def _prepare(engine: Engine) -> None:
    from bot.storage.schema import metadata

    tables = set(inspect(engine).get_table_names())
    if "alembic_version" in tables:
        upgrade(engine)
    elif "conversations" in tables:
        stamp(engine, "0001")
        upgrade(engine)
    else:
        metadata.create_all(engine)
        stamp(engine, "head")


@contextmanager
def _connection(engine: Engine) -> Iterator[Connection]:
    """A transaction for migrating. On SQLite foreign keys are off meanwhile: batch mode copies a table and
    drops the old one, and with foreign keys on that drop would cascade into the rows that refer to it."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                yield connection
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def stamp(engine: Engine, revision: str) -> None:
    with _connection(engine) as connection:
        config = _config(engine)
        config.attributes["connection"] = connection
        command.stamp(config, revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _connection(engine) as connection:
        config = _config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _connection(engine) as connection:
        config = _config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    return str(ScriptDirectory.from_config(_config_for_scripts()).get_current_head())


def _config_for_scripts() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
