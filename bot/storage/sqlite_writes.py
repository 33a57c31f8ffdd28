"""One writer at a time per SQLite file inside this process, waiting on a lock instead of polling the file.

SQLite lets one connection write at a time. A connection that finds the file locked retries on the busy
timeout's sleep schedule (1, 2, 5, 10 ... 100 ms), so under load a tiny insert — the one that stores a webhook
update before it is acknowledged — can wait a hundred milliseconds for a lock that was freed after one. Here a
connection takes a process-wide lock just before its first write statement and gives it back when its
transaction ends, so the next writer starts the moment the previous one commits. Other processes on the same
file still meet the busy timeout; PostgreSQL never needs this.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
_HELD = "neuvo_sqlite_write_lock"
LOCK_TIMEOUT_S = 30.0  # the same as the connections' busy timeout
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(database: str) -> threading.Lock:
    key = str(Path(database).resolve()) if database and database != ":memory:" else f"memory:{id(database)}"
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def serialize_writes(engine: Engine, database: str) -> None:
    """Make this engine's connections take the file's lock for each transaction that writes."""
    lock = _lock_for(database)

    def take(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _HELD not in conn.info and _WRITE.match(statement):
            # Bounded like SQLite's own busy timeout: a writer that never finishes surfaces as an error.
            if not lock.acquire(timeout=LOCK_TIMEOUT_S):
                raise sqlite3.OperationalError("database is locked (by another writer in this process)")
            conn.info[_HELD] = True

    def give_back(conn: Any) -> None:
        if conn.info.pop(_HELD, False):
            lock.release()

    def released_by_pool(connection_record: Any) -> None:
        # A connection returned to the pool mid-transaction is rolled back by the pool, not by a Connection.
        if connection_record.info.pop(_HELD, False):
            lock.release()

    def on_reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
        released_by_pool(connection_record)

    def on_close(dbapi_connection: Any, connection_record: Any) -> None:
        released_by_pool(connection_record)

    def on_invalidate(dbapi_connection: Any, connection_record: Any, exception: Any) -> None:
        released_by_pool(connection_record)

    event.listen(engine, "before_cursor_execute", take)
    event.listen(engine, "commit", give_back)
    event.listen(engine, "rollback", give_back)
    event.listen(engine.pool, "reset", on_reset)
    event.listen(engine.pool, "close", on_close)
    event.listen(engine.pool, "invalidate", on_invalidate)
