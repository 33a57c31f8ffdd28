"""How fast `POST /webhooks/telegram` acknowledges updates, and whether every update gets its answer.

Posts N real update JSONs (text messages from many chats, and some language-button presses) with the
webhook secret, at a given concurrency, and reports the acknowledgement latency (p50/p95/max ms).
Telegram waits for that acknowledgement before it sends a chat's next update, so it must not include the
answer's own work: the app answers 200 at once and replies in the background.

`--service` (what `make bench-telegram` runs) starts the whole service as `make run` does — Rasa, the app
with the full knowledge base in its own process, a fresh SQLite database — pointed at a fake Bot API served
here, and measures each of `--levels` (default 1, 4, 8 requests in flight) against p95 <= 100 ms, waiting
for every update's answer before the next level. This is the deployment's shape: Telegram and the service
do not share an interpreter.

Without it the app runs in-process (uvicorn on a free loopback port, in its own thread) with the echo
dialogue, the tiny test knowledge base and the fake Bot API. That is quick, but the load generator, the fake
and the app then share one interpreter lock, so it overstates latency at higher concurrency.
With `--url` the updates go to a running service instead. Its chats do not exist on Telegram: point that
service at a fake Bot API, e.g. start one here with `--fake-api-port 8081` (and the service's token in
`--token`/TELEGRAM_BOT_TOKEN) and run the service with TELEGRAM_API_BASE_URL=http://127.0.0.1:8081; the
answers are then counted too.

    python -m benchmarks.bench_telegram_ack --service [-n 400] [--levels 1,4,8] [--json F]
    python -m benchmarks.bench_telegram_ack [-n 500] [--concurrency 16] [--url URL --secret S] [--json F]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import uvicorn

REPO = Path(__file__).resolve().parent.parent
MESSAGES = REPO / "knowledge_base" / "tuning" / "tuning.jsonl"
sys.path.insert(0, str(REPO))  # the in-process run uses the fakes from tests/

from bot.launcher import free_port  # noqa: E402
from tests.fakes_telegram import TOKEN, FakeBotApi, callback_update, text_update  # noqa: E402

LOCAL_SECRET = "bench-webhook-secret"
CHATS = 200  # distinct people; each one's updates are handled in order, different people in parallel
BUTTON_EVERY = 10  # every tenth update is a language-button press


@dataclass
class Result:
    latencies_ms: list[float]
    errors: int
    seconds: float
    answered: int | None  # sendMessage calls seen at the fake, when the bench owns it
    acknowledged_buttons: int | None
    expected_answers: int

    def row(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1)))], 1) if ordered else 0.0

        return {
            "updates": len(self.latencies_ms) + self.errors,
            "p50_ms": round(statistics.median(ordered), 1) if ordered else 0.0,
            "p95_ms": pct(0.95),
            "max_ms": round(ordered[-1], 1) if ordered else 0.0,
            "acks_per_s": round(len(ordered) / self.seconds, 1),
            "errors": self.errors,
            "answered": self.answered,
            "expected_answers": self.expected_answers,
            "buttons_acknowledged": self.acknowledged_buttons,
        }


def updates(n: int, texts: list[str]) -> list[dict[str, Any]]:
    """N updates with ids unique to this run (a running service remembers ids it has seen)."""
    base = int(time.time() * 1000) % 10**12
    result = []
    for i in range(n):
        chat = 900_000_000 + (i % CHATS)
        if i % BUTTON_EVERY == BUTTON_EVERY - 1:
            result.append(callback_update(chat, '/set_language{"language": "fi"}', update_id=base + i))
        else:
            result.append(text_update(chat, texts[i % len(texts)], update_id=base + i))
    return result


async def post_all(
    url: str, secret: str, bodies: list[dict[str, Any]], concurrency: int
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(json.dumps(body).encode())
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return latencies, errors, seconds


@contextlib.contextmanager
def local_service(fake: FakeBotApi) -> Iterator[str]:
    """The app with only the Telegram channel, on a free loopback port in its own thread."""
    from bot.app.main import create_app
    from bot.config import KnowledgeSettings
    from bot.dialogue.responses import ResponseCatalog
    from bot.settings import AppSettings
    from channels.telegram.adapter import WEBHOOK_PATH, TelegramChannel
    from tests.fakes import FakeDialogue
    from tests.tiny_kb import tiny_retriever

    with tempfile.TemporaryDirectory() as tmp:
        settings = AppSettings.from_env(
            {"DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}", "NEUVO_RASA_TOKEN": "bench-token"}
        )
        channel = TelegramChannel(
            fake.token, fake.url, ResponseCatalog.load(settings.domain_path), webhook_secret=LOCAL_SECRET
        )
        app = create_app(
            settings,
            KnowledgeSettings.from_env(),
            dialogue=FakeDialogue(),
            retriever=tiny_retriever(Path(tmp)),
            channels=[channel],
        )
        fake.webhook = {"url": f"https://bench.invalid{WEBHOOK_PATH}", "max_connections": 40}  # as if set
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, name="bench-app", daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        finally:
            server.should_exit = True
            thread.join(timeout=30)


def wait_for_answers(fake: FakeBotApi, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(fake.sent()) < expected and time.monotonic() < deadline:
        time.sleep(0.05)


def run(args: argparse.Namespace, texts: list[str]) -> Result:
    bodies = updates(args.n, texts)
    buttons = sum(1 for b in bodies if "callback_query" in b)
    fake: FakeBotApi | None = None
    if args.url is None or args.fake_api_port is not None:
        fake = FakeBotApi(token=args.token, port=args.fake_api_port or 0).start()
    try:
        with contextlib.ExitStack() as stack:
            if args.url is None:
                assert fake is not None
                url, secret = stack.enter_context(local_service(fake)), LOCAL_SECRET
                # Warm up (first-use costs: language models, connections) on other chats, then forget them.
                warm = [text_update(800_000_000 + i, "warm up", update_id=10**13 + i) for i in range(20)]
                asyncio.run(post_all(url, secret, warm, 4))
                wait_for_answers(fake, len(warm), 30)
                fake.reset()
            else:
                url, secret = args.url, args.secret
            latencies, errors, seconds = asyncio.run(post_all(url, secret, bodies, args.concurrency))
            if fake is not None:
                wait_for_answers(fake, args.n - errors, args.answer_timeout)
            answered = len(fake.sent()) if fake else None
            acknowledged = len(fake.calls("answerCallbackQuery")) if fake else None
    finally:
        if fake is not None:
            fake.stop()
    return Result(latencies, errors, seconds, answered, acknowledged if buttons else None, args.n)


ACK_P95_LIMIT_MS = 100.0


@contextlib.contextmanager
def full_service(fake: FakeBotApi) -> Iterator[str]:
    """Rasa + the app as `make run` starts them, with a fresh database, webhook mode, and the fake Bot API."""
    from bot.launcher import start_stack
    from channels.telegram.adapter import WEBHOOK_PATH

    with tempfile.TemporaryDirectory() as tmp:
        overrides = {
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}",
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_WEBHOOK_SECRET": LOCAL_SECRET,
            "TELEGRAM_API_BASE_URL": fake.url,
        }
        with mock.patch.dict(os.environ, overrides):  # the launcher passes its environment to both processes
            stack = start_stack(free_port(), free_port())
        try:
            yield f"{stack.app_url}{WEBHOOK_PATH}"
        finally:
            stack.stop()


def run_service(args: argparse.Namespace, texts: list[str]) -> int:
    """Each concurrency level against the full service; every update must be answered before the next."""
    levels = [int(x) for x in args.levels.split(",")]
    fake = FakeBotApi(token=TOKEN).start()
    rows: list[dict[str, Any]] = []
    try:
        with full_service(fake) as url:
            warm = [text_update(800_000_000 + i, "hei", update_id=10**13 + i) for i in range(10)]
            asyncio.run(post_all(url, LOCAL_SECRET, warm, 2))
            wait_for_answers_to(fake, Counter(chat_of(u) for u in warm), args.answer_timeout)
            for level in levels:
                fake.reset()
                bodies = updates(args.n, texts)
                latencies, errors, seconds = asyncio.run(post_all(url, LOCAL_SECRET, bodies, level))
                answered = wait_for_answers_to(fake, Counter(chat_of(b) for b in bodies), args.answer_timeout)
                row = Result(latencies, errors, seconds, None, None, args.n).row()
                row |= {"concurrency": level, "answered": answered}
                rows.append(row)
    finally:
        fake.stop()
    print(f"POST /webhooks/telegram, full service (Rasa + app + SQLite), {args.n} updates per level")
    print(f"{'conc.':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'acks/s':>9}{'errors':>8}{'answered':>10}")
    for r in rows:
        print(
            f"{r['concurrency']:>6}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['max_ms']:>9}{r['acks_per_s']:>9}"
            f"{r['errors']:>8}{r['answered']:>6}/{r['updates']}"
        )
    checks = {}
    for r in rows:
        checks[f"ack p95 <= {ACK_P95_LIMIT_MS:.0f} ms at concurrency {r['concurrency']}"] = (
            r["p95_ms"] <= ACK_P95_LIMIT_MS
        )
        checks[f"no errors at concurrency {r['concurrency']}"] = r["errors"] == 0
        checks[f"every update answered at concurrency {r['concurrency']}"] = r["answered"] == r["updates"]
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'MISS'} {name}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "checks": checks}, indent=2))
    return 0 if all(checks.values()) else 1


def chat_of(update: dict[str, Any]) -> int:
    if "callback_query" in update:
        return int(update["callback_query"]["message"]["chat"]["id"])
    return int(update["message"]["chat"]["id"])


def wait_for_answers_to(fake: FakeBotApi, expected: Counter[int], timeout: float) -> int:
    """Wait until each chat has had at least as many messages as updates it sent (since the fake was reset);
    returns how many updates that accounts for."""
    deadline = time.monotonic() + timeout
    while True:
        covered = sum(min(fake.sent_count(chat), n) for chat, n in expected.items())
        if covered == sum(expected.values()) or time.monotonic() > deadline:
            return covered
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=500, help="updates to post (default 500)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument(
        "--url", help="a running service's webhook, e.g. http://127.0.0.1:8000/webhooks/telegram"
    )
    parser.add_argument("--secret", default=os.environ.get("TELEGRAM_WEBHOOK_SECRET", ""), help="with --url")
    parser.add_argument(
        "--fake-api-port", type=int, help="with --url: serve a fake Bot API here and count answers"
    )
    parser.add_argument(
        "--token", default=os.environ.get("TELEGRAM_BOT_TOKEN") or TOKEN, help="the fake's token"
    )
    parser.add_argument("--answer-timeout", type=float, default=120, help="seconds to wait for all answers")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--service", action="store_true", help="start Rasa + the app, as `make run` does")
    parser.add_argument("--levels", default="1,4,8", help="with --service: concurrency levels")
    args = parser.parse_args()
    if args.url and not args.secret:
        parser.error("--url needs the service's webhook secret (--secret or TELEGRAM_WEBHOOK_SECRET)")
    texts = [
        json.loads(line)["text"] for line in MESSAGES.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    if args.service:
        return run_service(args, texts)
    result = run(args, texts)
    row = result.row()
    target = args.url or "in-process app + fake Bot API"
    print(f"POST /webhooks/telegram, {row['updates']} updates at concurrency {args.concurrency} ({target})")
    print(f"ack latency: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, max {row['max_ms']} ms")
    print(f"throughput: {row['acks_per_s']} acks/s; errors: {row['errors']}")
    checks = {"every update acknowledged with 200": row["errors"] == 0}
    if result.answered is not None:
        print(
            f"replies: {result.answered} sendMessage calls for {result.expected_answers} updates"
            " (counted at the fake Bot API)"
        )
        if args.url is None:  # the echo dialogue answers each update with exactly one message
            checks["every update answered exactly once"] = result.answered == result.expected_answers
        else:  # a real dialogue may answer with several messages
            checks["at least one reply per update"] = result.answered >= result.expected_answers
    if result.acknowledged_buttons is not None:
        buttons = sum(1 for i in range(args.n) if i % BUTTON_EVERY == BUTTON_EVERY - 1)
        checks["every button press acknowledged"] = result.acknowledged_buttons == buttons
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'MISS'} {name}")
    if args.json:
        Path(args.json).write_text(json.dumps({"row": row, "checks": checks}, indent=2))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
