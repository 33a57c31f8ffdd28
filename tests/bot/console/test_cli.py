"""`neuvo console user ...`: accounts from the command line; passwords never as arguments."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot.console import cli
from bot.console.accounts import AccountStore, LoginOutcome, Role
from bot.storage.console_models import AuditEntry
from bot.storage.store import ConversationStore

pytestmark = pytest.mark.unit


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("NEUVO_CONSOLE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("NEUVO_CONSOLE_ARGON2_MEMORY_KIB", "1024")
    return url


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="neuvo")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_add_list_disable_and_set_password(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEUVO_CONSOLE_PASSWORD", "first long password")
    assert run("console", "user", "add", "Root", "--role", "admin") == 0
    assert run("console", "user", "add", "root") == 1  # exists already
    assert "exists already" in capsys.readouterr().err
    accounts = AccountStore(ConversationStore(database))
    assert accounts.verify("root", "first long password").outcome is LoginOutcome.OK
    account = accounts.get("root")
    assert account is not None and account.role is Role.ADMIN

    assert run("console", "user", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(a["username"], a["role"], a["active"]) for a in listed] == [("root", "admin", True)]

    monkeypatch.setenv("NEUVO_CONSOLE_PASSWORD", "second long password")
    assert run("console", "user", "set-password", "root") == 0
    assert accounts.verify("root", "second long password").outcome is LoginOutcome.OK
    assert run("console", "user", "disable", "root") == 0
    assert accounts.verify("root", "second long password").outcome is LoginOutcome.WRONG
    assert run("console", "user", "disable", "ghost") == 1
    with ConversationStore(database).session() as s:
        actions = [(r.actor, r.action) for r in s.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == [("cli", "user.create"), ("cli", "user.password_reset"), ("cli", "user.disable")]


def test_a_password_is_never_an_argument(database: str) -> None:
    with pytest.raises(SystemExit):
        run("console", "user", "add", "root", "--password", "on the command line")


def test_without_a_terminal_or_variable_the_password_is_refused(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NEUVO_CONSOLE_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert run("console", "user", "add", "root") == 1
    assert "NEUVO_CONSOLE_PASSWORD" in capsys.readouterr().err
    monkeypatch.setenv("NEUVO_CONSOLE_PASSWORD", "short")
    assert run("console", "user", "add", "root") == 1
    assert "at least 12 characters" in capsys.readouterr().err
