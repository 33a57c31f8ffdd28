"""Prometheus metrics: what the service handles, how fast, and whether its dependencies are there.

`GET /metrics` serves them in Prometheus' text format. With several uvicorn workers set
PROMETHEUS_MULTIPROC_DIR (an empty folder, emptied at every start) in the environment of all of them: each
worker then writes its values there and a scrape of any worker adds them all up (prometheus_client's
multiprocess mode). The folder must be set before the first import of prometheus_client, which is why it is an
environment variable and not a setting.

Labels are kept to a few values each: channel names, the eight languages, escalation reasons from the code,
route templates (never raw paths, which hold ids and tokens), and Rasa URLs from the configuration.
"""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.storage.models import Escalation

# Turns take from a few milliseconds (commands) to seconds (Rasa, retrieval, a slow channel).
_TURN_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)

MESSAGES_RECEIVED = Counter(
    "neuvo_messages_received_total", "Messages handled by the conversation engine.", ["channel", "language"]
)
REPLIES_SENT = Counter("neuvo_replies_sent_total", "Bot messages sent to people.", ["channel"])
TURN_SECONDS = Histogram(
    "neuvo_turn_seconds",
    "Time from a message to its replies being ready.",
    ["channel"],
    buckets=_TURN_BUCKETS,
)
ESCALATIONS = Counter("neuvo_escalations_total", "Escalations to an advisor.", ["reason"])
DEGRADED_TURNS = Counter(
    "neuvo_degraded_turns_total", "Turns answered without Rasa (from the knowledge base only).", ["channel"]
)
RASA_UP = Gauge(
    "neuvo_rasa_up",
    "1 when the app can reach this Rasa server (as seen by the worker last scraped).",
    ["instance"],
    multiprocess_mode="mostrecent",
)
OUTBOX_DEPTH = Gauge("neuvo_outbox_depth", "Replies waiting in the outbox.", multiprocess_mode="mostrecent")
OUTBOX_LAG = Gauge(
    "neuvo_outbox_lag_seconds",
    "Age of the oldest reply waiting in the outbox.",
    multiprocess_mode="mostrecent",
)
HTTP_SECONDS = Histogram(
    "neuvo_http_request_seconds",
    "HTTP requests to the app by route template.",
    ["method", "route", "status"],
)


def observe_turn(channel: str, language: str, seconds: float, escalated: bool, degraded: bool) -> None:
    """Record one handled message (the engine's caller measures `seconds` around `handle`).

    Escalations are counted by reason where they are stored (`count_escalations`); `escalated` is accepted
    for callers that have no store, and not counted twice.
    """
    MESSAGES_RECEIVED.labels(channel, language).inc()
    TURN_SECONDS.labels(channel).observe(seconds)
    if degraded:
        DEGRADED_TURNS.labels(channel).inc()


def count_replies(channel: str, replies: int) -> None:
    if replies:
        REPLIES_SENT.labels(channel).inc(replies)


def count_escalation(reason: str) -> None:
    ESCALATIONS.labels(reason).inc()


def set_outbox_depth(n: int) -> None:
    OUTBOX_DEPTH.set(n)


def set_outbox_lag(seconds: float) -> None:
    OUTBOX_LAG.set(seconds)


def set_rasa_status(dialogue: Any) -> None:
    """Copy the Rasa client's view into `neuvo_rasa_up` (one series per configured server)."""
    status = getattr(dialogue, "status", None)
    if isinstance(status, dict):
        for instance in status.get("instances") or [status]:
            RASA_UP.labels(str(instance.get("url"))).set(1 if instance.get("reachable") else 0)
    else:  # a stand-in without URLs (tests)
        RASA_UP.labels("rasa").set(1 if getattr(dialogue, "available", False) else 0)


def _on_escalation_insert(_mapper: Any, _connection: Any, target: Escalation) -> None:
    count_escalation(str(target.reason))


def count_escalations() -> None:
    """Count every escalation row the app inserts, by reason (actions, safety, failed deliveries, ...).

    One listener on the model, in this process, instead of a call at each place that escalates; counted when
    the row is flushed, so a transaction rolled back afterwards would still count (the store commits at once).
    """
    if not event.contains(Escalation, "after_insert", _on_escalation_insert):
        event.listen(Escalation, "after_insert", _on_escalation_insert)


def render_latest() -> bytes:
    """The metrics in Prometheus' text format: this process's, or every worker's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def metrics_router() -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        dialogue = getattr(request.app.state, "dialogue", None)
        if dialogue is not None:
            set_rasa_status(dialogue)
        return Response(render_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class RequestMetricsMiddleware:
    """Times each HTTP request and labels it with the route template that served it (`/webhooks/{name}`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        before_routing = dict(
            scope
        )  # a mount rewrites root_path: match mounts against the request as it came

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = _route_template(scope, before_routing)
            if route != "/metrics":  # scrapes would swamp the figures for everything else
                HTTP_SECONDS.labels(scope["method"], route, f"{status // 100}xx").observe(
                    time.perf_counter() - started
                )


def _route_template(scope: Scope, before_routing: Scope) -> str:
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path_format", None) or route.path)
    router = scope.get("router")
    for candidate in getattr(router, "routes", ()):
        match, _ = candidate.matches(before_routing)
        if match is Match.FULL:  # a mount, e.g. /static: its prefix, not the file asked for
            return str(candidate.path)
    return "unmatched"


def install_metrics(app: FastAPI) -> None:
    """Serve /metrics, time every request, and count escalations by reason."""
    app.include_router(metrics_router())
    app.add_middleware(RequestMetricsMiddleware)
    count_escalations()
