"""The console's exceptions. Their messages are written for advisors and hold no personal data."""

from __future__ import annotations


class ConsoleError(Exception):
    """A console operation was refused; `status` is the HTTP status the routes answer with."""

    status = 400


class InvalidInput(ConsoleError):
    """A form field is missing or wrong; the message names it."""


class NotFound(ConsoleError):
    status = 404


class Conflict(ConsoleError):
    """The record changed under the advisor (claimed by someone else, already resolved)."""

    status = 409


class AuthError(ConsoleError):
    """Raised by the one access dependency; the routes turn it into a login redirect or a refusal."""


class NotAuthenticated(AuthError):
    status = 401


class Forbidden(AuthError):
    status = 403


class CsrfRejected(Forbidden):
    """A state-changing request without the session's CSRF token."""
