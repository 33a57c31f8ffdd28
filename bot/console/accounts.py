"""Advisor and admin accounts: argon2 password hashes, and a lock after too many wrong passwords.

Blocking (database and argon2): call from async code through a worker thread.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.console.clock import as_utc
from bot.console.errors import Conflict, InvalidInput, NotFound
from bot.storage.console_models import ConsoleUser
from bot.storage.models import utcnow
from bot.storage.store import ConversationStore

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 12
RESERVED_USERNAMES = frozenset(
    {"system", "erased", "bot", "cli", "unknown"}
)  # authors the console writes itself
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only bounds the work one request can cause


class Role(StrEnum):
    ADVISOR = "advisor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    active: bool
    session_version: int
    failed_logins: int
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class LoginOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # unknown user, wrong password or disabled account: told apart only in the audit log
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    account: Account | None = None
    locked_until: dt.datetime | None = None
    reason: str = ""  # for the audit log: unknown, disabled, password, locked


def _account(row: ConsoleUser) -> Account:
    return Account(
        username=row.username,
        role=Role(row.role),
        active=bool(row.active),
        session_version=int(row.session_version or 0),
        failed_logins=int(row.failed_logins or 0),
        locked_until=as_utc(row.locked_until) if row.locked_until else None,
        last_login_at=as_utc(row.last_login_at) if row.last_login_at else None,
    )


def check_username(username: str) -> str:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput("username: 2-64 characters from a-z, 0-9, '.', '_' and '-'")
    if username in RESERVED_USERNAMES:
        raise InvalidInput(f"username: {username!r} is reserved")
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"password: at most {MAX_PASSWORD_LENGTH} characters")
    return password


def password_hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=4)


class AccountStore:
    def __init__(
        self,
        store: ConversationStore,
        hasher: PasswordHasher | None = None,
        *,
        lockout_attempts: int = 20,
        lockout: dt.timedelta = dt.timedelta(minutes=15),
    ) -> None:
        self._store = store
        self._hasher = hasher or PasswordHasher()
        self._lockout_attempts = lockout_attempts
        self._lockout = lockout
        self._dummy_hash: str | None = None

    def create(self, username: str, password: str, role: Role) -> Account:
        username = check_username(username)
        row = ConsoleUser(
            username=username,
            password_hash=self._hasher.hash(check_password(password)),
            role=role.value,
            active=True,
            failed_logins=0,
            session_version=0,
        )
        try:
            with self._store.session() as s, s.begin():
                s.add(row)
        except IntegrityError as exc:
            raise Conflict(f"the account {username!r} exists already") from exc
        return _account(row)

    def get(self, username: str) -> Account | None:
        with self._store.session() as s:
            row = s.get(ConsoleUser, username)
            return _account(row) if row else None

    def all(self) -> list[Account]:
        with self._store.session() as s:
            return [_account(r) for r in s.scalars(select(ConsoleUser).order_by(ConsoleUser.username))]

    def set_active(self, username: str, active: bool) -> None:
        """Disabling ends the account's sessions at once; enabling also lifts a lock."""
        with self._store.session() as s, s.begin():
            row = self._row(s, username)
            row.active = active
            row.session_version = int(row.session_version or 0) + 1
            if active:
                row.failed_logins, row.locked_until = 0, None

    def end_sessions(self, username: str) -> None:
        with self._store.session() as s, s.begin():
            row = self._row(s, username)
            row.session_version = int(row.session_version or 0) + 1

    def set_password(self, username: str, password: str) -> None:
        """A new password ends the account's sessions and lifts a lock."""
        hashed = self._hasher.hash(check_password(password))
        with self._store.session() as s, s.begin():
            row = self._row(s, username)
            row.password_hash = hashed
            row.session_version = int(row.session_version or 0) + 1
            row.failed_logins, row.locked_until = 0, None

    def verify(self, username: str, password: str, now: dt.datetime | None = None) -> LoginResult:
        """Check a login. The N-th wrong password in a row locks the account for the lockout period."""
        now = now or utcnow()
        username = username.strip().lower()
        with self._store.session() as s:
            row = s.get(ConsoleUser, username) if USERNAME.match(username) else None
            stored = row.password_hash if row else None
            locked_until = as_utc(row.locked_until) if row and row.locked_until else None
            active = bool(row.active) if row else False
        if row is None or stored is None:
            self._burn(password)  # as slow as a real check, so timing does not tell which names exist
            return LoginResult(LoginOutcome.WRONG, reason="unknown")
        if locked_until and locked_until > now:
            return LoginResult(LoginOutcome.LOCKED, locked_until=locked_until, reason="locked")
        if not self._matches(stored, password):
            return self._count_failure(username, now)
        if not active:
            return LoginResult(LoginOutcome.WRONG, reason="disabled")
        with self._store.session() as s, s.begin():
            row = self._row(s, username)
            row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hasher.hash(password)
            return LoginResult(LoginOutcome.OK, _account(row))

    def _count_failure(self, username: str, now: dt.datetime) -> LoginResult:
        with self._store.session() as s, s.begin():
            # One UPDATE, so concurrent wrong guesses cannot overwrite each other's count.
            s.execute(
                update(ConsoleUser)
                .where(ConsoleUser.username == username)
                .values(failed_logins=ConsoleUser.failed_logins + 1)
            )
            row = self._row(s, username)
            s.refresh(row)
            if row.failed_logins >= self._lockout_attempts:
                row.failed_logins, row.locked_until = 0, now + self._lockout
                return LoginResult(LoginOutcome.LOCKED, locked_until=row.locked_until, reason="password")
        return LoginResult(LoginOutcome.WRONG, reason="password")

    def _matches(self, stored: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored, password))
        except VerifyMismatchError:
            return False
        except (InvalidHashError, VerificationError):
            return False  # a damaged hash cannot log anyone in; an admin resets the password

    def _burn(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        self._matches(self._dummy_hash, password)

    @staticmethod
    def _row(s: Session, username: str) -> ConsoleUser:
        row = s.get(ConsoleUser, username)
        if row is None:
            raise NotFound(f"no account {username!r}")
        return row
