"""The "voice" output: a reply for a caller after the call (an advisor's answer) goes out as an SMS.

A phone call cannot be reached again once it ends, so the reply is sent by the SMS output to the number that
called. It is handed to the SMS output directly rather than through `hub.deliver("sms", ...)`: a failure is
raised once, as DeliveryFailed, and the hub's own `deliver("voice", ...)` turns it into one escalation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from channels.base import DeliveryFailed, Outgoing

if TYPE_CHECKING:
    from channels.hub import ChannelHub

# A caller id that can receive a text message; hidden numbers arrive as "anonymous" or similar.
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def can_text(number: str) -> bool:
    return bool(E164.match(number))


class VoiceOutput:
    name = "voice"

    def __init__(self) -> None:
        self._hub: ChannelHub | None = None

    def attach(self, hub: ChannelHub) -> None:
        self._hub = hub

    async def send(self, recipient_id: str, outgoing: Outgoing) -> None:
        if not can_text(recipient_id):
            raise DeliveryFailed("the caller's number is hidden: no text message can reach them")
        sms = self._hub.outputs.get("sms") if self._hub else None
        if sms is None:
            raise DeliveryFailed("no SMS output is configured to reach a caller")
        await sms.send(recipient_id, outgoing)
