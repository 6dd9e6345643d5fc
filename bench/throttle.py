"""Throttle store benchmark: prints JSON. Run: .venv/bin/python bench/throttle.py [--seconds 2] [--redis URL]

What counting one reporter request costs in each store (``intake/throttle_stores.py``), one process and
several processes at once on the same store, with this process's memory as the reference in the same run.
The SQLite file lives in /dev/shm, as by default; Redis is measured when ``--redis`` names one (use a
database of its own: the benchmark empties it). No goal is set by an issue; the figure to watch is the cost
per request beside a page's own time (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.throttle_stores import CounterStore, Hit, MemoryStore, RedisStore, SqliteStore  # noqa: E402


def make(kind: str, where: str) -> CounterStore:
    if kind == "sqlite":
        return SqliteStore(Path(where))
    if kind == "redis":
        return RedisStore(where)
    return MemoryStore()


def count_for(kind: str, where: str, seconds: float, clients: int = 1000) -> tuple[int, float]:
    """Count requests from ``clients`` rotating clients for ``seconds``; return (count, seconds taken)."""
    store = make(kind, where)
    start = time.perf_counter()
    done = 0
    while (elapsed := time.perf_counter() - start) < seconds:
        client = (os.getpid() * 7919 + done) % clients
        hits = [Hit(b"PER_ADDRESS:%d" % client, 10**9, 60.0), Hit(b"GLOBAL_POSTS:*", 10**9, 60.0)]
        store.count(hits, time.time())
        done += 1
    return done, elapsed


def _worker(args: tuple[str, str, float]) -> tuple[int, float]:
    return count_for(*args)


def measure(kind: str, where: str, seconds: float, processes: int) -> dict[str, Any]:
    if processes == 1:
        done, elapsed = count_for(kind, where, seconds)
        total = done
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            results = pool.map(_worker, [(kind, where, seconds)] * processes)
        total, elapsed = sum(r[0] for r in results), max(r[1] for r in results)
    return {"counts_per_s": round(total / elapsed), "us_per_count": round(1e6 * elapsed * processes / total, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--redis", default="")
    options = parser.parse_args()
    folder = Path(
        tempfile.mkdtemp(prefix="peluit-bench-throttle-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None)
    )
    try:
        stores = {"memory": "", "sqlite": str(folder / "throttle.sqlite3")}
        if options.redis:
            RedisStore(options.redis).client.flushdb()
            stores["redis"] = options.redis
        results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_1min": os.getloadavg()[0]}}
        for kind, where in stores.items():
            results[kind] = {"1_process": measure(kind, where, options.seconds, 1)}
            if kind != "memory":  # memory is per process: several processes would not share it
                results[kind][f"{options.processes}_processes"] = measure(
                    kind, where, options.seconds, options.processes
                )
        reference = results["memory"]["1_process"]["us_per_count"]
        for kind in stores:
            if kind != "memory":
                results[kind]["ratio_to_memory_1_process"] = round(
                    results[kind]["1_process"]["us_per_count"] / reference, 1
                )
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
