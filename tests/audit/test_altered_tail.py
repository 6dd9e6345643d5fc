"""An audit log whose last event was edited so that nothing can follow it: every write stops with a clear 503."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from audit.actions import Action
from audit.checkpoints import log_size
from audit.exceptions import AuditTailAltered
from audit.services import record
from casework.models import Case
from tests.audit.helpers import skip_unless, tamper, write_events
from tests.intake.conftest import IntakeStaff, create_intake_staff, wbs_post

pytestmark = pytest.mark.django_db

# (database it can happen on, the edit). In SQLite text sorts after every number, so an edited seq anywhere
# becomes the "last" event.
LAST = "(SELECT MAX(seq) FROM audit_auditevent)"
EDITS = [
    ("sqlite", "UPDATE audit_auditevent SET seq = 'abc' WHERE seq = 1"),
    ("sqlite", "UPDATE audit_auditevent SET seq = seq + 0.5 WHERE seq = (SELECT MAX(seq) FROM audit_auditevent)"),
    ("sqlite", "UPDATE audit_auditevent SET at_us = 'abc' WHERE seq = (SELECT MAX(seq) FROM audit_auditevent)"),
    ("sqlite", "UPDATE audit_auditevent SET chain_hash = 'abc' WHERE seq = (SELECT MAX(seq) FROM audit_auditevent)"),
    (
        "sqlite",
        "UPDATE audit_auditevent SET chain_hash = CAST(x'ff' AS TEXT) WHERE seq = " + LAST,  # noqa: S608 - constants
    ),
    (
        "sqlite",
        "UPDATE audit_auditevent SET at_us = CAST(x'ff' AS TEXT) WHERE seq = (SELECT MAX(seq) FROM audit_auditevent)",
    ),
    (
        "postgresql",
        "ALTER TABLE audit_auditevent ALTER COLUMN chain_hash DROP NOT NULL;"
        " UPDATE audit_auditevent SET chain_hash = NULL WHERE seq = (SELECT MAX(seq) FROM audit_auditevent)",
    ),
    (
        "postgresql",
        "ALTER TABLE audit_auditevent ALTER COLUMN at_us DROP NOT NULL;"
        " UPDATE audit_auditevent SET at_us = NULL WHERE seq = (SELECT MAX(seq) FROM audit_auditevent)",
    ),
]


@pytest.fixture
def intake_staff(make_staff: Any) -> IntakeStaff:
    """The intake recipients (tests/intake/conftest.py), so that a report could be stored."""
    return create_intake_staff(make_staff)


def _edit(vendor: str, statements: str) -> None:
    skip_unless(vendor)
    write_events(3)
    for statement in statements.split("; "):
        tamper(statement)


@pytest.mark.parametrize(("vendor", "statements"), EDITS)
def test_nothing_is_appended_after_an_altered_last_event(vendor: str, statements: str) -> None:
    _edit(vendor, statements)
    with pytest.raises(AuditTailAltered), transaction.atomic():
        record(action=Action.REPORT_UNSEALED, actor="system", case_ref="WBS-2026-000001", details={})
    if statements.startswith("UPDATE audit_auditevent SET seq"):
        with pytest.raises(AuditTailAltered):
            log_size()


@pytest.mark.parametrize(("vendor", "statements"), EDITS)
def test_a_report_is_refused_with_a_clear_503_and_nothing_is_stored(
    vendor: str, statements: str, intake_staff: IntakeStaff
) -> None:
    _edit(vendor, statements)
    client = Client(raise_request_exception=False)
    api = client.post("/api/v1/reports/wbs", wbs_post(), headers={"Accept-Language": "en"})
    assert api.status_code == 503 and api["Retry-After"], api.content
    assert "audit log needs the operator's attention" in api.json()["detail"]
    page = client.post("/report/wbs/", wbs_post())
    assert page.status_code == 503 and "log auditnya perlu ditangani operator" in page.content.decode()
    assert not Case.objects.exists()


def test_the_same_write_succeeds_once_the_row_is_restored(intake_staff: IntakeStaff) -> None:
    skip_unless("sqlite")
    write_events(3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, chain_hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1")
        last, kept = cursor.fetchone()
    tamper("UPDATE audit_auditevent SET chain_hash = 'abc' WHERE seq = %s", [last])
    client = Client(raise_request_exception=False)
    assert client.post("/api/v1/reports/wbs", wbs_post()).status_code == 503
    assert client.get("/healthz").status_code == 503  # monitoring sees what every write meets
    tamper("UPDATE audit_auditevent SET chain_hash = %s WHERE seq = %s", [kept, last])
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.post("/api/v1/reports/wbs", wbs_post()).status_code == 201
    assert Case.objects.count() == 1
