"""Console pages of the roaming advisory under /console/roaming, behind the console's login, roles and CSRF.

Advisors see and update bookings; admins also import and export the data (CSV), edit visits, events and
trainings, send broadcasts to subscribers, and download the funder's report. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, FileSystemLoader

from bot.console.auth import AdminUser, AdvisorUser, console_services
from bot.console.errors import InvalidInput, NotFound
from bot.console.web import TEMPLATES as CONSOLE_TEMPLATES
from bot.console.web import ConsoleRoute, Pages, redirect
from bot.languages import LANGUAGE_NAMES, LANGUAGES
from bot.roaming import booking, broadcast, importer, reporting, schedule
from bot.roaming.clock import local, local_day_bounds, utcnow
from bot.roaming.models import Event, Training, Visit
from bot.roaming.municipalities import NAMES
from bot.roaming.settings import RoamingSettings
from bot.storage.store import ConversationStore

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
MAX_UPLOAD = 2_000_000
GENDERS = ("", "woman", "man", "other")
OUTCOMES = ("booked", "attended", "no_show", "cancelled")
MESSAGES = {
    "outcome": "Booking updated.",
    "saved": "Saved.",
    "broadcast": "The broadcast is being sent; its counts appear below when it has finished.",
}


@functools.cache
def pages() -> Pages:
    """The console's page renderer, also finding these templates (they extend the console's base.html)."""
    rendered = Pages(TEMPLATES)
    rendered.env.loader = ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(CONSOLE_TEMPLATES)])
    rendered.env.filters["when"] = lambda value: local(value).strftime("%a %d.%m.%Y %H:%M")
    rendered.env.globals |= {
        "municipalities": NAMES,
        "languages": LANGUAGES,
        "language_names": LANGUAGE_NAMES,
    }
    return rendered


def _store(request: Request) -> ConversationStore:
    store: ConversationStore = request.app.state.store
    return store


def _day(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date like 2026-12-09") from None


async def _audit(request: Request, actor: str, action: str, conversation_id: str | None, detail: str) -> None:
    console = console_services(request)
    await anyio.to_thread.run_sync(console.audit.write, actor, action, conversation_id, detail)


def admin_router(settings: RoamingSettings | None = None) -> APIRouter:
    settings = settings or RoamingSettings.from_env()
    router = APIRouter(prefix="/console/roaming", route_class=ConsoleRoute, include_in_schema=False)

    @router.get("")
    async def bookings_page(
        request: Request, advisor: AdvisorUser, start: str | None = None, end: str | None = None
    ) -> HTMLResponse:
        """Bookings of a date range (default: today and the next 14 days), for advisors preparing visits."""
        today = local(utcnow()).date()
        first, last = _day(start, today), _day(end, today + dt.timedelta(days=14))
        window = local_day_bounds(first, last)
        store = _store(request)
        found = await anyio.to_thread.run_sync(
            lambda: booking.bookings_between(store, *window, include_cancelled=True)
        )
        visits = await anyio.to_thread.run_sync(schedule.visits_between, store, *window)
        return pages().render(
            request,
            "roaming_bookings.html",
            advisor,
            bookings=found,
            visits=visits,
            first=first,
            last=last,
            outcomes=OUTCOMES,
            genders=GENDERS,
            message=MESSAGES.get(request.query_params.get("done", "")),
        )

    @router.post("/bookings/{booking_id}")
    async def set_outcome(
        request: Request,
        booking_id: int,
        advisor: AdvisorUser,
        status: Annotated[str, Form(max_length=16)],
        gender: Annotated[str, Form(max_length=16)] = "",
    ) -> Response:
        if status not in OUTCOMES or gender not in GENDERS:
            raise InvalidInput("status or gender: choose from the list")
        store = _store(request)
        found = await anyio.to_thread.run_sync(booking.booking, store, booking_id)
        if found is None:
            raise NotFound("no such booking")
        await anyio.to_thread.run_sync(lambda: booking.set_outcome(store, booking_id, status, gender or None))
        await _audit(
            request,
            advisor.username,
            "roaming.booking",
            found.conversation_id,
            f"booking={booking_id} status={status}",
        )
        return redirect("/console/roaming?done=outcome")

    @router.get("/data")
    async def data_page(request: Request, advisor: AdminUser) -> HTMLResponse:
        """Visits, events and trainings from a month ago on, with the fields admins update afterwards."""
        store = _store(request)
        now = utcnow()
        window = (now - dt.timedelta(days=31), now + dt.timedelta(days=365))
        visits = await anyio.to_thread.run_sync(schedule.visits_between, store, *window)
        events = await anyio.to_thread.run_sync(_items, store, "events", *window)
        trainings = await anyio.to_thread.run_sync(_items, store, "trainings", *window)
        return pages().render(
            request,
            "roaming_data.html",
            advisor,
            visits=visits,
            events=events,
            trainings=trainings,
            kinds=importer.KINDS,
            message=MESSAGES.get(request.query_params.get("done", "")),
            result=None,
        )

    @router.post("/data/{kind}/{item_id}")
    async def update_item(
        request: Request,
        kind: str,
        item_id: int,
        advisor: AdminUser,
        cancelled: Annotated[str, Form(max_length=1)] = "",
        walk_in_contacts: Annotated[str, Form(max_length=6)] = "",
        participants: Annotated[str, Form(max_length=6)] = "",
        participants_women: Annotated[str, Form(max_length=6)] = "",
        participants_men: Annotated[str, Form(max_length=6)] = "",
        participants_other: Annotated[str, Form(max_length=6)] = "",
    ) -> Response:
        model = {"visits": Visit, "events": Event, "trainings": Training}.get(kind)
        if model is None:
            raise NotFound("no such kind")
        numbers = {
            "walk_in_contacts": walk_in_contacts,
            "participants": participants,
            "participants_women": participants_women,
            "participants_men": participants_men,
            "participants_other": participants_other,
        }
        values: dict[str, int | bool | None] = {"cancelled": cancelled == "1"}
        for name, raw in numbers.items():
            if not hasattr(model, name):
                continue
            if raw.strip() and not raw.strip().isdigit():
                raise InvalidInput(f"{name}: a whole number, or empty")
            values[name] = int(raw) if raw.strip() else (0 if name == "walk_in_contacts" else None)
        store = _store(request)

        def save() -> bool:
            with store.session() as s, s.begin():
                row = s.get(model, item_id)
                if row is None:
                    return False
                for name, value in values.items():
                    setattr(row, name, value)
                return True

        if not await anyio.to_thread.run_sync(save):
            raise NotFound(f"no such {kind[:-1]}")
        await _audit(request, advisor.username, "roaming.edit", None, f"{kind}={item_id}")
        return redirect("/console/roaming/data?done=saved")

    @router.post("/import")
    async def import_csv(
        request: Request,
        advisor: AdminUser,
        kind: Annotated[str, Form(max_length=32)],
        file: Annotated[UploadFile, File()],
    ) -> HTMLResponse:
        if kind not in importer.KINDS:
            raise InvalidInput(f"kind: one of {', '.join(importer.KINDS)}")
        raw = await file.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            raise InvalidInput(f"the file is larger than {MAX_UPLOAD // 1_000_000} MB")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("save the file as UTF-8 CSV") from None
        name = file.filename or f"{kind}.csv"
        store = _store(request)
        try:
            summary = await anyio.to_thread.run_sync(
                lambda: importer.import_text(store, kind, text, file=name)
            )
        except importer.ImportFailed as failed:
            result = {"ok": False, "file": name, "problems": failed.problems}
        else:
            result = {"ok": True, "file": name, "created": summary.created, "updated": summary.updated}
            await _audit(
                request,
                advisor.username,
                "roaming.import",
                None,
                f"{kind}: {summary.created} added, {summary.updated} updated",
            )
        return pages().render(
            request,
            "roaming_data.html",
            advisor,
            visits=[],
            events=[],
            trainings=[],
            kinds=importer.KINDS,
            message=None,
            result=result,
        )

    @router.get("/export/{kind}.csv")
    async def export_csv(request: Request, kind: str, advisor: AdminUser) -> Response:
        if kind not in importer.KINDS:
            raise NotFound("no such kind")
        text = await anyio.to_thread.run_sync(importer.export_text, _store(request), kind)
        return Response(
            text.encode("utf-8-sig"),  # Excel opens UTF-8 correctly only with the byte order mark
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{kind}.csv"'},
        )

    @router.get("/broadcast")
    async def broadcast_page(request: Request, advisor: AdminUser) -> HTMLResponse:
        recent = await anyio.to_thread.run_sync(broadcast.recent_broadcasts, _store(request))
        return pages().render(
            request,
            "roaming_broadcast.html",
            advisor,
            recent=recent,
            rates=settings.broadcast_rates(),
            message=MESSAGES.get(request.query_params.get("done", "")),
        )

    @router.post("/broadcast")
    async def send_broadcast(request: Request, advisor: AdminUser) -> Response:
        form = await request.form()
        chosen = [str(m) for m in form.getlist("municipality") if str(m) in NAMES]
        texts: dict[str, str] = {
            lang: str(form.get(f"text_{lang}") or "").strip()[:1000] for lang in LANGUAGES
        }
        if not any(texts.values()):
            raise InvalidInput("write the message in at least one language")
        broadcaster = broadcast.Broadcaster(request.app.state.hub, settings.broadcast_rates())
        await _audit(
            request,
            advisor.username,
            "roaming.broadcast",
            None,
            f"municipalities={','.join(chosen) or 'all'} "
            f"languages={','.join(k for k, v in texts.items() if v)}",
        )
        # Sending is paced per channel (minutes for many SMS): it runs on after this page returns.
        request.app.state.hub.spawn(broadcaster.send(advisor.username, chosen, texts))
        return redirect("/console/roaming/broadcast?done=broadcast")

    @router.get("/report")
    async def report_page(
        request: Request, advisor: AdminUser, start: str | None = None, end: str | None = None
    ) -> HTMLResponse:
        today = local(utcnow()).date()
        first = _day(start, today.replace(day=1))
        last = _day(end, today)
        if last < first:
            raise InvalidInput("the last day is before the first")
        report = await anyio.to_thread.run_sync(reporting.build, _store(request), first, last)
        return pages().render(request, "roaming_report.html", advisor, report=report, first=first, last=last)

    @router.get("/report/download")
    async def report_download(
        request: Request,
        advisor: AdminUser,
        start: str,
        end: str,
        format: str = "xlsx",
        table: str = "summary",
    ) -> Response:
        first, last = _day(start, dt.date.today()), _day(end, dt.date.today())
        if last < first:
            raise InvalidInput("the last day is before the first")
        report = await anyio.to_thread.run_sync(reporting.build, _store(request), first, last)
        await _audit(request, advisor.username, "roaming.report", None, f"{first}..{last} {format}")
        stem = f"neuvo-report-{first}-{last}"
        if format == "xlsx":
            body = await anyio.to_thread.run_sync(reporting.to_xlsx, report)
            return Response(
                body,
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
            )
        if format != "csv" or table not in report.tables():
            raise InvalidInput("format: xlsx, or csv with a table")
        return Response(
            reporting.to_csv(report, table).encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{stem}-{table}.csv"'},
        )

    return router


def _items(
    store: ConversationStore, kind: str, start: dt.datetime, end: dt.datetime
) -> list[dict[str, object]]:
    """Events or trainings starting in [start, end), with what admins fill in afterwards."""
    from sqlalchemy import select

    from bot.roaming.clock import as_utc

    rows: list[Event | Training] = []
    with store.session() as s:
        if kind == "events":
            rows += s.scalars(select(Event).where(Event.starts_at >= start, Event.starts_at < end))
        else:
            rows += s.scalars(select(Training).where(Training.starts_at >= start, Training.starts_at < end))
    rows.sort(key=lambda row: as_utc(row.starts_at))
    found: list[dict[str, object]] = []
    for row in rows:
        if kind == "events":
            texts = schedule.event_texts(store, row.id)
            title = schedule.pick_text(texts, "fi")[0]
            registered = None
        else:
            info = schedule.training(store, row.id, "fi")
            title, registered = (info.title, info.registered) if info else ("", 0)
        found.append(
            {
                "id": row.id,
                "ref": row.ref,
                "title": title,
                "municipality": row.municipality,
                "starts_at": as_utc(row.starts_at),
                "registered": registered,
                "capacity": row.capacity,
                "participants": row.participants,
                "participants_women": row.participants_women,
                "participants_men": row.participants_men,
                "participants_other": row.participants_other,
                "cancelled": row.cancelled,
                "sample": row.sample,
            }
        )
    return found
