"""Alembic environment: the app's metadata, batch mode for SQLite, one migrator at a time on PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from bot.storage.schema import metadata

# Several app workers may start at once: on PostgreSQL an advisory lock lets one of them migrate.
_MIGRATION_LOCK = 7_361_944_218


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
