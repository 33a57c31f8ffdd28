"""A collecting output channel: records what would have been sent, for tests of the channel hub's users."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from channels.base import DeliveryDeferred, DeliveryFailed, Outgoing


@dataclass
class CollectingOutput:
    """`fail`: refuse for good; `defer_next`: that many sends find the platform unreachable; `delay`: slow."""

    name: str
    sent: list[tuple[str, Outgoing]] = field(default_factory=list)
    fail: bool = False
    defer_next: int = 0
    delay: float = 0.0

    async def send(self, recipient_id: str, outgoing: Outgoing) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise DeliveryFailed("refused by the fake")
        if self.defer_next > 0:
            self.defer_next -= 1
            raise DeliveryDeferred("the fake platform is unreachable")
        self.sent.append((recipient_id, outgoing))

    def texts(self) -> list[str]:
        return [m.text for _, o in self.sent for m in o.messages]
