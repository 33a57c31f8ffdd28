"""One lock per conversation, so its messages are handled one at a time and in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class SenderLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:  # asyncio.Lock wakes waiters first-come, first-served
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:  # forget idle conversations: memory stays bounded
                del self._users[key]
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)
