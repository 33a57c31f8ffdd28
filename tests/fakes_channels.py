"""A collecting output channel: records what would have been sent, for tests of the channel hub's users."""

from __future__ import annotations

from dataclasses import dataclass, field

from channels.base import DeliveryFailed, Outgoing


@dataclass
class CollectingOutput:
    name: str
    sent: list[tuple[str, Outgoing]] = field(default_factory=list)
    fail: bool = False

    async def send(self, recipient_id: str, outgoing: Outgoing) -> None:
        if self.fail:
            raise DeliveryFailed("refused by the fake")
        self.sent.append((recipient_id, outgoing))

    def texts(self) -> list[str]:
        return [m.text for _, o in self.sent for m in o.messages]
