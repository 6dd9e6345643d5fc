"""Issue 9, item 13: a rewritten tail is caught outside the database, by a witness on another machine.

The reproduction, end to end with real processes: the log's database is copied to a SECOND database, which a
gunicorn server of the institution serves. Another institution's witness (its own process, its own settings and
keys, no access to either database) cosigns the log's checkpoints over HTTP. Then someone holding the database
and the server rewrites history: deletes an event covered by checkpoints, renumbers and re-hashes every event
after it, deletes the checkpoints (and their events and cosignatures) that would betray it, and signs a new
checkpoint with the log's real key. ``audit_verify`` on that database says OK (nothing inside it is left to
disagree); the witness's next run reports the fork (exit 1), and ``audit_verify --witness`` with the witness's
state file fails too. Runs on whichever database the suite runs on (SQLite, PostgreSQL).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from audit import chain, signing
from audit.checkpoints import create_checkpoint
from tests.audit.helpers import write_events
from tests.support.postgres import drop_database

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.usefixtures("every_checkpoint_published"),
]

ROOT = Path(settings.BASE_DIR)
WITNESS_NAME = "inspektorat.kota-lain.go.id/witness"
COLUMNS = "salt, seq, at_us, actor_kind, actor_staff_id, actor_username, action, case_ref, details"


class Database:
    """The SECOND database: a copy of the test database, reached without Django (as an attacker would)."""

    def __init__(self, tmp_path: Path) -> None:
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.path = tmp_path / "copy.sqlite3"
            self.url = f"sqlite:///{self.path}"
            return
        params: dict[str, Any] = connection.settings_dict
        self.server = f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST']}:{params['PORT']}"
        self.source = params["NAME"]
        self.name = f"{params['NAME']}_copy_{uuid.uuid4().hex[:8]}"
        self.url = f"{self.server}/{self.name}"

    def copy_from_test_database(self) -> None:
        if self.vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(self.path)
            connection.connection.backup(target)
            target.close()
            return
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {self.name}")
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", f"{self.server}/{self.source}"],
            capture_output=True,
            check=True,
            timeout=120,
        )
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", self.url], input=dump.stdout, capture_output=True, check=True
        )

    def drop(self) -> None:
        if self.vendor == "postgresql":
            drop_database(f"{self.server}/postgres", self.name)

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A cursor of the database's owner, in one committed transaction, with the append-only guard off."""
        if self.vendor == "sqlite":
            raw = sqlite3.connect(self.path)
            try:
                for table in ("audit_auditevent", "audit_auditcheckpoint", "audit_auditcosignature"):
                    raw.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                    raw.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
                yield raw.cursor()
                raw.commit()
            finally:
                raw.close()
            return
        with psycopg.connect(self.url) as raw:
            for table in ("audit_auditevent", "audit_auditcheckpoint", "audit_auditcosignature"):
                raw.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield raw.cursor()

    def param(self) -> str:
        return "?" if self.vendor == "sqlite" else "%s"


def rewrite_history(db: Database, *, remove_seq: int) -> None:
    """Remove event ``remove_seq`` and every checkpoint after it; renumber and re-hash what follows."""
    p = db.param()
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM audit_auditevent WHERE seq > {remove_seq} ORDER BY seq")  # noqa: S608
        later = [row for row in cursor.fetchall() if row[6] != "audit.checkpoint_created"]
        cursor.execute(f"SELECT chain_hash FROM audit_auditevent WHERE seq = {remove_seq - 1}")  # noqa: S608
        previous = bytes(cursor.fetchone()[0])
        covering = f"SELECT id FROM audit_auditcheckpoint WHERE tree_size >= {remove_seq}"  # noqa: S608
        cursor.execute(f"DELETE FROM audit_auditcosignature WHERE checkpoint_id IN ({covering})")  # noqa: S608
        cursor.execute(f"DELETE FROM audit_auditcheckpoint WHERE tree_size >= {remove_seq}")  # noqa: S608
        cursor.execute(f"DELETE FROM audit_auditevent WHERE seq >= {remove_seq}")  # noqa: S608
        for seq, row in enumerate(later, start=remove_seq):
            fields = (row[0], seq, *row[2:])
            leaf = chain.leaf_hash(chain.row_bytes(*fields))
            previous = chain.chain_hash(previous, leaf)
            cursor.execute(
                f"INSERT INTO audit_auditevent ({COLUMNS}, leaf_hash, chain_hash) "  # noqa: S608
                f"VALUES ({', '.join([p] * 11)})",
                [*fields, leaf, previous],
            )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def base_env(tmp_path: Path, name: str, database_url: str) -> dict[str, str]:
    drop = {"PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER", "DATABASE_URL"}
    return {
        **{k: v for k, v in os.environ.items() if k not in drop},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PELUIT_VAR_DIR": str(tmp_path / name),
        "DATABASE_URL": database_url,
        "PELUIT_KDF_PROFILE": "test",
    }


@contextmanager
def serve(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                        if response.status == 200:
                            break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise AssertionError(log.read_text()[-3000:]) from None
                    time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_a_witness_on_another_machine_detects_a_rewritten_tail_of_a_copied_database(tmp_path: Path) -> None:
    # The institution's log: events and checkpoints, then the SECOND database, a copy of it.
    write_events(6)
    create_checkpoint()  # tree size 7
    write_events(4)
    create_checkpoint()  # tree size 12
    db = Database(tmp_path)
    db.copy_from_test_database()
    try:
        witness_env = base_env(tmp_path, "witness-machine", f"sqlite:///{tmp_path / 'never-created.sqlite3'}")
        witness_env["PELUIT_CHECKPOINT_KEY"] = "the witness institution's own installation"
        witness_args = ["--state", str(tmp_path / "witness" / "state.json"), "--key", str(tmp_path / "witness" / "key")]
        vkey = manage(witness_env, "audit_witness", "--vkey", "--name", WITNESS_NAME, *witness_args)
        assert vkey.returncode == 0, vkey.stderr

        server_env = base_env(tmp_path, "server", db.url)
        server_env.update(
            PELUIT_CHECKPOINT_KEY=str(settings.PELUIT_CHECKPOINT_KEY),
            PELUIT_AUDIT_ORIGIN=signing.key_name(),
            PELUIT_AUDIT_WITNESSES=vkey.stdout.strip(),
            PELUIT_INSECURE_HTTP="1",
            PELUIT_REPORTER_TIME_GRANULARITY="1",  # every checkpoint published, as in this process
        )
        with serve(server_env, free_port(), tmp_path / "gunicorn.log") as url:
            first = manage(
                witness_env, "audit_witness", url, "--log-key", signing.verifier_key().encode(), *witness_args
            )
            assert first.returncode == 0, first.stderr
            assert "cosigned tree size 12" in first.stdout and "HTTP 201" in first.stderr
            assert WITNESS_NAME in urllib.request.urlopen(f"{url}/audit/checkpoint").read().decode()  # noqa: S310

            # The log grows; the witness follows with a consistency proof.
            grow = "from tests.audit.helpers import write_events; write_events(5)"
            assert manage(server_env, "shell", "-c", grow).returncode == 0
            assert manage(server_env, "audit_checkpoint").returncode == 0  # tree size 18
            second = manage(witness_env, "audit_witness", url, *witness_args)
            assert second.returncode == 0 and "consistency proven" in second.stdout, second.stderr
            assert manage(server_env, "shell", "-c", grow).returncode == 0  # 19..23, after the last checkpoint

            # History is rewritten behind the database's back and signed anew with the log's own key.
            rewrite_history(db, remove_seq=9)
            resigned = manage(server_env, "audit_checkpoint")
            assert resigned.returncode == 0, resigned.stderr
            # Today's local check cannot tell: every hash recomputed, no checkpoint left to disagree.
            local = manage(server_env, "audit_verify")
            assert local.returncode == 0 and local.stdout.startswith("OK"), local.stderr

            forked = manage(witness_env, "audit_witness", url, *witness_args)
            assert forked.returncode == 1, (forked.stdout, forked.stderr)
            assert "FORK" in forked.stderr and "the log was rewritten" in forked.stderr
            assert "Traceback" not in forked.stderr
            assert list((tmp_path / "witness").glob("state.json.fork-*.txt"))

        witnessed = manage(server_env, "audit_verify", "--witness", str(tmp_path / "witness" / "state.json"))
        assert witnessed.returncode == 1, witnessed.stdout
        assert "the witnessed checkpoint" in witnessed.stderr and "does not match the checkpoint" in witnessed.stderr
    finally:
        db.drop()
