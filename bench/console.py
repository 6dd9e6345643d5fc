"""Benchmark of the staff console at scale; prints JSON. Never part of the test run.

    .venv/bin/python bench/console.py [--cases 100000] [--held 5000] [--small 2500] [--repeat 30]
                                      [--search-repeat 10] [--vendors sqlite,postgresql]

For each database vendor, in a scratch database of its own (a temporary SQLite file; a PostgreSQL database
created and dropped here, reached through ``PELUIT_BENCH_PG_URL``, default ``.../peluit_bench_console``):

1. ``--small`` cases are created (``tests.support.bulk_cases``: real rows; the ``--held`` newest are sealed for
   real to one officer, who searches them), and every page is timed; then the rest up to ``--cases`` is added
   and every page is timed again. Pages go through Django's full stack in this process (test client, logged in
   with password and TOTP): middleware, session, the split-key vault cookie, templates.
2. Figures, each p50/p95 in ms with its goal and the SQL queries it took:
   - ``queue_first_page``: a supervisor's queue, first page (newest first);
   - ``queue_filtered_by_due``: a supervisor's queue filtered (WBS, open) and sorted by due date;
   - ``officer_queue``: the officer's list of the cases they hold; ``my_work``: their "my work" view (by
     default the open cases assigned to them: the ``--held`` cases have them as lead officer);
   - ``queue_assignee``: a supervisor's queue narrowed to the officer's assignments, open, by due date;
   - ``queue_unassigned``: a supervisor's queue of the open cases nobody is assigned to, by due date;
   - ``case_page``: the officer opens one case (content, messages, files decrypted);
   - ``search_held``: the officer searches the text of every case they hold (``--held`` of them).
3. References measured in the same run: ``python_loop_1e6`` (a million additions: how fast this processor is
   right now, on a shared machine), ``healthz`` (the same client on the cheapest page: the stack's
   floor), ``sql_limit_50`` (a bare ``SELECT ... ORDER BY received_at DESC LIMIT 50`` on the case table), and
   ``unseal_keys`` (opening ``--held`` sealed data keys in one thread: the search's cryptographic floor).
   Ratios to these are printed, so a figure can be compared across machines and loads.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://peluit:peluit@127.0.0.1:5432/peluit_bench_console"
GOALS_MS = {
    "queue_first_page": 100,
    "queue_filtered_by_due": 100,
    "officer_queue": 100,
    "my_work": 100,
    "queue_assignee": 100,
    "queue_unassigned": 100,
    "case_page": 100,
    "search_held": 1000,
}
FILTERED = "/console/cases/?kind=wbs&state=open&sort=due"
SEARCH_WORD = "Kanaribench"
PASSWORD = "bench passphrase 12345"  # noqa: S105 - a throwaway database


def _setup(vendor: str, workdir: Path) -> None:
    os.environ["PELUIT_VAR_DIR"] = str(workdir / "var")
    os.environ["PELUIT_MEDIA_ROOT"] = str(workdir / "media")
    os.environ["PELUIT_KDF_PROFILE"] = "test"  # cheap Argon2id for the officers' keys; not what is measured
    os.environ["PELUIT_INSECURE_HTTP"] = "1"
    if vendor == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        url = os.environ.get("PELUIT_BENCH_PG_URL", DEFAULT_PG)
        os.environ["DATABASE_URL"] = url
        import psycopg

        admin, name = url.rsplit("/", 1)[0] + "/postgres", url.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _teardown(vendor: str) -> None:
    from django.db import connections

    connections.close_all()
    if vendor == "postgresql":
        import psycopg

        url = os.environ["DATABASE_URL"]
        admin, name = url.rsplit("/", 1)[0] + "/postgres", url.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _timed(call: Callable[[], Any], repeat: int) -> dict[str, float]:
    call()  # warm: templates, translations, query plans
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95, 1),
        # This process's processor time (all its threads): what the page costs when it has the machine to itself
        # (on a shared machine the wall time also counts waiting for a core; PostgreSQL's own work is not in it).
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "runs": repeat,
    }


def _queries(call: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        call()
    return len(context.captured_queries)


def _get(client: Any, path: str) -> Callable[[], Any]:
    def call() -> Any:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {response.status_code}")
        return response

    return call


def _measure(
    clients: dict[str, Any], officer_id: int, case_number: str, repeat: int, search_repeat: int
) -> dict[str, Any]:
    supervisor, officer = clients["supervisor"], clients["officer"]

    def search() -> Any:
        response = officer.post("/console/search/", {"q": SEARCH_WORD})
        if response.status_code != 200 or b"search-hit" not in response.content:
            raise RuntimeError(f"search: HTTP {response.status_code}")
        return response

    pages = {
        "queue_first_page": _get(supervisor, "/console/cases/"),
        "queue_filtered_by_due": _get(supervisor, FILTERED),
        "officer_queue": _get(officer, "/console/cases/"),
        "my_work": _get(officer, "/console/cases/?view=my-work"),
        "queue_assignee": _get(supervisor, f"/console/cases/?assignee={officer_id}&state=open&sort=due"),
        "queue_unassigned": _get(supervisor, "/console/cases/?assignee=none&state=open&sort=due"),
        "case_page": _get(officer, f"/console/cases/{case_number}/"),
        "search_held": search,
    }
    figures: dict[str, Any] = {}
    for name, call in pages.items():
        figures[name] = {
            **_timed(call, search_repeat if name == "search_held" else repeat),
            "queries": _queries(call),
            "rows": call().content.count(b'class="case-row'),  # a list's rows (an empty page makes fewer queries)
            "goal_p95_ms": GOALS_MS[name],
        }
        figures[name]["meets_goal"] = figures[name]["p95_ms"] < GOALS_MS[name]
    return figures


def _references(client: Any, held: int, repeat: int) -> dict[str, Any]:
    from django.db import connection

    from vault import crypto, formats
    from vault.access import case_key_context

    def plain_sql() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, number FROM casework_case ORDER BY received_at DESC LIMIT 50")
            cursor.fetchall()

    public, private = crypto.box_keypair()
    boxes = [
        formats.sealed_key(public, crypto.random_key(), context=case_key_context(__import__("uuid").uuid4(), "data"))
        for _ in range(held)
    ]

    def unseal() -> None:
        for blob in boxes:
            crypto.box_open(private, blob[1:], public_key=public)

    def python_loop() -> None:
        total = 0
        for number in range(1_000_000):
            total += number

    return {
        "python_loop_1e6": _timed(python_loop, 3),
        "healthz": _timed(_get(client, "/healthz"), repeat),
        "sql_limit_50": _timed(plain_sql, repeat),
        "unseal_keys": {**_timed(unseal, 3), "keys": held},
    }


def run_vendor(vendor: str, cases: int, held: int, small: int, repeat: int, search_repeat: int) -> dict[str, Any]:
    """Seed, measure at ``small`` and at ``cases`` cases, and return the figures of one vendor."""
    workdir = Path(tempfile.mkdtemp(prefix="peluit-bench-console-"))
    _setup(vendor, workdir)
    try:
        from django.db import connection
        from django.test import Client

        from casework.models import Case
        from casework.staff.services import staff_create
        from tests.support.bulk_cases import create_cases
        from tests.support.staff import login

        supervisor = staff_create(username="kepala", role="supervisor", password=PASSWORD).user
        officer = staff_create(username="petugas", role="officer", password=PASSWORD).user
        clients = {}
        for name, user in (("supervisor", supervisor), ("officer", officer)):
            clients[name] = Client()
            login(clients[name], user, password=PASSWORD)
        held = min(held, small, cases)
        markers = {small - 1 - i * 997: SEARCH_WORD for i in range(max(1, held // 1000))}
        started = time.perf_counter()
        made = create_cases(small, holders=[officer], held=held, markers=markers, seed=1, lead=officer)
        seeded_small = time.perf_counter() - started
        case_number = Case.objects.get(pk=made.held_ids[-1]).number
        at_small = _measure(clients, officer.pk, case_number, repeat, search_repeat)
        started = time.perf_counter()
        create_cases(
            cases - small, seed=2, start=Case.objects.order_by("received_at").first().received_at.replace(year=2024)
        )
        seeded_rest = time.perf_counter() - started
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        at_full = _measure(clients, officer.pk, case_number, repeat, search_repeat)
        references = _references(clients["supervisor"], held, repeat)
        floor = references["healthz"]["p95_ms"]
        for figure in at_full.values():
            figure["ratio_to_healthz_p95"] = round(figure["p95_ms"] / floor, 1) if floor else None
        at_full["search_held"]["ratio_to_unseal_keys_p50"] = round(
            at_full["search_held"]["p50_ms"] / references["unseal_keys"]["p50_ms"], 2
        )
        return {
            "vendor": vendor,
            "cases": Case.objects.count(),
            "held_by_officer": held,
            "seconds_to_seed": {"small": round(seeded_small, 1), "rest": round(seeded_rest, 1)},
            "at_small": {"cases": small, "figures": at_small},
            "at_full": {"cases": cases, "figures": at_full},
            # Lists compared where both pages had rows (with --held equal to --small, nothing is unassigned at
            # first: an empty page skips the unread count); the case page's queries depend on its case.
            "queries_constant": all(
                at_small[name]["queries"] == at_full[name]["queries"]
                for name in at_full
                if name == "search_held" or (name != "case_page" and at_small[name]["rows"] and at_full[name]["rows"])
            ),
            "references": references,
        }
    finally:
        _teardown(vendor)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    """Run the benchmark for each vendor in its own process (settings are read once per process)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--held", type=int, default=5_000)
    parser.add_argument("--small", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--search-repeat", type=int, default=10)
    parser.add_argument("--vendors", default="sqlite,postgresql")
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        result = run_vendor(args.only, args.cases, args.held, args.small, args.repeat, args.search_repeat)
        print(json.dumps(result))
        return
    results = []
    for vendor in args.vendors.split(","):
        command = [sys.executable, __file__, "--only", vendor]
        for name in ("cases", "held", "small", "repeat", "search_repeat"):
            command += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
        if child.returncode != 0 or not lines:
            results.append({"vendor": vendor, "error": (child.stderr.strip().splitlines() or ["failed"])[-1]})
        else:
            results.append(json.loads(lines[-1]))
    machine = {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": sys.version.split()[0]}
    print(json.dumps({"benchmark": "console", "machine": machine, "results": results}, indent=2))


if __name__ == "__main__":
    main()
