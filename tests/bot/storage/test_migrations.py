"""Migrations: an empty database, one with the first release's data, and the way back (SQLite, PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from bot.storage import migrate
from bot.storage.schema import metadata
from bot.storage.store import ConversationStore, conversation_id_for

pytestmark = pytest.mark.integration


def _differences(url: str) -> list[object]:
    engine = create_engine(url)
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))


def test_migrations_build_the_same_schema_as_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    migrate.upgrade(engine)  # 0001 then 0002, step by step, on an empty database
    assert migrate.current(engine) == migrate.head()
    assert _differences(database_url) == []


def test_a_database_of_the_first_release_is_upgraded_with_its_data(database_url: str) -> None:
    engine = create_engine(database_url)
    migrate.upgrade(engine, "0001")
    with engine.begin() as connection:  # the first release made its tables with create_all: no revision row
        connection.execute(text("DROP TABLE alembic_version"))
    conv = conversation_id_for("web", "old-user")
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO conversations (id, channel, sender_id, language, language_locked, created_at,"
                " updated_at) VALUES (:id, 'web', 'old-user', 'fi', true, :now, :now)"
            ),
            {"id": conv, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO messages (conversation_id, direction, text, language, degraded, created_at)"
                " VALUES (:id, 'in', 'miten haen kelakorttia', 'fi', false, :now)"
            ),
            {"id": conv, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO escalations (conversation_id, status, reason, language, transcript, created_at)"
                " VALUES (:id, 'open', 'user_request', 'fi', '[]', :now)"
            ),
            {"id": conv, "now": now},
        )

    store = ConversationStore(database_url)  # upgrades on start
    assert migrate.current(store.engine) == migrate.head()
    record = store.conversation("web", "old-user")
    assert (record.id, record.language, record.language_locked) == (conv, "fi", True)
    assert store.messages(conv) == [("in", "miten haen kelakorttia")]
    assert store.message_records(conv)[0].kind == "text"
    [escalation] = store.escalations(conv)
    assert (escalation.reason, escalation.urgent) == ("user_request", False)
    assert _differences(database_url) == []


def test_downgrade_returns_to_the_first_release_and_upgrade_comes_back(database_url: str) -> None:
    store = ConversationStore(database_url)
    conv = store.conversation("sms", "+358401234567")
    store.add_escalation(
        conv.id, reason="safety", language="fi", summary=None, contact=None, transcript=[], urgent=True
    )
    migrate.downgrade(store.engine, "0001")
    tables = set(inspect(create_engine(database_url)).get_table_names())
    assert {"conversations", "messages", "escalations", "feedback"} <= tables
    assert not tables & {"outbox", "channel_identities", "audit_log", "roaming_bookings"}
    migrate.upgrade(store.engine)
    assert migrate.current(store.engine) == migrate.head()
    assert [e.reason for e in ConversationStore(database_url).escalations(conv.id)] == ["safety"]


def test_workers_starting_together_on_an_empty_database_all_start(database_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    if database_url.startswith("sqlite"):
        pytest.skip("one SQLite file serves one app process; several workers need PostgreSQL")
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: ConversationStore(database_url), range(4)))
    assert all(migrate.current(s.engine) == migrate.head() for s in stores)
