"""The console's routes under /console, and the start-up work they need."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from fastapi import APIRouter, FastAPI

from bot.console.config import ConsoleConfig
from bot.console.routes import admin, assets, conversations, live, login, queue, stats
from bot.console.services import ConsoleServices, publish_settings
from bot.knowledge.taxonomy import load_taxonomy

log = logging.getLogger(__name__)


def build_console_router(config: ConsoleConfig, taxonomy_path: Path) -> APIRouter:
    """The console, ready for `app.include_router`; its services are built when the app starts.

    The app's own lifespan has run by then, so the store, hub, retriever and event bus are in `app.state`.
    """
    taxonomy = load_taxonomy(taxonomy_path)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await anyio.to_thread.run_sync(ConsoleServices.for_app, app, config, taxonomy)
        app.state.console = services
        publish_settings(app, await anyio.to_thread.run_sync(services.settings.load))
        accounts = await anyio.to_thread.run_sync(services.accounts.all)
        if not accounts:
            log.warning("the advisors' console has no accounts yet: add one with `neuvo console user add`")
        yield

    router = APIRouter(lifespan=lifespan)
    for module in (login, queue, conversations, admin, stats, live, assets):
        router.include_router(module.router, prefix="/console", include_in_schema=False)
    return router
