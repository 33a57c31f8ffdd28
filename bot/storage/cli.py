"""`neuvo db upgrade|downgrade|current`: the app database's schema, with Alembic (DATABASE_URL)."""

from __future__ import annotations

import argparse

from sqlalchemy import create_engine

from bot.settings import AppSettings
from bot.storage import migrate


def cmd_upgrade(args: argparse.Namespace) -> int:
    engine = create_engine(AppSettings.from_env().database_url)
    if args.revision == "head":
        migrate.prepare(engine)
    else:
        migrate.upgrade(engine, args.revision)
    print(f"database at revision {migrate.current(engine)}")
    return 0


def cmd_downgrade(args: argparse.Namespace) -> int:
    engine = create_engine(AppSettings.from_env().database_url)
    migrate.downgrade(engine, args.revision)
    print(f"database at revision {migrate.current(engine)}")
    return 0


def cmd_current(args: argparse.Namespace) -> int:
    engine = create_engine(AppSettings.from_env().database_url)
    print(f"database at revision {migrate.current(engine)} (newest: {migrate.head()})")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="the app database's schema (Alembic migrations)")
    commands = db.add_subparsers(dest="db_command", required=True)
    p = commands.add_parser("upgrade", help="create or upgrade the database (take a backup first)")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(func=cmd_upgrade)
    p = commands.add_parser("downgrade", help="step back to an earlier revision, e.g. 0001")
    p.add_argument("revision")
    p.set_defaults(func=cmd_downgrade)
    p = commands.add_parser("current", help="the database's revision")
    p.set_defaults(func=cmd_current)
