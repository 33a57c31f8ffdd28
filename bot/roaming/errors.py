"""What can go wrong in the roaming advisory, as the callers need to tell it apart."""

from __future__ import annotations

from enum import StrEnum


class RoamingError(RuntimeError):
    """Base of the roaming advisory's errors."""


class Refusal(StrEnum):
    FULL = "full"
    NOT_FOUND = "not_found"
    PAST = "past"
    ALREADY = "already"
    CANCELLED = "cancelled"  # the visit, event or training itself was called off


class BookingRefused(RoamingError):
    """A booking or a training registration was not made; `reason` says why (each has a text for people)."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


class NotFound(RoamingError):
    """No such booking, visit, event or training (or it is not this person's)."""
