"""`make bench-kb`: index build from scratch, cold start with a cached index, warm query latency, peak RSS.

Each phase runs in its own process, so cold start and peak memory are measured as a real start would see them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUERIES = REPO / "knowledge_base" / "tuning" / "tuning.jsonl"


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child process; return (wall seconds, peak RSS in MB, stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO, text=True
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed ({proc.returncode}): {' '.join(args)}")
    return wall, usage.ru_maxrss / 1024, out


def worker_cold() -> None:
    from bot.config import KnowledgeSettings
    from bot.retrieval.retriever import Retriever

    retriever = Retriever.from_settings(KnowledgeSettings.from_env(), show_progress=False)
    result = retriever.search("How do I apply for a tax card?")
    # Cold start ends with the first answer; tearing the interpreter down afterwards is not part of it.
    print(json.dumps({"answered": result.answer is not None, "answered_at": time.time()}))


def worker_warm(n: int) -> None:
    from bot.config import KnowledgeSettings
    from bot.retrieval.retriever import Retriever

    retriever = Retriever.from_settings(KnowledgeSettings.from_env(), show_progress=False)
    texts = [
        json.loads(line)["text"] for line in QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    for text in texts[:30]:
        retriever.search(text)
    timings = []
    for i in range(n):
        text = texts[i % len(texts)]
        started = time.perf_counter()
        retriever.search(text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(
        json.dumps(
            {
                "n": n,
                "p50_ms": statistics.median(timings),
                "p95_ms": timings[int(0.95 * (n - 1))],
                "p99_ms": timings[int(0.99 * (n - 1))],
                "documents": len(retriever.index.docs),
                "entries": len(retriever.kb.entries),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", choices=["cold", "warm"])
    parser.add_argument("-n", type=int, default=500, help="warm queries to time")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.worker == "cold":
        worker_cold()
        return 0
    if args.worker == "warm":
        worker_warm(args.n)
        return 0

    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="neuvo-bench-") as cache:
        env = {**os.environ, "NEUVO_CACHE_DIR": cache, "HF_HUB_OFFLINE": "1"}
        build_s, build_rss, _ = _run([py, "-m", "bot.cli", "kb", "build"], env)
        colds = []
        for _ in range(3):
            launched = time.time()
            _, rss, out = _run([py, "-m", "benchmarks.bench_kb", "--worker", "cold"], env)
            colds.append((json.loads(out)["answered_at"] - launched, rss, out))
        _, warm_rss, warm_out = _run(
            [py, "-m", "benchmarks.bench_kb", "--worker", "warm", "-n", str(args.n)], env
        )
    warm = json.loads(warm_out)
    cold_s = statistics.median(c[0] for c in colds)
    peak = max(build_rss, warm_rss, *(c[1] for c in colds))
    rows = [
        ("knowledge base", f"{warm['entries']} entries, {warm['documents']} indexed texts", ""),
        ("index build from scratch", f"{build_s:.1f} s", "<= 120 s"),
        ("cold start to first answer, cached index (median of 3)", f"{cold_s:.2f} s", "<= 5 s"),
        (f"warm query p50 ({warm['n']} queries)", f"{warm['p50_ms']:.1f} ms", ""),
        ("warm query p95", f"{warm['p95_ms']:.1f} ms", "<= 30 ms"),
        ("warm query p99", f"{warm['p99_ms']:.1f} ms", ""),
        ("peak RSS (largest process)", f"{peak:.0f} MB", "<= 1536 MB"),
    ]
    print(f"{'measure':<54}{'value':>34}  target")
    for name, value, target in rows:
        print(f"{name:<54}{value:>34}  {target}")
    figures = {"build_s": build_s, "cold_start_s": cold_s, "peak_rss_mb": peak, **warm}
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    ok = build_s <= 120 and cold_s <= 5 and warm["p95_ms"] <= 30 and peak <= 1536
    print("all targets met" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
