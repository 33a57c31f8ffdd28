"""In a browser: open the web chat, ask in Arabic, read the Arabic answer and its source link."""

from __future__ import annotations

import shutil

import pytest

from bot.launcher import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_arabic_question_in_the_browser(stack: Stack) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            page.goto(f"{stack.app_url}/")
            page.fill("#text", "كيف أجدد تصريح الإقامة في فنلندا؟")
            page.click("form button")
            # Rasa sends the title, the answer and the source line as separate bubbles.
            source = page.locator("li.msg.bot", has_text="المصدر").first
            source.wait_for(timeout=30_000)
            link = source.locator("a").first
            assert (link.get_attribute("href") or "").startswith("https://migri.fi")
            answer = page.locator("li.msg.bot", has_text="تصريح").first
            assert answer.get_attribute("dir") == "rtl"
            assert answer.get_attribute("lang") == "ar"
            assert page.locator("li.msg.bot[dir=rtl]").count() >= 3
            page.screenshot(path="/tmp/neuvo-web-chat-ar.png", full_page=True)
        finally:
            browser.close()
