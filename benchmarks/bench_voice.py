"""`python -m benchmarks.bench_voice`: how fast the phone line answers a spoken question with TwiML.

Posts signed `/webhooks/twilio/voice/question` requests with a SpeechResult (realistic questions in several
languages), one at a time and at concurrency 4, and reports p50/p95/max response time in ms. Twilio waits
at most 15 s for TwiML; a caller notices far less than that as dead air.

Targets:
  default  an in-process app on loopback (uvicorn in a thread): the real engine, store and voice channel
           with the test dialogue fake over a small knowledge base; no Rasa, no network.
  --url    a running service; needs TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL exactly as that service has them
           (the signature covers PUBLIC_BASE_URL + path + query). Its conversations get bench callers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.languages import Language
from channels.twilio.signature import sign

QUESTION_PATH = "/webhooks/twilio/voice/question"
# What callers ask, as a speech recogniser would write it down (no punctuation, lower case, some slips).
QUESTIONS: list[tuple[Language, str]] = [
    ("fi", "mistä saan verokortin"),
    ("fi", "tarvitsenko verokortin uuteen työhön"),
    ("fi", "miten ilmoitan muutosta maistraattiin"),
    ("fi", "paljonko bussilippu maksaa jyväskylässä"),
    ("sv", "hur får jag ett skattekort"),
    ("sv", "var kan jag lära mig finska"),
    ("en", "how do i get a tax card"),
    ("en", "where do i register my address"),
    ("en", "can my wife come to finland with me"),
    ("en", "what is kela and how do i apply"),
    ("ru", "как получить налоговую карточку"),
    ("ru", "где найти врача в ювяскюля"),
    ("uk", "як отримати податкову картку"),
    ("uk", "чи можу я працювати з тимчасовим захистом"),
    ("ar", "كيف أحصل على بطاقة الضريبة"),
    ("ar", "أين أتعلم اللغة الفنلندية"),
    ("fa", "چطور کارت مالیاتی بگیرم"),
]
CALLERS = 16  # distinct callers: one caller's turns are handled in order, so they would queue


@dataclass
class Run:
    concurrency: int
    latencies_ms: list[float]
    errors: int
    seconds: float

    def row(self) -> dict[str, float | int]:
        ordered = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1)))] if ordered else float("nan")

        return {
            "concurrency": self.concurrency,
            "requests": len(ordered) + self.errors,
            "p50_ms": round(statistics.median(ordered), 1) if ordered else float("nan"),
            "p95_ms": round(pct(0.95), 1),
            "max_ms": round(ordered[-1], 1) if ordered else float("nan"),
            "req_per_s": round(len(ordered) / self.seconds, 1),
            "errors": self.errors,
        }


@dataclass(frozen=True)
class Target:
    base_url: str  # where requests go
    public_base_url: str  # what they are signed for
    auth_token: str


def _is_answer(body: bytes) -> bool:
    """A TwiML response that says something and listens for the next question."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return False
    tags = {element.tag for element in root.iter()}
    return root.tag == "Response" and {"Say", "Gather"} <= tags


async def drive(target: Target, concurrency: int, n: int, run: str) -> Run:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=target.base_url, timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                i = queue.get_nowait()
                language, text = QUESTIONS[(i * 7) % len(QUESTIONS)]
                path = f"{QUESTION_PATH}?lang={language}"
                fields = {
                    "CallSid": f"CA{run}{i:06d}".ljust(34, "0")[:34],
                    "AccountSid": "AC" + "0" * 32,
                    "From": f"+35840{(i % CALLERS):07d}",
                    "To": "+358140000000",
                    "CallStatus": "in-progress",
                    "SpeechResult": text,
                    "Confidence": "0.87",
                }
                headers = {
                    "X-Twilio-Signature": sign(target.auth_token, target.public_base_url + path, fields)
                }
                started = time.perf_counter()
                try:
                    response = await client.post(path, data=fields, headers=headers)
                    ok = response.status_code == 200 and _is_answer(response.content)
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Run(concurrency, latencies, errors, seconds)


async def bench(target: Target, n: int) -> list[Run]:
    await drive(target, 4, min(n, 40), "w")  # warm-up: connections, caches, first conversations
    return [await drive(target, concurrency, n, f"c{concurrency}") for concurrency in (1, 4)]


@contextmanager
def in_process_service() -> Iterator[Target]:
    """The app with the voice line, served by uvicorn on loopback in a thread of its own."""
    import uvicorn

    from bot.app.main import create_app
    from bot.config import KnowledgeSettings
    from bot.launcher import free_port
    from bot.settings import AppSettings
    from channels.twilio.voice import VoiceChannel
    from tests.channels.twilio.voice_call import (
        CollectingSms,
        KnowledgeDialogue,
        cached_catalog,
        shared_retriever,
    )

    token = secrets.token_hex(16)
    public = "https://neuvo.bench.invalid"
    with tempfile.TemporaryDirectory(prefix="neuvo-bench-voice-") as folder:
        settings = AppSettings.from_env(
            {"DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.db'}", "NEUVO_RASA_TOKEN": "bench"}
        )
        retriever = shared_retriever()
        dialogue = KnowledgeDialogue(retriever)
        channel = VoiceChannel(token, public, cached_catalog(settings.domain_path))
        app = create_app(
            settings, KnowledgeSettings.from_env(), dialogue=dialogue, retriever=retriever, channels=[channel]
        )
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, name="bench-voice-app", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the in-process app did not start")
            time.sleep(0.02)
        dialogue.store = app.state.store
        app.state.hub.register_output(CollectingSms())  # Persian answers go out "by SMS"
        try:
            yield Target(f"http://127.0.0.1:{port}", public, token)
        finally:
            server.should_exit = True
            thread.join(timeout=15)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running service's base URL (default: an in-process app)")
    parser.add_argument("-n", type=int, default=200, help="requests per concurrency level (default 200)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.url:
        token, public = os.environ.get("TWILIO_AUTH_TOKEN", ""), os.environ.get("PUBLIC_BASE_URL", "")
        if not token or not public:
            parser.error("--url needs TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL as the service has them")
        runs = asyncio.run(bench(Target(args.url.rstrip("/"), public.rstrip("/"), token), args.n))
        where = args.url
    else:
        with in_process_service() as target:
            runs = asyncio.run(bench(target, args.n))
        where = "in-process app on loopback (fake dialogue, small KB)"
    rows = [r.row() for r in runs]
    print(f"voice /question TwiML response time, {where}")
    header = ("conc.", "requests", "p50 ms", "p95 ms", "max ms", "req/s", "errors")
    print("".join(f"{h:>10}" for h in header))
    for r in rows:
        print(
            f"{r['concurrency']:>10}{r['requests']:>10}{r['p50_ms']:>10}{r['p95_ms']:>10}"
            f"{r['max_ms']:>10}{r['req_per_s']:>10}{r['errors']:>10}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"target": where, "rows": rows}, indent=2))
    return 0 if all(r["errors"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
