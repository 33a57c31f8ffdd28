"""Signed session cookies and CSRF tokens (itsdangerous); nothing about a session is kept on the server.

A session names the account and its `session_version`: a new password or a disabled account raises the
version, which ends every session of that account. Each session carries its own CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "neuvo_console"
LOGIN_COOKIE = "neuvo_console_login"  # the login form's CSRF nonce, before there is a session
COOKIE_PATH = "/console"
LOGIN_FORM_MAX_AGE = 3600


@dataclass(frozen=True)
class SessionData:
    username: str
    version: int
    csrf: str


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


class SessionCodec:
    def __init__(self, secret: str, max_age_seconds: int) -> None:
        self._sessions = URLSafeTimedSerializer(secret, salt="neuvo-console-session")
        self._login = URLSafeTimedSerializer(secret, salt="neuvo-console-login")
        self.max_age = max_age_seconds

    def new_session(self, username: str, version: int) -> tuple[SessionData, str]:
        data = SessionData(username, version, secrets.token_urlsafe(32))
        return data, self._sessions.dumps({"u": data.username, "v": data.version, "c": data.csrf})

    def read_session(self, cookie: str | None) -> SessionData | None:
        """The session in a cookie, or None when it is missing, forged, expired or malformed."""
        if not cookie:
            return None
        try:
            raw = self._sessions.loads(cookie, max_age=self.max_age)
        except BadSignature:  # includes SignatureExpired
            return None
        if not isinstance(raw, dict):
            return None
        username, version, csrf = raw.get("u"), raw.get("v"), raw.get("c")
        if not isinstance(username, str) or not isinstance(version, int) or not isinstance(csrf, str):
            return None
        return SessionData(username, version, csrf)

    def new_login_nonce(self) -> tuple[str, str]:
        """(nonce for the form, signed cookie value): the login form's double-submit CSRF token."""
        nonce = secrets.token_urlsafe(24)
        return nonce, self._login.dumps(nonce)

    def login_nonce(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            nonce = self._login.loads(cookie, max_age=LOGIN_FORM_MAX_AGE)
        except BadSignature:
            return None
        return nonce if isinstance(nonce, str) else None
