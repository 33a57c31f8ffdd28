"""GET /metrics counts what the service did, with the right labels, across workers in multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import REPO_ROOT
from bot.conversation.messages import InboundMessage
from channels.hub import ChannelHub
from tests.fakes import FakeDialogue, running_app
from tests.fakes_channels import CollectingOutput

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def routes_seen(samples: Samples) -> set[str]:
    return {dict(labels)["route"] for name, labels in samples if name == "neuvo_http_request_seconds_count"}


async def test_messages_replies_and_turn_latency_are_counted_by_channel_and_language(tmp_path: Path) -> None:
    dialogue = FakeDialogue()
    async with running_app(tmp_path, dialogue) as (_, client):
        before = await scrape(client)
        for text, language in [("hello there", "en"), ("how are you", "en"), ("moi kaikille", "fi")]:
            response = await client.post(
                "/api/chat", json={"sender_id": "m1", "text": text, "language": language, "channel": "kiosk"}
            )
            assert response.status_code == 200
        dialogue.available = False
        await client.post(
            "/api/chat", json={"sender_id": "m2", "text": "housing allowance", "language": "en"}
        )
        after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("neuvo_messages_received_total", channel="kiosk", language="en") == 2
    assert delta("neuvo_messages_received_total", channel="kiosk", language="fi") == 1
    assert delta("neuvo_messages_received_total", channel="web", language="en") == 1
    assert delta("neuvo_replies_sent_total", channel="kiosk") == 3  # one echo per message
    assert delta("neuvo_turn_seconds_count", channel="kiosk") == 3
    assert delta("neuvo_degraded_turns_total", channel="web") == 1
    assert delta("neuvo_degraded_turns_total", channel="kiosk") == 0
    assert delta("neuvo_http_request_seconds_count", method="POST", route="/api/chat", status="2xx") == 4
    assert value(after, "neuvo_rasa_up", instance="rasa") == 0  # the fake was switched off before the scrape


async def test_escalations_are_counted_by_reason(tmp_path: Path) -> None:
    async with running_app(tmp_path, FakeDialogue()) as (_, client):
        before = await scrape(client)
        response = await client.post("/api/chat", json={"sender_id": "e1", "text": "he beats me every night"})
        assert response.json()["escalated"] is True
        after = await scrape(client)
    reason = frozenset({("reason", "safety")})
    assert (
        after[("neuvo_escalations_total", reason)] - before.get(("neuvo_escalations_total", reason), 0) == 1
    )


async def test_routes_are_labelled_by_template_not_by_raw_path(tmp_path: Path) -> None:
    async with running_app(tmp_path, FakeDialogue()) as (_, client):
        await client.get("/static/does-not-exist-7d1f.js")
        await client.get("/no/such/page/0401234567")
        await client.get("/healthz")
        samples = await scrape(client)
    seen = routes_seen(samples)
    assert {"/static", "unmatched", "/healthz"} <= seen
    assert not any("0401234567" in r or "7d1f" in r for r in seen)


async def test_the_channel_hub_records_turns_and_delivered_replies(tmp_path: Path) -> None:
    async with running_app(tmp_path, FakeDialogue()) as (app, client):
        before = await scrape(client)
        output = CollectingOutput("fakechat")
        hub = ChannelHub(app.state.engine, app.state.store, app.state.responses, {"fakechat": output})
        await hub.process(
            InboundMessage(sender_id="h1", text="good morning", channel="fakechat", language="en")
        )
        failing = CollectingOutput("fakechat", fail=True)
        hub.register_output(failing)
        await hub.process(
            InboundMessage(sender_id="h2", text="good evening", channel="fakechat", language="en")
        )
        after = await scrape(client)
    assert output.texts() == ["echo: good morning"]
    received = ("neuvo_messages_received_total", frozenset({("channel", "fakechat"), ("language", "en")}))
    assert after[received] - before.get(received, 0) == 2
    sent = ("neuvo_replies_sent_total", frozenset({("channel", "fakechat")}))
    assert after[sent] - before.get(sent, 0) == 1  # the failed delivery is not counted as sent


def test_several_worker_processes_are_added_up_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    worker = (
        "from bot.observability.metrics import observe_turn, set_outbox_depth\n"
        "import sys\n"
        "observe_turn('sms', 'fi', 0.2, False, sys.argv[1] == 'degraded')\n"
        "set_outbox_depth(int(sys.argv[2]))\n"
    )
    for mode, depth in (("full", "4"), ("degraded", "7")):
        subprocess.run([sys.executable, "-c", worker, mode, depth], env=env, check=True, timeout=60)
    scrape_code = "from bot.observability.metrics import render_latest; print(render_latest().decode())"
    text = subprocess.run(
        [sys.executable, "-c", scrape_code], env=env, check=True, timeout=60, capture_output=True, text=True
    ).stdout
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    assert (
        samples[("neuvo_messages_received_total", frozenset({("channel", "sms"), ("language", "fi")}))] == 2
    )
    assert samples[("neuvo_degraded_turns_total", frozenset({("channel", "sms")}))] == 1
    assert samples[("neuvo_turn_seconds_count", frozenset({("channel", "sms")}))] == 2
    assert samples[("neuvo_outbox_depth", frozenset())] == 7  # the most recent value, not a sum
