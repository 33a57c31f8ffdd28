"""Application factory (`uvicorn --factory bot.app.main:create_app`; `neuvo run` also starts Rasa)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)
from redis.asyncio import Redis

from actions.registry import build_executor
from actions.services import ActionServices
from bot.app.api_models import ButtonOut, ChatRequest, ChatResponse, ReplyOut
from bot.config import KnowledgeSettings
from bot.console.config import ConsoleConfig
from bot.console.routes import build_console_router
from bot.conversation.engine import ConversationEngine
from bot.conversation.messages import InboundMessage
from bot.conversation.rasa_client import DialogueEngine, HttpRasaClient
from bot.dialogue.responses import ResponseCatalog
from bot.events import EventBus
from bot.handoff.waiting import WaitingNotifier
from bot.languages import Language
from bot.observability.metrics import count_replies, install_metrics, observe_turn
from bot.privacy.retention import RetentionJob
from bot.retrieval.retriever import RetrievalResult, Retriever
from bot.roaming.reminders import ReminderJob
from bot.roaming.routes import roaming_router
from bot.settings import AppSettings
from bot.shared_state import RedisEventBus, RedisSenderLocks
from bot.storage.store import ConversationStore
from channels.base import ChannelAdapter
from channels.hub import ChannelHub
from channels.registry import CHANNELS, build_channels
from channels.settings import ChannelSettings

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def create_app(
    settings: AppSettings | None = None,
    knowledge: KnowledgeSettings | None = None,
    dialogue: DialogueEngine | None = None,
    retriever: Retriever | None = None,
    channels: list[ChannelAdapter] | None = None,
) -> FastAPI:
    """Build the app; every dependency can be passed in (tests pass fakes), else it is made from settings."""
    settings = settings or AppSettings.from_env()
    knowledge = knowledge or KnowledgeSettings.from_env()
    responses = ResponseCatalog.load(settings.domain_path)
    channel_settings = None
    if channels is None:
        channel_settings = ChannelSettings.from_env()
        channels = build_channels(channel_settings, responses)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = time.perf_counter()
        if retriever is not None:
            ready_retriever = retriever
        else:
            ready_retriever = await anyio.to_thread.run_sync(
                lambda: Retriever.from_settings(knowledge, show_progress=False)
            )
        store = ConversationStore(settings.database_url)
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        events: EventBus = RedisEventBus(redis) if redis else EventBus()
        if isinstance(events, RedisEventBus):
            await events.start()
        locks = RedisSenderLocks(redis) if redis else None
        rasa = dialogue or HttpRasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout)

        def search(text: str, language: Language, audience: str | None = None) -> RetrievalResult:
            return ready_retriever.search(text, language=language, audience=audience)

        app.state.retriever = ready_retriever
        app.state.store = store
        hours = (
            ChannelSettings.from_env().advisor_hours
            if channel_settings is None
            else channel_settings.advisor_hours
        )
        app.state.advisor_hours = hours
        app.state.executor = build_executor(
            ActionServices(search, store, responses, advisor_hours=lambda: app.state.advisor_hours)
        )
        app.state.engine = ConversationEngine(
            store,
            rasa,
            search,
            ready_retriever.identifier,
            responses,
            ready_retriever.answer_for,
            events,
            locks,
        )
        app.state.events = events
        app.state.dialogue = rasa
        app.state.responses = responses
        hub = ChannelHub(
            app.state.engine,
            store,
            responses,
            {c.name: c.output for c in channels},
            use_outbox=settings.outbox,
        )
        app.state.hub = hub
        app.state.channels = channels
        for channel in channels:
            await channel.start(hub)
        hub.start()  # stranded inbound messages and due outbox replies
        # Admin pages may change these while the app runs; the jobs read them on every round.
        app.state.retention_days = settings.retention_days
        app.state.no_answer_minutes = settings.no_answer_minutes
        jobs = [
            asyncio.create_task(RetentionJob(store, rasa, lambda: app.state.retention_days).run()),
            asyncio.create_task(WaitingNotifier(hub, lambda: app.state.no_answer_minutes).run()),
            asyncio.create_task(ReminderJob.from_env(hub).run()),
        ]
        monitor = asyncio.create_task(rasa.monitor()) if isinstance(rasa, HttpRasaClient) else None
        log.info("app ready in %.1f s (channels: %s)", time.perf_counter() - started, _names(channels))
        try:
            yield
        finally:
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            await hub.close()  # finish replies in flight while the channels can still send them
            for channel in channels:
                await channel.stop()
            if isinstance(events, RedisEventBus):
                await events.close()
            if redis is not None:
                await redis.aclose()
            if monitor:
                monitor.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await monitor
            if isinstance(rasa, HttpRasaClient):
                await rasa.aclose()

    app = FastAPI(title="Neuvo", version="0.1.0", lifespan=lifespan)
    install_metrics(app)  # GET /metrics, request timings, escalations by reason
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for channel in channels:
        app.include_router(channel.router())
    app.include_router(roaming_router())
    app.include_router(build_console_router(ConsoleConfig.from_env(), knowledge.taxonomy_path))

    @app.get("/", include_in_schema=False)
    async def web_chat() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.post("/api/chat", response_model=ChatResponse)
    async def chat(request: ChatRequest) -> ChatResponse:
        if request.channel in CHANNELS:
            # A platform's addresses are only ever taken from its verified webhook, never from this API.
            raise HTTPException(status_code=422, detail=f"channel {request.channel!r} is reserved")
        started = time.perf_counter()
        result = await app.state.engine.handle(
            InboundMessage(
                sender_id=request.sender_id,
                text=request.text,
                channel=request.channel or "web",
                language=request.language,  # type: ignore[arg-type]
            )
        )
        channel = request.channel or "web"
        observe_turn(
            channel, result.language, time.perf_counter() - started, result.escalated, result.degraded
        )
        count_replies(channel, len(result.replies))
        return ChatResponse(
            replies=[
                ReplyOut(
                    text=r.text, buttons=[ButtonOut(title=b.title, payload=b.payload) for b in r.buttons]
                )
                for r in result.replies
            ],
            language=result.language,
            intent=result.intent,
            topic=result.topic,
            entry_id=result.entry_id,
            confidence=result.confidence,
            escalated=result.escalated,
        )

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        rasa = app.state.dialogue
        rasa_status = rasa.status if isinstance(rasa, HttpRasaClient) else {"reachable": rasa.available}
        kb = app.state.retriever.kb
        try:
            database = await anyio.to_thread.run_sync(app.state.store.ping)
        except Exception:  # reported, not raised: the health check must always answer
            log.exception("database ping failed")
            database = False
        status = "ok" if rasa.available and database else "degraded"
        body: dict[str, Any] = {
            "status": status,
            "rasa": rasa_status,
            "actions": {"registered": sorted(a.name for a in app.state.executor.list_actions())},
            "knowledge_base": {
                "entries": len(kb.entries),
                "content_hash": kb.content_hash[:12],
                "index": "loaded",
            },
            "database": {"reachable": database},
        }
        return JSONResponse(body)

    @app.post("/webhook", include_in_schema=False)
    async def rasa_actions(request: Request) -> JSONResponse:
        """Rasa's action endpoint, served in-process; Rasa sends the shared token as `?token=`."""
        token = request.query_params.get("token", "")
        if not hmac.compare_digest(token, settings.rasa_token):
            raise HTTPException(status_code=403, detail="forbidden")
        try:
            # Rasa 3.6 sends the whole domain with every call: a C parser keeps this off the profile.
            action_call = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return JSONResponse({"error": "invalid JSON"}, status_code=400)
        if not isinstance(action_call, dict):
            return JSONResponse({"error": "expected an object"}, status_code=400)
        try:
            result = await app.state.executor.run(action_call)
        except ActionExecutionRejection as exc:
            return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
        except ActionNotFoundException as exc:
            return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
        except ActionMissingDomainException as exc:
            return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=449)
        return JSONResponse(result.model_dump() if result else None)

    return app


def _names(channels: list[ChannelAdapter]) -> str:
    return ", ".join(c.name for c in channels) or "web only"
