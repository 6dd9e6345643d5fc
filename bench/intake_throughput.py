"""Intake throughput: text-only WBS reports through the HTML form and the JSON API against gunicorn; prints JSON.

    .venv/bin/python bench/intake_throughput.py [--clients 1,8,16] [--seconds 20] [--max-requests 600]
        [--warmup-seconds 8] [--workers N] [--threads N] [--database-url postgres://...] [--profile]

In one run, on a scratch Peluit served by gunicorn on 127.0.0.1 with the production Argon2id costs:

- after a warm-up of each channel (``--warmup-seconds`` of load at 8 clients, not counted: a server just
  started pays once for what it loads on first use), reports/s, p50/p95/p99 and errors at each client count,
  through the form (``POST /report/wbs/``) and the API
  (``POST /api/v1/reports/wbs``). Each client fetches the form once (CSRF cookie and token) and then posts
  back to back, each post with a fresh one-time form token, as a reporter's browser does.
- the same at 8 clients against the plaintext baseline that exists only in ``bench/`` (``bench.baseline``:
  the same form and page, one plain insert, no vault, no audit);
- the physical limit: cores ÷ the time of one receipt Argon2id derivation at the configured cost, measured
  with every core deriving at once (before and after the load, so a machine shared with other work is
  measured under the same conditions as the load);
- the 8-client level runs ``--goal-rounds`` times (default 3), each between two measurements of the limit; the
  round with the median share counts, with every round's share and all their errors in the results;
- goals at 8 clients: achieved ≥ 90 % of the limit with 0 errors, and (time per report − one derivation) ≤
  1.15 × time per baseline request, time per request being cores ÷ rate.
- ``--profile``: where a submission's time goes (cProfile of a few submissions in-process: top functions by
  cumulative time, SQL statements and transactions per submission).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import re
import secrets
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402 - the project root must be on sys.path first
    KeptConnection,
    Server,
    commit,
    emit,
    machine,
    median,
    run_load,
    scratch_site,
    serve,
)

GOAL_SHARE_OF_LIMIT = 0.90
GOAL_OVERHEAD = 1.15
GOAL_CLIENTS = 8
# A server just started pays once for what it loads on first use (modules imported lazily, templates compiled,
# translation catalogues, the database's pages, the per-process caches): measured, the first channel loaded
# after the start cost about 10 ms more CPU per report than the same channel loaded second. The bench measures
# the steady state a server that has run for a while is in, so each channel is loaded this long first.
WARMUP_SECONDS = 8.0
GOAL_ROUNDS = 3

# A typical text-only report: a few hundred words in the 5W1H fields.
REPORT = {
    "title": "Pungutan liar pada pengurusan izin usaha",
    "violation_type": "pungli",
    "what": (
        "Petugas loket meminta uang tambahan sebesar Rp 500.000 di luar tarif resmi untuk mempercepat "
        "penerbitan izin usaha mikro. Permintaan disampaikan secara lisan dan uang diminta tunai. " * 6
    ),
    "who_name": "Petugas loket pelayanan",
    "who_position": "Staf pelayanan",
    "organisation": "kecamatan-tembalang",
    "where": "Kantor kecamatan, loket 3",
    "when_date": "2026-03-02",
    "how": "Berkas ditahan sampai uang diberikan; tanda terima tidak diberikan. " * 4,
    "estimated_loss": "500000",
    "reported_elsewhere": "no",
}

# The report's fields, encoded once: each post adds only its own one-time token (URL-safe as it is).
REPORT_FIELDS = urllib.parse.urlencode(REPORT)

CSRF_COOKIE = "peluit_csrf"
_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- The Argon2 limit ---------------------------------------------------------------------------------------
def _derive_for(seconds: float, params: tuple[int, int], queue: Any) -> None:
    from vault import formats

    pepper = formats.pepper_key("bench")
    times, cpu_times = [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline or len(times) < 3:
        receipt = f"{secrets.randbelow(10**16):016d}"
        started, cpu_started = time.perf_counter(), time.process_time()
        formats.receipt_keys(receipt, params=formats.KdfParams(ops=params[0], mem=params[1]), pepper=pepper)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    queue.put((times, cpu_times))


def receipt_params() -> tuple[int, int]:
    """Return the production receipt Argon2id cost (ops, memory in bytes), read from the vault's profiles."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from vault import conf

    params = conf.KDF_PROFILES["production"]["receipt"]
    return params.ops, params.mem


def argon2_limit(params: tuple[int, int], *, seconds: float = 4.0) -> dict[str, Any]:
    """Measure one receipt derivation with every core deriving at once; return the time and the limit."""
    cores = os.cpu_count() or 1
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_derive_for, args=(seconds, params, queue)) for _ in range(cores)]
    for worker in workers:
        worker.start()
    times: list[float] = []
    cpu_times: list[float] = []
    for _ in workers:
        wall, cpu = queue.get()
        times += wall
        cpu_times += cpu
    for worker in workers:
        worker.join()
    one = median(times)
    return {
        "derivation_ms": round(1000 * one, 1),
        "derivation_cpu_ms": round(1000 * median(cpu_times), 1),
        "derivations": len(times),
        "limit_per_second": round(cores / one, 2),
    }


def _down(share: float) -> float:
    """Return a share kept to four decimals, rounded down: a share under the goal is never stored as the goal."""
    return math.floor(round(share * 10_000, 6)) / 10_000


def round_share(goal_round: dict[str, Any], *, cores: int) -> float:
    """Return one goal round's reports/s as a share of the limit measured just before and after it."""
    derivation_s = (goal_round["before"]["derivation_ms"] + goal_round["after"]["derivation_ms"]) / 2000
    return float((goal_round["level"]["per_second"] or 0.0) * derivation_s / cores)


def median_round(rounds: list[dict[str, Any]], *, cores: int) -> dict[str, Any]:
    """Return the round whose share of its limit is the median (the lower middle of an even count).

    This machine's speed drifts by several per cent within minutes (other work on the host); one 20 s round
    against its own limit moved by ±4 points between runs. The goal is judged on the middle of a few rounds,
    each against the limit measured around it; every round's share is kept in the results.
    """
    ordered = sorted(rounds, key=lambda r: round_share(r, cores=cores))
    return ordered[(len(ordered) - 1) // 2]


def summarise_rounds(rounds: list[dict[str, Any]], *, cores: int) -> dict[str, Any]:
    """Return the median round's level and the limit around it, every round's share, and all rounds' errors."""
    chosen = median_round(rounds, cores=cores)
    return {
        "level": chosen["level"],
        "before": chosen["before"],
        "after": chosen["after"],
        "round_shares": [_down(round_share(r, cores=cores)) for r in rounds],
        "round_errors": sum(r["level"]["errors"] for r in rounds),
    }


# --- Clients --------------------------------------------------------------------------------------------------
class FormClient:
    """A reporter's browser: fetch the form once (CSRF cookie and token), then post reports."""

    def __init__(self, server: Server, path: str) -> None:
        self.server, self.path = server, path
        self.connection = KeptConnection("127.0.0.1", server.port)
        self.cookie = ""
        self.csrf = ""
        self.fields = REPORT_FIELDS

    def warmup(self) -> None:
        status, headers, body = self.connection.request("GET", self.path)
        if status != 200:
            raise RuntimeError(f"GET {self.path} answered {status}")
        cookie = headers.get("set-cookie", "")
        self.cookie = cookie.split(";", 1)[0]
        found = _CSRF_INPUT.search(body)
        self.csrf = found.group(1).decode() if found else ""
        self.fields = f"{REPORT_FIELDS}&{urllib.parse.urlencode({'csrfmiddlewaretoken': self.csrf})}"

    def send(self) -> tuple[bool, str]:
        body = f"{self.fields}&submission_token={secrets.token_urlsafe(32)}".encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie}
        status, _headers, answer = self.connection.request("POST", self.path, body=body, headers=headers)
        if status != 200 or b"receipt-code" not in answer:
            return False, f"HTTP {status}: {answer[:200]!r}"
        return True, ""


class ApiClient:
    """A program using the JSON API: one POST per report (form-encoded fields, as the OpenAPI document says)."""

    def __init__(self, server: Server, path: str) -> None:
        self.server, self.path = server, path
        self.connection = KeptConnection("127.0.0.1", server.port)

    def warmup(self) -> None:
        return None

    def send(self) -> tuple[bool, str]:
        body = f"{REPORT_FIELDS}&submission_token={secrets.token_urlsafe(32)}".encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _headers, answer = self.connection.request("POST", self.path, body=body, headers=headers)
        if status != 201:
            return False, f"HTTP {status}: {answer[:200]!r}"
        receipt = json.loads(answer).get("receipt", "")
        if len(receipt) != 16:
            return False, "no receipt in the answer"
        return True, ""


ENDPOINTS = {
    ("form", "peluit"): (FormClient, "/report/wbs/"),
    ("api", "peluit"): (ApiClient, "/api/v1/reports/wbs"),
    ("form", "baseline"): (FormClient, "/bench/baseline/wbs/"),
    ("api", "baseline"): (ApiClient, "/bench/baseline/api/wbs"),
}


def load(server: Server, channel: str, target: str, clients: int, seconds: float, max_requests: int) -> dict[str, Any]:
    """Run one load level and return its figures."""
    client_class, path = ENDPOINTS[(channel, target)]
    pool = [client_class(server, path) for _ in range(clients)]
    result = run_load(
        server,
        lambda i: pool[i].send(),
        concurrency=clients,
        seconds=seconds,
        max_requests=max_requests,
        warmup=lambda i: pool[i].warmup(),
    )
    return result.as_dict()


# --- Profile ------------------------------------------------------------------------------------------------------
PROFILE_SCRIPT = r"""
import cProfile, io, json, pstats, secrets, sys, time
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
sys.path.insert(0, sys.argv[1])
report = json.loads(sys.argv[2])
count = int(sys.argv[3])
client = Client()
client.post("/api/v1/reports/wbs", {**report, "submission_token": secrets.token_urlsafe(32)})  # warm caches
profile = cProfile.Profile()
statements = transactions = 0
started = time.perf_counter()
for _ in range(count):
    with CaptureQueriesContext(connection) as queries:
        profile.enable()
        response = client.post("/api/v1/reports/wbs", {**report, "submission_token": secrets.token_urlsafe(32)})
        profile.disable()
    assert response.status_code == 201, response.content
    sqls = [q["sql"] for q in queries.captured_queries]
    statements += len(sqls)
    transactions += sum(1 for s in sqls if s.upper().startswith(("BEGIN", "SAVEPOINT")))
elapsed = time.perf_counter() - started
out = io.StringIO()
stats = pstats.Stats(profile, stream=out)
stats.sort_stats("cumulative")
rows = []
for func, (cc, nc, tt, ct, callers) in sorted(stats.stats.items(), key=lambda kv: -kv[1][3]):
    name = f"{func[0].rsplit('/', 1)[-1]}:{func[1]}({func[2]})"
    if ("site-packages" in func[0] and "django/db" not in func[0]) or func[0].startswith("<"):
        continue
    rows.append({"function": name, "cumulative_ms_per_submission": round(1000 * ct / count, 2),
                 "own_ms_per_submission": round(1000 * tt / count, 2)})
    if len(rows) >= 25:
        break
print(json.dumps({"submissions": count, "ms_per_submission_in_process": round(1000 * elapsed / count, 1),
                  "sql_statements_per_submission": round(statements / count, 1),
                  "transactions_per_submission": round(transactions / count, 1), "top_functions": rows}))
"""


def profile(site_env: dict[str, str], count: int) -> dict[str, Any]:
    """Profile ``count`` API submissions in one process (Django test client, the site's database)."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", PROFILE_SCRIPT, str(ROOT), json.dumps(REPORT), str(count)],
        cwd=ROOT,
        env={**site_env, "PELUIT_ALLOWED_HOSTS": "testserver"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        return {"error": result.stderr[-1500:]}
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def cpu_figures(level: dict[str, Any], baseline: dict[str, Any], derivation_cpu_s: float) -> dict[str, Any]:
    """Return the goals counted in CPU time: what the server processes spent per report, not wall time.

    On a machine shared with other work the wall-clock figures move with everyone else's load, between the
    limit's measurement and the load's; CPU seconds per report do not (much). Share of the limit in CPU
    terms = one derivation's CPU time ÷ the server's CPU time per report (1.0: the server spends its CPU on
    Argon2id and nothing else); the overhead is (CPU per report − one derivation) ÷ CPU per baseline request.
    """
    per_report = level.get("server_cpu_ms_per_request")
    per_baseline = baseline.get("server_cpu_ms_per_request")
    if not per_report or not per_baseline:
        return {}
    share = 1000 * derivation_cpu_s / per_report
    overhead = (per_report - 1000 * derivation_cpu_s) / per_baseline
    return {
        "cpu_ms_per_report": per_report,
        "cpu_ms_per_derivation": round(1000 * derivation_cpu_s, 1),
        "cpu_ms_per_baseline_request": per_baseline,
        "cpu_share_of_limit": _down(share),
        "cpu_share_met": share >= GOAL_SHARE_OF_LIMIT and level["errors"] == 0,
        "cpu_overhead_ratio": round(overhead, 2),
        "cpu_overhead_met": overhead <= GOAL_OVERHEAD,
        # The share a server would reach whose submission cost one derivation plus a plaintext baseline
        # request (the same Django stack and gunicorn, one insert): the ceiling of the share with this stack,
        # measured with the baseline alone on the machine (beside Argon2id the same work costs more).
        "cpu_share_ceiling_baseline_plus_argon2": round(
            1000 * derivation_cpu_s / (1000 * derivation_cpu_s + per_baseline), 3
        ),
    }


# --- Main ---------------------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", default="1,8,16", help="client counts (comma-separated)")
    parser.add_argument("--channels", default="form,api")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each load level")
    parser.add_argument("--max-requests", type=int, default=600, help="bound on the requests of each level")
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        default=WARMUP_SECONDS,
        help="load each channel and its baseline this long before measuring it (not counted)",
    )
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: bin/run's)")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: bin/run's)")
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument(
        "--goal-rounds",
        type=int,
        default=GOAL_ROUNDS,
        help="rounds of the goal level (8 clients), each between two measurements of the limit; the median counts",
    )
    parser.add_argument("--profile", action="store_true", help="add a profile of submissions (in-process)")
    parser.add_argument("--profile-count", type=int, default=30)
    args = parser.parse_args()

    clients = [int(c) for c in args.clients.split(",")]
    channels = args.channels.split(",")
    before = machine()
    params = receipt_params()
    limit_before = argon2_limit(params)
    levels: dict[str, list[dict[str, Any]]] = {}
    baseline: dict[str, dict[str, Any]] = {}
    # The goal level's own reference: the limit measured just before and just after it. This machine's speed
    # drifts by a few per cent within minutes (other work on the host); the run's first and last measurement
    # are minutes away from a channel's level, these seconds.
    around_goal: dict[str, dict[str, Any]] = {}
    with scratch_site(database_url=args.database_url) as site:
        with serve(site, workers=args.workers, threads=args.threads) as server:
            shape = {"gunicorn_workers": server.workers, "threads": server.threads}
            for channel in channels:
                if args.warmup_seconds > 0:
                    load(server, channel, "peluit", GOAL_CLIENTS, args.warmup_seconds, args.max_requests)
                levels[channel] = []
                for n in clients:
                    if n != GOAL_CLIENTS:
                        levels[channel].append(load(server, channel, "peluit", n, args.seconds, args.max_requests))
                        continue
                    rounds = []
                    for _ in range(max(1, args.goal_rounds)):
                        before_level = argon2_limit(params)
                        level = load(server, channel, "peluit", n, args.seconds, args.max_requests)
                        rounds.append({"before": before_level, "level": level, "after": argon2_limit(params)})
                    around_goal[channel] = summarise_rounds(rounds, cores=os.cpu_count() or 1)
                    levels[channel].append(around_goal[channel].pop("level"))
                if args.warmup_seconds > 0:
                    load(server, channel, "baseline", GOAL_CLIENTS, args.warmup_seconds, 20 * args.max_requests)
                baseline[channel] = load(
                    server, channel, "baseline", GOAL_CLIENTS, args.seconds, 20 * args.max_requests
                )
        profiled = profile(site.env, args.profile_count) if args.profile else None
    limit_after = argon2_limit(params)
    after = machine()

    cores = os.cpu_count() or 1
    # The run's limit (its first and last measurement) is the reference of the levels other than the goal's.
    run_limit = cores * 2000 / (limit_before["derivation_ms"] + limit_after["derivation_ms"])
    goals: dict[str, Any] = {}
    for channel in channels:
        at_goal = next((lvl for lvl in levels[channel] if lvl["clients"] == GOAL_CLIENTS), None)
        if at_goal is None or not at_goal["per_second"]:
            continue
        around = around_goal[channel]
        derivation_s = (around["before"]["derivation_ms"] + around["after"]["derivation_ms"]) / 2000
        derivation_cpu_s = (around["before"]["derivation_cpu_ms"] + around["after"]["derivation_cpu_ms"]) / 2000
        limit = cores / derivation_s
        share = at_goal["per_second"] / limit
        errors = around["round_errors"]  # every round's, not only the median's
        per_report = cores / at_goal["per_second"]
        per_baseline = cores / baseline[channel]["per_second"]
        overhead = (per_report - derivation_s) / per_baseline
        goals[channel] = {
            "reports_per_second": at_goal["per_second"],
            "limit_per_second": round(limit, 2),
            "derivation_ms": round(1000 * derivation_s, 1),
            "share_of_limit": _down(share),
            "share_goal": GOAL_SHARE_OF_LIMIT,
            "errors": errors,
            "share_met": share >= GOAL_SHARE_OF_LIMIT and errors == 0,
            "round_shares": around["round_shares"],
            "ms_per_report": round(1000 * per_report, 1),
            "ms_per_report_without_argon2": round(1000 * (per_report - derivation_s), 1),
            "baseline_per_second": baseline[channel]["per_second"],
            "ms_per_baseline_request": round(1000 * per_baseline, 2),
            "overhead_ratio": round(overhead, 2),
            "overhead_goal": GOAL_OVERHEAD,
            "overhead_met": overhead <= GOAL_OVERHEAD,
            **cpu_figures(at_goal, baseline[channel], derivation_cpu_s),
        }
    emit(
        {
            "benchmark": "intake_throughput",
            "commit": commit(),
            "machine": {**before, "load_average_after": after["load_average"]},
            "server": {
                **shape,
                "database": "postgresql" if args.database_url else "sqlite",
                "kdf_receipt": {"ops": params[0], "mem_mib": params[1] // 2**20},
                "warmup_seconds_per_channel": args.warmup_seconds,
            },
            "argon2_limit": {
                "before": limit_before,
                "after": limit_after,
                "limit_per_second": round(run_limit, 2),
                "around_goal_level": around_goal,
            },
            "levels": levels,
            "baseline": baseline,
            "goals": goals,
            "profile": profiled,
        }
    )


if __name__ == "__main__":
    main()
