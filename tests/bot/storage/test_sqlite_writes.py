"""SQLite writers in one process take turns on a lock: every write lands, and the lock never stays taken."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.storage.models import InboundReceipt
from bot.storage.queues import DurableQueues
from bot.storage.store import ConversationStore

pytestmark = pytest.mark.unit


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(f"sqlite:///{tmp_path / 'writes.db'}")


def _lock(store: ConversationStore) -> threading.Lock:
    from bot.storage.sqlite_writes import _lock_for

    return _lock_for(str(store.engine.url.database))


def test_the_lock_is_free_after_commit_rollback_and_an_abandoned_session(store: ConversationStore) -> None:
    lock = _lock(store)
    store.conversation("telegram", "1")  # commits
    assert not lock.locked()

    with store.session() as s:
        s.begin()
        s.execute(insert(InboundReceipt).values(channel="sms", external_id="a", status="done"))
        assert lock.locked()  # held from the first write to the end of the transaction
        s.rollback()
    assert not lock.locked()

    with store.session() as s:  # written, then closed without commit or rollback
        s.execute(insert(InboundReceipt).values(channel="sms", external_id="b", status="done"))
    assert not lock.locked()

    with pytest.raises(ZeroDivisionError), store.session() as s, s.begin():
        s.execute(insert(InboundReceipt).values(channel="sms", external_id="c", status="done"))
        raise ZeroDivisionError
    assert not lock.locked()

    with store.session() as s:  # reads never take it
        s.execute(select(InboundReceipt)).all()
        assert not lock.locked()


def test_a_failed_write_gives_the_lock_back(store: ConversationStore) -> None:
    queues = DurableQueues(store.session_factory, "sqlite")
    assert queues.receive("telegram", "7", "{}", "42")
    assert not queues.receive("telegram", "7", "{}", "42")  # the unique key refuses it
    assert not _lock(store).locked()


def test_many_threads_writing_at_once_all_land(store: ConversationStore) -> None:
    queues = DurableQueues(store.session_factory, "sqlite")
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(40):
                queues.receive("telegram", f"{worker}-{i}", "{}", str(worker))
                store.conversation("telegram", f"{worker}-{i % 3}")
                queues.handled("telegram", f"{worker}-{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.session() as s:
        done = select(func.count()).select_from(InboundReceipt).where(InboundReceipt.status == "done")
        assert s.scalar(done) == 320
    assert not _lock(store).locked()
