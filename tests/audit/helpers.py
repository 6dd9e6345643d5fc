"""Helpers for the audit tests: write events, run the commands and read their exit status."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, models, transaction
from django.db.models.query import QuerySet

from audit import merkle
from audit.actions import Action
from audit.models import AuditCheckpoint, AuditEvent
from audit.services import record


def write_events(count: int, *, case_ref: str = "WBS-2026-000001") -> list[AuditEvent]:
    """Append ``count`` plain events in one transaction and return them."""
    with transaction.atomic():
        return [
            record(action=Action.REPORT_UNSEALED, actor="system", case_ref=case_ref, details={"n": i})
            for i in range(count)
        ]


@dataclass(frozen=True)
class Outcome:
    """What a management command printed and its exit status."""

    status: int
    out: str
    err: str


def run(command: str, *args: str) -> Outcome:
    """Run a management command the way ``manage.py`` would and return its exit status and output."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except CommandError as error:
        return Outcome(error.returncode, out.getvalue(), err.getvalue() + str(error))
    return Outcome(0, out.getvalue(), err.getvalue())


def drop_append_only_triggers() -> None:
    """Remove the append-only guard for the rest of the test's transaction (rolled back with the test).

    Stands for an attacker with direct database access: SQLite drops the triggers, PostgreSQL disables them.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in ("audit_auditevent", "audit_auditcheckpoint", "audit_auditcosignature"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            # Run the deferred foreign-key checks now: ALTER TABLE refuses while trigger events are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE audit_auditcheckpoint DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE audit_auditcosignature DISABLE TRIGGER USER")


def tamper(statement: str, params: Sequence[object] = ()) -> None:
    """Drop the append-only guard and run one raw SQL ``statement``, as someone with the database would."""
    from django.db import connection

    drop_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


def skip_unless(vendor: str) -> None:
    """Skip the test unless the database is ``vendor`` ("any" runs everywhere): only SQLite keeps any type."""
    from django.db import connection

    if vendor != "any" and connection.vendor != vendor:
        pytest.skip("SQLite only: PostgreSQL's columns keep their types")


def stop_database_for(model: type[models.Model], monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every read of ``model``'s rows fail as a database that went away does (the 503, not an altered log)."""
    fetch_all = QuerySet._fetch_all

    def stopped(queryset: QuerySet[Any]) -> None:
        if queryset.model is model and queryset._result_cache is None:
            raise OperationalError("server closed the connection unexpectedly")
        fetch_all(queryset)

    monkeypatch.setattr(QuerySet, "_fetch_all", stopped)


def assert_served_proof_verifies(response: Any, old: AuditCheckpoint, new: AuditCheckpoint) -> None:
    """The answer is a 200 whose lines are an RFC 9162 consistency proof from ``old``'s signed root to ``new``'s."""
    assert response.status_code == 200, response.content
    proof = [base64.b64decode(line) for line in response.content.decode().split()]
    assert merkle.verify_consistency(
        old_size=old.tree_size,
        new_size=new.tree_size,
        old_root=bytes(old.root_hash),
        new_root=bytes(new.root_hash),
        proof=proof,
    )
