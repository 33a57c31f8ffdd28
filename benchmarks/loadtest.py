"""`make loadtest`: simulated people on the web API, Telegram and SMS against the production set-up.

Starts everything itself: a fresh PostgreSQL database, Redis, a fake Telegram Bot API and a fake Twilio API
(in this process), N Rasa processes sharing trackers and locks (`bot.rasa_server`), and the app with W uvicorn
workers, all on loopback. Users are spread over /api/chat, the Telegram webhook and the SMS webhook; each
sends its messages one after another, waiting for the reply like a person would, `--concurrency` at once.

Afterwards it checks, from the database and the fakes: every accepted message was recorded exactly once and in
the order sent (nothing lost, nothing duplicated), and every reply reached the fake platform exactly once. It
reports p50/p95 latency (web: the HTTP answer; Telegram/SMS: from the webhook POST to the reply at the fake)
and throughput; `--compare-workers` runs the same load with 1 worker first. Bounded in count and time.

Faults (optional, during the load): `--kill-rasa` stops one Rasa process a third of the way in;
`--kill-worker` kills one app worker (uvicorn starts a new one); `--telegram-faults` makes the fake Bot API
answer 429 and 502 for a while; `--restart-postgres` restarts the local PostgreSQL cluster (needs root).
Webhook posts that fail are retried with the same update id / MessageSid, as the platforms do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bot.launcher import ensure_model, free_port
from bot.storage.store import conversation_id_for
from channels.twilio.signature import sign
from tests.fakes_telegram import FakeBotApi
from tests.fakes_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio, fake_twilio

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "knowledge_base" / "tuning" / "tuning.jsonl"
POSTGRES = os.environ.get("NEUVO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("NEUVO_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET = "loadtest-secret"
CHANNELS = ("web", "telegram", "sms")


@dataclass
class Stack:
    app_url: str
    processes: dict[str, subprocess.Popen[bytes]]
    database: str

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def start_stack(
    workers: int, rasa_count: int, telegram: FakeBotApi, twilio: FakeTwilio, log_dir: Path
) -> Stack:
    database = f"neuvo_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    base = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    app_port = free_port()
    rasa_ports = [free_port() for _ in range(rasa_count)]
    token = uuid.uuid4().hex
    env = {
        **os.environ,
        "DATABASE_URL": f"{base}/{database}",
        "REDIS_URL": REDIS,
        "NEUVO_RASA_TOKEN": token,
        "APP_PORT": str(app_port),
        "RASA_URL": ",".join(f"http://127.0.0.1:{p}" for p in rasa_ports),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": telegram.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": FROM_NUMBER,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{app_port}",
        "NEUVO_TORCH_THREADS": "1",
        "NEUVO_OUTBOX": "on",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    model = ensure_model(quiet=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    for i, port in enumerate(rasa_ports, start=1):
        processes[f"rasa{i}"] = subprocess.Popen(
            [sys.executable, "-m", "bot.rasa_server", "--port", str(port), "--model", str(model)],
            cwd=REPO,
            env=env,
            stdout=(log_dir / f"rasa{i}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
    processes["app"] = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bot.app.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(app_port),
            "--workers",
            str(workers),
            "--timeout-worker-healthcheck",
            "60",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
        stdout=(log_dir / "app.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    stack = Stack(f"http://127.0.0.1:{app_port}", processes, database)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            if httpx.get(f"{stack.app_url}/healthz", timeout=2).json().get("status") == "ok":
                return stack
        for name, process in processes.items():
            if process.poll() is not None:
                stack.stop()
                raise RuntimeError(f"{name} exited during start-up; see {log_dir}")
        time.sleep(1)
    stack.stop()
    raise RuntimeError("the stack did not become healthy within 10 minutes")


@dataclass
class Sent:
    channel: str
    user: str
    texts: list[str] = field(default_factory=list)  # accepted, in order


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sent: dict[str, Sent] = field(default_factory=dict)
    refused: int = 0
    timeouts: int = 0
    seconds: float = 0.0


class Load:
    def __init__(self, stack: Stack, telegram: FakeBotApi, twilio: FakeTwilio, run: str) -> None:
        self.stack = stack
        self.telegram = telegram
        self.twilio = twilio
        self.run = run
        self.results = Results()
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(60.0), limits=httpx.Limits(max_connections=256))
        self._update_ids = iter(range(10**9))

    async def post_retrying(self, url: str, **kwargs: Any) -> bool:
        """POST as a platform does: a failed delivery is retried (same ids), up to a few times."""
        for attempt in range(5):
            try:
                response = await self.client.post(url, **kwargs)
                if response.status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5 * (attempt + 1))
        return False

    async def wait_for_reply(self, count: Any, before: int, timeout: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if count() > before:
                return True
            await asyncio.sleep(0.02)
        return False

    async def user(self, index: int, texts: list[str]) -> None:
        channel = CHANNELS[index % 3]
        key = f"{channel}:{index}"
        record = self.results.sent.setdefault(key, Sent(channel, self.address(channel, index)))
        for text in texts:
            started = time.perf_counter()
            if channel == "web":
                try:
                    response = await self.client.post(
                        f"{self.stack.app_url}/api/chat", json={"sender_id": record.user, "text": text}
                    )
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if not ok:
                    self.results.refused += 1
                    continue
                record.texts.append(text)
            elif channel == "telegram":
                chat = int(record.user)
                update = _text_update(next(self._update_ids) + 1, chat, text)
                before = self.telegram_count(chat)
                if not await self.post_retrying(
                    f"{self.stack.app_url}/webhooks/telegram",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                ):
                    self.results.refused += 1
                    continue
                record.texts.append(text)
                if not await self.wait_for_reply(lambda c=chat: self.telegram_count(c), before):  # type: ignore[misc]
                    self.results.timeouts += 1
            else:
                fields = _sms_fields(record.user, text, f"SM{uuid.uuid4().hex}")
                url = f"{self.stack.app_url}/webhooks/twilio/sms"
                before = self.twilio.count_to(record.user)
                signature = sign(AUTH_TOKEN, url, fields)
                if not await self.post_retrying(url, data=fields, headers={"X-Twilio-Signature": signature}):
                    self.results.refused += 1
                    continue
                record.texts.append(text)
                if not await self.wait_for_reply(lambda u=record.user: self.twilio.count_to(u), before):  # type: ignore[misc]
                    self.results.timeouts += 1
            self.results.latencies[channel].append((time.perf_counter() - started) * 1000)

    def address(self, channel: str, index: int) -> str:
        run_number = int(self.run, 16) % 1000
        if channel == "telegram":
            return str(10**9 + run_number * 10**5 + index)
        if channel == "sms":
            return f"+35850{run_number:03d}{index:05d}"
        return f"load-{self.run}-{index}"

    def telegram_count(self, chat: int) -> int:
        # A counter, not a scan: twenty people polling a log of 40,000 messages every 20 ms took a whole core
        # from the service (runs before this change measured the load generator as much as the service).
        return self.telegram.sent_count(chat)

    async def drive(self, users: int, per_user: int, concurrency: int, questions: list[str]) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(index: int) -> None:
            async with gate:
                start = (index * per_user) % len(questions)
                await self.user(index, [questions[(start + k) % len(questions)] for k in range(per_user)])

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(users)))
        self.results.seconds = time.perf_counter() - started


def _text_update(update_id: int, chat: int, text: str) -> dict[str, Any]:
    person = {"id": chat, "is_bot": False, "first_name": "Load", "language_code": "fi"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private", "first_name": "Load"},
            "from": person,
            "text": text,
        },
    }


def _sms_fields(sender: str, text: str, sid: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": FROM_NUMBER,
        "Body": text,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    }


async def settle(database: str, limit: float = 300.0) -> None:
    """Wait until no stored message awaits handling and no reply awaits delivery (bounded)."""
    url = POSTGRES.rsplit("/", 1)[0] + f"/{database}"
    deadline = time.monotonic() + limit
    await asyncio.sleep(5)
    while time.monotonic() < deadline:
        with contextlib.suppress(psycopg.Error), psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM inbound_receipts WHERE status = 'pending')"
                " + (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending'))"
            ).fetchone()
            if row and row[0] == 0:
                return
        await asyncio.sleep(5)


def verify(load: Load, database: str) -> dict[str, Any]:
    """Nothing lost, nothing duplicated, order kept; every reply delivered once."""
    lost = duplicated = out_of_order = 0
    url = POSTGRES.rsplit("/", 1)[0] + f"/{database}"
    telegram_mismatch = 0
    with psycopg.connect(url) as conn:
        for record in load.results.sent.values():
            channel = "web" if record.channel == "web" else record.channel
            conv = conversation_id_for(channel, record.user)
            rows = conn.execute(
                "SELECT text FROM messages WHERE conversation_id = %s AND direction = 'in' ORDER BY id",
                (conv,),
            ).fetchall()
            stored = [r[0] for r in rows]
            counts, expected = Counter(stored), Counter(record.texts)
            lost += sum((expected - counts).values())
            duplicated += sum((counts - expected).values())
            if not (expected - counts) and not (counts - expected) and stored != record.texts:
                out_of_order += 1
            if record.channel == "telegram":
                replies = conn.execute(
                    "SELECT count(*) FROM messages WHERE conversation_id = %s AND direction = 'out'", (conv,)
                ).fetchone()
                if replies and replies[0] != load.telegram_count(int(record.user)):
                    telegram_mismatch += 1
        outbox = dict(conn.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
        degraded = conn.execute(
            "SELECT count(*) FROM messages WHERE direction = 'out' AND degraded"
        ).fetchone()
    keys = [m.idempotency_token for m in load.twilio.sent if m.idempotency_token]
    return {
        "lost": lost,
        "duplicated": duplicated,
        "conversations_out_of_order": out_of_order,
        "telegram_chats_with_reply_count_mismatch": telegram_mismatch,
        "sms_sent_twice": len(keys) - len(set(keys)),
        "outbox": outbox,
        "degraded_replies": degraded[0] if degraded else 0,  # answered without Rasa (it was slow or down)
    }


def summary(results: Results) -> dict[str, Any]:
    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return (
            round(ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1)))], 1) if ordered else float("nan")
        )

    accepted = sum(len(s.texts) for s in results.sent.values())
    return {
        "accepted": accepted,
        "refused": results.refused,
        "reply_timeouts": results.timeouts,
        "seconds": round(results.seconds, 1),
        "msgs_per_s": round(accepted / results.seconds, 1) if results.seconds else 0,
        "latency_ms": {
            channel: {
                "p50": round(statistics.median(values), 1) if values else None,
                "p95": pct(values, 0.95),
                "n": len(values),
            }
            for channel, values in results.latencies.items()
        },
    }


async def faults(
    args: argparse.Namespace, stack: Stack, telegram: FakeBotApi, expected_seconds: float
) -> list[str]:
    done: list[str] = []
    await asyncio.sleep(expected_seconds / 3)
    if args.kill_rasa and "rasa2" in stack.processes:
        stack.processes["rasa2"].kill()
        done.append("killed rasa2")
    if args.kill_worker:
        children = subprocess.run(
            ["pgrep", "-P", str(stack.processes["app"].pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        if children:
            os.kill(int(children[0]), signal.SIGKILL)
            done.append(f"killed app worker {children[0]}")
    if args.telegram_faults:
        telegram.fail_next("sendMessage", 30, status=429, retry_after=1)
        telegram.fail_next("sendMessage", 30, status=502)
        done.append("fake Telegram API: 30 x 429 then 30 x 502")
    if args.restart_postgres:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
            check=False,
            timeout=120,
        )
        done.append("restarted PostgreSQL")
    return done


async def one_run(
    args: argparse.Namespace, workers: int, questions: list[str], log_dir: Path
) -> dict[str, Any]:
    with FakeBotApi() as telegram, fake_twilio() as twilio:
        stack = start_stack(workers, args.rasa, telegram, twilio, log_dir / f"workers-{workers}")
        try:
            load = Load(stack, telegram, twilio, uuid.uuid4().hex[:6])
            expected = args.users * args.messages / max(1.0, args.expected_rate)
            fault_task = asyncio.create_task(faults(args, stack, telegram, expected))
            await load.drive(args.users, args.messages, args.concurrency, questions)
            done_faults = await fault_task
            await settle(stack.database)  # messages a killed worker left behind are handled after their lease
            await load.client.aclose()
            report = {"workers": workers, "rasa": args.rasa, "faults": done_faults, **summary(load.results)}
            report["checks"] = verify(load, stack.database)
            return report
        finally:
            stack.stop()
            with contextlib.suppress(psycopg.Error), psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{stack.database}" WITH (FORCE)')
                conn.execute(f'DROP DATABASE IF EXISTS "{stack.database}_rasa" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--messages", type=int, default=5, help="messages per user")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rasa", type=int, default=2)
    parser.add_argument("--compare-workers", action="store_true", help="run with 1 worker first")
    parser.add_argument("--kill-rasa", action="store_true")
    parser.add_argument("--kill-worker", action="store_true")
    parser.add_argument("--telegram-faults", action="store_true")
    parser.add_argument("--restart-postgres", action="store_true")
    parser.add_argument("--expected-rate", type=float, default=20.0, help="msgs/s, to time the faults")
    parser.add_argument("--json", help="write the report here")
    args = parser.parse_args()
    questions = [json.loads(line)["text"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    log_dir = REPO / ".cache" / "neuvo" / "loadtest"
    runs = []
    for workers in ([1] if args.compare_workers else []) + [args.workers]:
        report = asyncio.run(one_run(args, workers, questions, log_dir))
        print(json.dumps(report, ensure_ascii=False), flush=True)
        runs.append(report)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=2, ensure_ascii=False), encoding="utf-8")
    bad = any(r["checks"]["lost"] or r["checks"]["duplicated"] or r["checks"]["sms_sent_twice"] for r in runs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
