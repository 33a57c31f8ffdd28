"""Statistics for a date range, drawn in the browser, and their CSV export."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from bot.console.auth import AdvisorUser, console_services
from bot.console.errors import InvalidInput
from bot.console.stats import StatsRange, chart_data, stats_csv, week_label
from bot.console.web import ConsoleRoute

router = APIRouter(route_class=ConsoleRoute)

PERIODS = ("day", "week", "range")


@router.get("/stats")
async def stats_page(
    request: Request,
    advisor: AdvisorUser,
    start: str = Query("", alias="from", max_length=10),
    end: str = Query("", alias="to", max_length=10),
) -> HTMLResponse:
    console = console_services(request)
    period = StatsRange.parse(start or None, end or None)
    stats = await anyio.to_thread.run_sync(console.stats.compute, period)
    return console.pages.render(
        request,
        "stats.html",
        advisor,
        stats=stats,
        charts=chart_data(stats),
        week_label=week_label,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
    )


@router.get("/stats.csv")
async def stats_export(
    request: Request,
    advisor: AdvisorUser,
    start: str = Query("", alias="from", max_length=10),
    end: str = Query("", alias="to", max_length=10),
    period: str = "day",
) -> Response:
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD&period=day|week|range`; long format, one row per measure and group."""
    if period not in PERIODS:
        raise InvalidInput(f"period: one of {', '.join(PERIODS)}")
    console = console_services(request)
    span = StatsRange.parse(start or None, end or None)
    stats = await anyio.to_thread.run_sync(console.stats.compute, span)
    await anyio.to_thread.run_sync(
        console.audit.write, advisor.username, "stats.export", None, f"from={span.start} to={span.end}"
    )
    filename = f"neuvo-stats-{span.start}-{span.end}.csv"
    return Response(
        stats_csv(stats, period),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
