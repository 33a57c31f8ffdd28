"""`neuvo console user add|list|disable|enable|set-password`: console accounts from the command line.

Passwords come from NEUVO_CONSOLE_PASSWORD or a prompt, never from an argument (arguments end up in shell
history and in the process list).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from bot.console.accounts import AccountStore, Role, check_password, password_hasher
from bot.console.audit import AuditLog
from bot.console.clock import format_local
from bot.console.config import argon2_costs
from bot.console.errors import ConsoleError
from bot.settings import AppSettings
from bot.storage.store import ConversationStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PASSWORD_VARIABLE = "NEUVO_CONSOLE_PASSWORD"
CLI_ACTOR = "cli"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `console user ...` to a command line's subcommands."""
    console = subparsers.add_parser("console", help="the advisors' console")
    commands = console.add_subparsers(dest="console_command", required=True)
    user = commands.add_parser("user", help="console accounts").add_subparsers(
        dest="user_command", required=True
    )
    p = user.add_parser("add", help=f"create an account (password from ${PASSWORD_VARIABLE} or a prompt)")
    p.add_argument("username")
    p.add_argument("--role", choices=[r.value for r in Role], default=Role.ADVISOR.value)
    p.set_defaults(func=cmd_user_add)
    p = user.add_parser("list", help="every account with its role and state")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_user_list)
    p = user.add_parser("disable", help="block an account and end its sessions")
    p.add_argument("username")
    p.set_defaults(func=cmd_user_disable)
    p = user.add_parser("enable", help="allow a disabled or locked account again")
    p.add_argument("username")
    p.set_defaults(func=cmd_user_enable)
    p = user.add_parser("set-password", help=f"new password (from ${PASSWORD_VARIABLE} or a prompt)")
    p.add_argument("username")
    p.set_defaults(func=cmd_user_set_password)


def _stores() -> tuple[AccountStore, AuditLog]:
    store = ConversationStore(AppSettings.from_env().database_url)
    costs = argon2_costs()
    hasher = password_hasher(costs["argon2_time_cost"], costs["argon2_memory_kib"])
    return AccountStore(store, hasher), AuditLog(store)


def read_password() -> str:
    """From the environment, else asked twice on the terminal."""
    given = os.environ.get(PASSWORD_VARIABLE)
    if given:
        return check_password(given)
    if not sys.stdin.isatty():
        raise ConsoleError(f"no terminal to ask for the password: set {PASSWORD_VARIABLE}")
    first = getpass.getpass("Password (at least 12 characters): ")
    check_password(first)
    if getpass.getpass("Again: ") != first:
        raise ConsoleError("the passwords differ")
    return first


def _run(action: str, args: argparse.Namespace) -> int:
    accounts, audit = _stores()
    try:
        if action == "add":
            account = accounts.create(args.username, read_password(), Role(args.role))
            audit.write(CLI_ACTOR, "user.create", None, f"user={account.username} role={account.role}")
            print(f"created {account.role} {account.username}")
        elif action in ("disable", "enable"):
            accounts.set_active(args.username.strip().lower(), action == "enable")
            audit.write(CLI_ACTOR, f"user.{action}", None, f"user={args.username.strip().lower()}")
            print(f"{action}d {args.username}")
        else:
            accounts.set_password(args.username.strip().lower(), read_password())
            audit.write(CLI_ACTOR, "user.password_reset", None, f"user={args.username.strip().lower()}")
            print(f"password set for {args.username}; its sessions have ended")
    except ConsoleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_user_add(args: argparse.Namespace) -> int:
    return _run("add", args)


def cmd_user_disable(args: argparse.Namespace) -> int:
    return _run("disable", args)


def cmd_user_enable(args: argparse.Namespace) -> int:
    return _run("enable", args)


def cmd_user_set_password(args: argparse.Namespace) -> int:
    return _run("set-password", args)


def cmd_user_list(args: argparse.Namespace) -> int:
    accounts, _ = _stores()
    rows = accounts.all()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "username": a.username,
                        "role": a.role.value,
                        "active": a.active,
                        "locked_until": a.locked_until.isoformat() if a.locked_until else None,
                        "last_login_at": a.last_login_at.isoformat() if a.last_login_at else None,
                    }
                    for a in rows
                ],
                indent=2,
            )
        )
        return EXIT_OK
    if not rows:
        print("no accounts yet: add one with `neuvo console user add NAME --role admin`")
    for a in rows:
        state = "active" if a.active else "disabled"
        if a.locked_until:
            state += f", locked until {format_local(a.locked_until)}"
        last = format_local(a.last_login_at) if a.last_login_at else "never"
        print(f"{a.username:<24} {a.role.value:<8} {state:<40} last login {last}")
    return EXIT_OK
