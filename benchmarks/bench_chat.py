"""`make bench`: /api/chat end to end vs Rasa's own REST channel, same messages, same run, on loopback.

Starts Rasa + the app on free ports, warms both up, then sends the same messages at concurrency 1 and 8 to
each target and reports latency percentiles, throughput and errors. Bounded: a fixed number of messages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.launcher import Stack, free_port, start_stack

REPO = Path(__file__).resolve().parent.parent
MESSAGES = REPO / "knowledge_base" / "tuning" / "tuning.jsonl"


@dataclass
class Result:
    target: str
    concurrency: int
    latencies_ms: list[float]
    errors: int
    seconds: float

    def row(self) -> dict[str, float | int | str]:
        ordered = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1)))] if ordered else float("nan")

        return {
            "target": self.target,
            "concurrency": self.concurrency,
            "messages": len(self.latencies_ms) + self.errors,
            "p50_ms": round(statistics.median(ordered), 1) if ordered else float("nan"),
            "p95_ms": round(pct(0.95), 1),
            "p99_ms": round(pct(0.99), 1),
            "msgs_per_s": round(len(self.latencies_ms) / self.seconds, 1),
            "errors": self.errors,
        }


async def drive(stack: Stack, target: str, texts: list[str], concurrency: int, run: str) -> Result:
    if target == "api":
        url = f"{stack.app_url}/api/chat"

        def body(i: int, text: str) -> dict[str, object]:
            return {"sender_id": f"bench-{run}-{i % 64}", "text": text, "channel": "bench"}
    else:
        url = f"{stack.rasa_url}/webhooks/rest/webhook"

        def body(i: int, text: str) -> dict[str, object]:
            return {"sender": f"bench-{run}-{i % 64}", "message": text}

    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for item in enumerate(texts):
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                i, text = queue.get_nowait()
                started = time.perf_counter()
                try:
                    response = await client.post(url, json=body(i, text))
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
    return Result(target, concurrency, latencies, errors, seconds)


async def bench(stack: Stack, texts: list[str], n: int) -> list[Result]:
    results = []
    for target in ("rasa-rest", "api"):
        await drive(stack, target, texts[:30], 4, f"warm-{target}")
        for concurrency in (1, 8):
            chosen = [texts[(i * 7 + concurrency) % len(texts)] for i in range(n)]
            results.append(await drive(stack, target, chosen, concurrency, f"{target}-{concurrency}"))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=300, help="messages per target and concurrency (default 300)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    texts = [
        json.loads(line)["text"] for line in MESSAGES.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    stack = start_stack(free_port(), free_port())
    try:
        results = asyncio.run(bench(stack, texts, args.n))
    finally:
        stack.stop()
    rows = [r.row() for r in results]
    header = ("target", "conc.", "msgs", "p50 ms", "p95 ms", "p99 ms", "msg/s", "errors")
    print(f"{header[0]:<10}" + "".join(f"{h:>9}" for h in header[1:]))
    for r in rows:
        print(
            f"{r['target']:<10}{r['concurrency']:>6}{r['messages']:>6}{r['p50_ms']:>9}{r['p95_ms']:>9}"
            f"{r['p99_ms']:>9}{r['msgs_per_s']:>8}{r['errors']:>8}"
        )
    by = {(r["target"], r["concurrency"]): r for r in rows}
    api1, rasa1, api8 = by[("api", 1)], by[("rasa-rest", 1)], by[("api", 8)]
    checks = {
        "api p95 at concurrency 1 <= 150 ms": float(api1["p95_ms"]) <= 150,
        "api p95 at concurrency 1 <= 2 x Rasa REST p95": float(api1["p95_ms"]) <= 2 * float(rasa1["p95_ms"]),
        "api >= 30 msg/s at concurrency 8": float(api8["msgs_per_s"]) >= 30,
        "no errors": all(r["errors"] == 0 for r in rows),
    }
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'MISS'} {name}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "checks": checks}, indent=2))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
