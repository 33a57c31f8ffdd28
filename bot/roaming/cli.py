"""`neuvo roaming import|template|export-report|send-reminders`: the roaming advisory's data by hand."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any, cast

from bot.config import ConfigError
from bot.roaming import importer, reporting
from bot.roaming.errors import RoamingError
from bot.settings import AppSettings
from bot.storage.store import ConversationStore

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `roaming ...` to a command line's subcommands."""
    roaming = subparsers.add_parser("roaming", help="the roaming advisory: import data, reports, reminders")
    commands = roaming.add_subparsers(dest="roaming_command", required=True)

    p = commands.add_parser(
        "import",
        help="import service_points.csv, visits.csv, events.csv, trainings.csv (files or a folder)",
        description="Each file is checked whole first; a file with any problem changes nothing and every "
        "problem is printed as file:line: field: what is wrong.",
    )
    p.add_argument("paths", nargs="*", type=Path, help="CSV files named <kind>.csv, or folders of them")
    p.add_argument("--kind", choices=importer.KINDS, help="the kind of a single file with another name")
    p.add_argument(
        "--sample", action="store_true", help="import the shipped SAMPLE data (dates from tomorrow)"
    )
    p.add_argument("--shift-days", type=int, default=None, help="move every date by this many days")
    p.set_defaults(func=cmd_import)

    p = commands.add_parser("template", help="print an empty CSV file with every column of a kind")
    p.add_argument("kind", choices=importer.KINDS)
    p.set_defaults(func=cmd_template)

    p = commands.add_parser("export-report", help="the funder's report for a date range, as CSV and XLSX")
    p.add_argument("--from", dest="first", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    p.add_argument("--to", dest="last", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    p.add_argument("--out", type=Path, required=True, help="folder for <table>.csv files and report.xlsx")
    p.add_argument("--format", choices=("csv", "xlsx", "both"), default="both")
    p.set_defaults(func=cmd_export_report)

    p = commands.add_parser(
        "send-reminders",
        help="send the reminders due now (the running app does this every minute by itself)",
    )
    p.add_argument("--now", type=dt.datetime.fromisoformat, help="pretend it is this time (ISO, with offset)")
    p.add_argument("--dry-run", action="store_true", help="list the due reminders without sending them")
    p.set_defaults(func=cmd_send_reminders)


def _store() -> ConversationStore:
    return ConversationStore(AppSettings.from_env().database_url)


def cmd_import(args: argparse.Namespace) -> int:
    store = _store()
    jobs: list[tuple[Path, str | None]] = []
    shift = args.shift_days
    if args.sample:
        jobs += [(importer.SAMPLE_DIR / f"{kind}.csv", kind) for kind in importer.KINDS]
        shift = importer.sample_shift() if shift is None else shift
    for path in args.paths:
        if path.is_dir():
            jobs += [
                (path / f"{kind}.csv", kind) for kind in importer.KINDS if (path / f"{kind}.csv").is_file()
            ]
        else:
            kind = args.kind or path.stem
            if kind not in importer.KINDS:
                print(f"{path}: name the file <kind>.csv or give --kind ({', '.join(importer.KINDS)})")
                return EXIT_USAGE
            jobs.append((path, kind))
    if not jobs:
        print("nothing to import: give files or folders, or --sample", file=sys.stderr)
        return EXIT_USAGE
    failed = False
    for path, kind in jobs:
        try:
            summary = importer.import_file(store, path, kind, shift_days=shift or 0)
        except importer.ImportFailed as exc:
            failed = True
            print(f"{path}: not imported")
            for problem in exc.problems:
                print(f"  {problem}")
        except OSError as exc:
            failed = True
            print(f"{path}: {exc.strerror}")
        else:
            print(f"{path}: {summary.created} added, {summary.updated} updated")
    return EXIT_PROBLEMS if failed else EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    sys.stdout.write(importer.template(args.kind))
    return EXIT_OK


def cmd_export_report(args: argparse.Namespace) -> int:
    try:
        report = reporting.build(_store(), args.first, args.last)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args.out.mkdir(parents=True, exist_ok=True)
    if args.format in ("csv", "both"):
        for table in report.tables():
            (args.out / f"{table}.csv").write_text(reporting.to_csv(report, table), encoding="utf-8")
    if args.format in ("xlsx", "both"):
        (args.out / "report.xlsx").write_bytes(reporting.to_xlsx(report))
    for metric, value in report.summary:
        print(f"{metric:<48} {value}")
    print(f"written to {args.out}")
    return EXIT_OK


def cmd_send_reminders(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_send_reminders(args.now, args.dry_run))
    except (ConfigError, RoamingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS


async def _send_reminders(now: dt.datetime | None, dry_run: bool) -> int:
    from bot.dialogue.responses import ResponseCatalog
    from bot.events import EventBus
    from bot.roaming.clock import utcnow
    from bot.roaming.reminders import ReminderJob, due_reminders
    from bot.roaming.settings import RoamingSettings
    from channels.hub import ChannelHub
    from channels.registry import build_channels
    from channels.settings import ChannelSettings

    settings = AppSettings.from_env()
    roaming = RoamingSettings.from_env()
    store = ConversationStore(settings.database_url)
    now = now or utcnow()
    if dry_run:
        for due in due_reminders(store, now, roaming.reminder_hour):
            print(
                f"booking {due.id}: {due.municipality} {due.starts_at.isoformat()} via {due.contact_channel}"
            )
        return EXIT_OK
    responses = ResponseCatalog.load(settings.domain_path)
    adapters = build_channels(ChannelSettings.from_env(), responses)

    class _NoEngine:  # the hub only needs the engine's event bus to report a failed delivery
        events = EventBus()

    hub = ChannelHub(cast(Any, _NoEngine()), store, responses, {a.name: a.output for a in adapters})
    try:
        sent = await ReminderJob(hub, lambda: roaming.reminder_hour).run_once(now)
    finally:
        for adapter in adapters:
            await adapter.stop()
    print(f"{sent} reminder(s) delivered")
    return EXIT_OK
