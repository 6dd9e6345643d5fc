"""Benchmark of the audit log; prints JSON. Never part of the test run.

    .venv/bin/python bench/audit.py [--events 1000000] [--appends 2000] [--vendors sqlite,postgresql]

For each database vendor, in a scratch database of its own (a temporary SQLite file; a ``peluit_bench``
PostgreSQL database created and dropped here, reached through ``PELUIT_BENCH_PG_URL`` or the CI default):

- append rate of ``audit.services.record``: one event per transaction, and many events in one transaction;
- verify time of ``audit.verify.verify_log`` (every leaf hash, chain link, tree root, checkpoint) over
  ``--events`` events, bulk-loaded with correct hashes;
- ``audit_verify --checkpoint`` time (adds the consistency proof) and checkpoint creation time;
- inclusion and consistency proof sizes at that tree size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://peluit:peluit@127.0.0.1:5432/peluit_bench"


def _setup(vendor: str, workdir: Path) -> None:
    os.environ["PELUIT_VAR_DIR"] = str(workdir / "var")
    os.environ["PELUIT_CHECKPOINT_KEY"] = "bench checkpoint key"
    if vendor == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        url = os.environ.get("PELUIT_BENCH_PG_URL", DEFAULT_PG)
        os.environ["DATABASE_URL"] = url
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        name = url.rsplit("/", 1)[1]
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
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')


def _append_rate(appends: int) -> dict[str, float]:
    from django.db import transaction

    from audit.actions import Action
    from audit.services import record

    started = time.perf_counter()
    for i in range(appends):
        with transaction.atomic():
            record(action=Action.REPORT_UNSEALED, actor="system", case_ref="WBS-2026-000001", details={"n": i})
    single = appends / (time.perf_counter() - started)
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(appends):
            record(action=Action.REPORT_UNSEALED, actor="system", case_ref="WBS-2026-000001", details={"n": i})
    batched = appends / (time.perf_counter() - started)
    return {
        "events_per_second_one_per_transaction": round(single),
        "events_per_second_in_one_transaction": round(batched),
    }


def _bulk_load(total: int) -> float:
    """Append events with correct hashes straight into the table (as record() would write them), fast."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from audit import chain
    from audit.models import AuditEvent

    staff_id = get_user_model().objects.get_or_create(username="petugas1")[0].pk  # the actor is a foreign key
    started = time.perf_counter()
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "at_us", "chain_hash").first()
    seq, at_us, previous = (last[0], last[1], bytes(last[2])) if last else (0, time.time_ns() // 1000, chain.GENESIS)
    batch: list[AuditEvent] = []
    while seq < total:
        seq += 1
        at_us += 7
        details = chain.canonical_details({"n": seq})
        salt = chain.new_salt()
        fields = (
            salt,
            seq,
            at_us,
            "staff",
            staff_id,
            "petugas1",
            "vault.report_unsealed",
            f"WBS-2026-{seq % 999999:06d}",
            details,
        )
        leaf = chain.leaf_hash(chain.row_bytes(*fields))
        previous = chain.chain_hash(previous, leaf)
        batch.append(
            AuditEvent(
                seq=seq, salt=salt, at_us=at_us, actor_kind="staff", actor_staff_id=staff_id,
                actor_username="petugas1", action="vault.report_unsealed", case_ref=fields[7], details=details,
                leaf_hash=leaf, chain_hash=previous,
            )
        )  # fmt: skip
        if len(batch) == 20_000:
            with transaction.atomic():
                AuditEvent.objects.bulk_create(batch)
            batch = []
    if batch:
        with transaction.atomic():
            AuditEvent.objects.bulk_create(batch)
    return time.perf_counter() - started


def run_vendor(vendor: str, events: int, appends: int) -> dict[str, object]:
    """Run every measurement on one vendor and return the numbers."""
    with tempfile.TemporaryDirectory() as tmp:
        _setup(vendor, Path(tmp))
        try:
            from django.db import connection

            from audit import merkle
            from audit.checkpoints import create_checkpoint
            from audit.models import AuditEvent
            from audit.verify import verify_external_checkpoint, verify_log

            result: dict[str, object] = {"vendor": connection.vendor}
            result.update(_append_rate(appends))
            half = events // 2
            result["bulk_load_seconds"] = round(_bulk_load(half), 2)
            started = time.perf_counter()
            first = create_checkpoint()
            result["create_checkpoint_seconds_at_half"] = round(time.perf_counter() - started, 2)
            _bulk_load(events - 1)
            create_checkpoint()  # the log now holds exactly `events` events and two checkpoints
            result["events"] = AuditEvent.objects.count()
            started = time.perf_counter()
            report = verify_log()
            result["verify_seconds"] = round(time.perf_counter() - started, 2)
            result["verify_intact"] = report.intact
            started = time.perf_counter()
            external = verify_external_checkpoint(first.note)
            result["verify_external_checkpoint_seconds"] = round(time.perf_counter() - started, 2)
            leaves = [bytes(h) for h in AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True)]
            inclusion = merkle.inclusion_proof(len(leaves) // 3, leaves)
            result["inclusion_proof_hashes"] = len(inclusion)
            result["inclusion_proof_bytes"] = 32 * len(inclusion)
            result["consistency_proof_hashes_half_to_full"] = len(external.proof)
            result["consistency_proof_bytes_half_to_full"] = 32 * len(external.proof)
            return result
        finally:
            _teardown(vendor)


def main() -> None:
    """Run the benchmark for each vendor in its own process (settings are read once per process)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2_000)
    parser.add_argument("--vendors", default="sqlite,postgresql")
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        print(json.dumps(run_vendor(args.only, args.events, args.appends)))
        return
    results = []
    for vendor in args.vendors.split(","):
        child = subprocess.run(
            [sys.executable, __file__, "--only", vendor, "--events", str(args.events), "--appends", str(args.appends)],
            capture_output=True,
            text=True,
        )
        lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
        if child.returncode != 0 or not lines:
            results.append({"vendor": vendor, "error": (child.stderr.strip().splitlines() or ["failed"])[-1]})
        else:
            results.append(json.loads(lines[-1]))
    machine = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    print(json.dumps({"benchmark": "audit", "machine": machine, "results": results}, indent=2))


if __name__ == "__main__":
    main()
