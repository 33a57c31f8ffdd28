"""In a browser: an advisor takes a Telegram escalation, answers from the knowledge base, and resolves it.

The app runs in-process under uvicorn on a free loopback port with the real Telegram channel (webhook mode)
pointed at the fake Bot API; the person writes through the webhook, and what the advisor sends must reach the
fake Telegram server exactly, for that chat. Playwright drives Debian's Chromium (never a downloaded browser).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app.main import create_app
from bot.config import KnowledgeSettings
from bot.console.accounts import Role
from bot.dialogue.responses import ResponseCatalog
from bot.launcher import free_port
from bot.settings import AppSettings
from tests.bot.console.fakes import HANDOFF_REPLY, EscalatingDialogue
from tests.tiny_kb import tiny_retriever

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SECRET = "console-e2e-webhook-secret_0123"
CHAT_ID = 4242
PASSWORD = "a long advisor password"


def wait_until(check: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class RunningApp:
    url: str
    app: Any
    fake: Any  # tests.fakes_telegram.FakeBotApi

    def telegram(self, text: str) -> None:
        """The person writes in Telegram: the Bot API posts the update to the app's webhook."""
        from channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH
        from tests.fakes_telegram import text_update

        response = httpx.post(
            self.url + WEBHOOK_PATH, json=text_update(CHAT_ID, text), headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200, response.text

    def sent_texts(self) -> list[str]:
        return [call["text"] for call in self.fake.sent() if call["chat_id"] == CHAT_ID]


@pytest.fixture
def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningApp]:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    uvicorn = pytest.importorskip("uvicorn")
    try:
        from channels.telegram.adapter import TelegramChannel
        from tests.fakes_telegram import FakeBotApi
    except ImportError as exc:
        pytest.skip(f"the Telegram channel or its fake Bot API is not available yet: {exc}")
    monkeypatch.setenv("NEUVO_SESSION_SECRET", "e" * 48)
    monkeypatch.setenv("NEUVO_CONSOLE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("NEUVO_CONSOLE_ARGON2_MEMORY_KIB", "1024")
    settings = AppSettings.from_env(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "NEUVO_RASA_TOKEN": "test-token"}
    )
    with FakeBotApi() as fake:
        channel = TelegramChannel(
            fake.token, fake.url, ResponseCatalog.load(settings.domain_path), webhook_secret=SECRET
        )
        dialogue = EscalatingDialogue()
        app = create_app(
            settings,
            KnowledgeSettings.from_env(),
            dialogue=dialogue,
            retriever=tiny_retriever(tmp_path),
            channels=[channel],
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=3)
        )
        thread = threading.Thread(target=server.run, name="console-e2e-app", daemon=True)
        thread.start()
        try:
            wait_until(lambda: server.started, 30, "the app to start")
            dialogue.store = app.state.store
            app.state.console.accounts.create("maria", PASSWORD, Role.ADVISOR)
            yield RunningApp(f"http://127.0.0.1:{port}", app, fake)
        finally:
            server.should_exit = True
            thread.join(15)


def test_an_advisor_answers_a_telegram_escalation_from_the_knowledge_base(running: RunningApp) -> None:
    from playwright.sync_api import expect, sync_playwright

    running.telegram("Hello, I need help with my tax card for a new job")
    wait_until(lambda: len(running.sent_texts()) == 1, what="the bot's first answer")
    running.telegram("/human")
    wait_until(lambda: HANDOFF_REPLY in running.sent_texts(), what="the handoff confirmation")
    answered_by_bot = len(running.sent_texts())

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{running.url}/console")
            expect(page).to_have_url(f"{running.url}/console/login?next=%2Fconsole")
            page.fill("input[name=username]", "maria")
            page.fill("input[name=password]", PASSWORD)
            page.click("form.stack button[type=submit]")

            # The queue shows the Telegram escalation; claim it.
            row = page.locator("tr[data-escalation]").filter(has_text="telegram")
            expect(row).to_have_count(1)
            expect(row).to_contain_text("needs help with a residence permit")
            page.screenshot(path="/tmp/neuvo-console-queue.png", full_page=True)
            row.get_by_role("button", name="Claim").click()
            expect(page.locator("#flash")).to_contain_text("You hold this conversation")
            expect(page.locator("body")).to_have_attribute("data-live", "on")

            # While claimed, the person's next message reaches the open page and the bot stays quiet.
            running.telegram("Thank you, I will wait for the advisor")
            expect(page.locator("#messages li.msg.person .text").last).to_have_text(
                "Thank you, I will wait for the advisor"
            )
            assert len(running.sent_texts()) == answered_by_bot

            # Search the knowledge base, insert the answer (in the person's language), send it.
            page.fill("#kb-query", "tax card")
            page.click("#kb-search button[type=submit]")
            hit = page.locator("li.kb-hit[data-entry='tax_card.basics']")
            hit.get_by_role("button", name="Insert").click()
            inserted = page.input_value("#reply-text")
            answer = running.app.state.retriever.answer_for("tax_card.basics", "en")
            assert inserted == f"{answer.text}\n\n{answer.sources[0]}"
            page.click("#send-reply")
            expect(page.locator("#flash")).to_have_text("Reply sent.")
            wait_until(lambda: len(running.sent_texts()) == answered_by_bot + 1, what="the advisor's reply")
            assert running.sent_texts()[-1] == inserted
            expect(page.locator("#messages li.msg.advisor .text").last).to_have_text(inserted)
            page.screenshot(path="/tmp/neuvo-console-conversation.png", full_page=True)

            # Resolve with outcome and topic; the statistics count it.
            escalation_id = running.app.state.store.escalations()[-1].id
            page.select_option(f"#outcome-{escalation_id}", "answered")
            page.select_option(f"#topic-{escalation_id}", "tax_card")
            page.click(f"#resolve-{escalation_id}")
            expect(page.locator("#flash")).to_contain_text("Resolved.")
            page.goto(f"{running.url}/console/stats")
            expect(page.locator("#stat-resolved")).to_have_text("1")
            expect(page.locator("#stat-escalations")).to_have_text("1")
            expect(page.locator("#table-outcomes")).to_contain_text("answered")
            expect(page.locator("[data-chart=per_day] svg rect.bar")).not_to_have_count(0)
            page.screenshot(path="/tmp/neuvo-console-stats.png", full_page=True)
        finally:
            browser.close()
    store = running.app.state.store
    conversation = store.get_conversation(store.escalations()[-1].conversation_id)
    assert conversation is not None and conversation.assigned_to is None  # back with the bot
