"""Everything the console's routes use, built once at start-up from the app's store, hub and retriever."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import FastAPI

from bot.console.accounts import AccountStore, password_hasher
from bot.console.audit import AuditLog
from bot.console.config import ConsoleConfig
from bot.console.conversation_desk import ConversationDesk
from bot.console.escalation_queue import EscalationQueue
from bot.console.replies import ReplySender
from bot.console.service_settings import (
    DEFAULT_NO_ANSWER_MINUTES,
    DEFAULT_RETENTION_DAYS,
    ServiceSettings,
    ServiceSettingsStore,
)
from bot.console.sessions import SessionCodec
from bot.console.stats import StatsReport
from bot.console.suggestions import SuggestionBox
from bot.console.web import Pages
from bot.events import EventBus
from bot.handoff.hours import AdvisorHours
from bot.knowledge.taxonomy import Taxonomy
from bot.retrieval.retriever import Retriever
from bot.storage.console_models import CONSOLE_INDEXES
from bot.storage.store import ConversationStore


@dataclass
class ConsoleServices:
    config: ConsoleConfig
    store: ConversationStore
    retriever: Retriever
    taxonomy: Taxonomy
    accounts: AccountStore
    sessions: SessionCodec
    audit: AuditLog
    queue: EscalationQueue
    desk: ConversationDesk
    replies: ReplySender
    suggestions: SuggestionBox
    settings: ServiceSettingsStore
    stats: StatsReport
    pages: Pages

    @classmethod
    def for_app(cls, app: FastAPI, config: ConsoleConfig, taxonomy: Taxonomy) -> ConsoleServices:
        """Blocking (creates missing indexes): run in a worker thread once the app's lifespan has begun."""
        state = app.state
        store: ConversationStore = state.store
        ensure_console_indexes(store)
        queue = EscalationQueue(store)
        desk = ConversationDesk(store)
        hasher = password_hasher(config.argon2_time_cost, config.argon2_memory_kib)
        # Until an admin saves settings, those the app started with (from the environment) hold.
        defaults = ServiceSettings(
            getattr(state, "advisor_hours", None) or AdvisorHours(),
            int(getattr(state, "retention_days", DEFAULT_RETENTION_DAYS)),
            int(getattr(state, "no_answer_minutes", DEFAULT_NO_ANSWER_MINUTES)),
        )
        return cls(
            config=config,
            store=store,
            retriever=state.retriever,
            taxonomy=taxonomy,
            accounts=AccountStore(
                store,
                hasher,
                lockout_attempts=config.lockout_attempts,
                lockout=dt.timedelta(minutes=config.lockout_minutes),
            ),
            sessions=SessionCodec(config.session_secret, config.session_hours * 3600),
            audit=AuditLog(store),
            queue=queue,
            desk=desk,
            replies=ReplySender(store, desk, queue, state.hub, event_bus(app)),
            suggestions=SuggestionBox(store, taxonomy.ids),
            settings=ServiceSettingsStore(store, defaults),
            stats=StatsReport(store),
            pages=Pages(),
        )


def event_bus(app: FastAPI) -> EventBus:
    """The bus the conversation engine publishes on.

    That is `app.state.events`, except that the engine is built with `events or EventBus()`, and a bus with
    no subscribers yet is falsy (it has `__len__`): the engine then publishes on a bus of its own. Its own
    bus is the one that carries its events (the hub's too), so the console uses it in every case.
    """
    engine = getattr(app.state, "engine", None)
    bus: EventBus = engine.events if engine is not None else app.state.events
    return bus


def ensure_console_indexes(store: ConversationStore) -> None:
    """The console's indexes on the core tables, added to a database made before the console existed."""
    for index in CONSOLE_INDEXES:
        index.create(store.engine, checkfirst=True)


def publish_settings(app: FastAPI, settings: ServiceSettings) -> None:
    """Make settings live: the handoff action, the retention job and the waiting notice read these
    `app.state` values on every call or round."""
    app.state.advisor_hours = settings.advisor_hours
    app.state.retention_days = settings.retention_days
    app.state.no_answer_minutes = settings.no_answer_minutes
    app.state.service_settings = settings
