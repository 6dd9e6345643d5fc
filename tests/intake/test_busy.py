"""A submission that meets a locked database waits its turn and is stored: no report is lost to a lock.

A second, real database connection holds the write lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: the case
number sequence row, locked ``FOR UPDATE``) while a reporter submits; the submission's connection is told to
give up waiting quickly (busy timeout / lock timeout), so its first try fails on the lock exactly as a busy
server's would. The lock is released while the submission waits to try again.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.verify import verify_log
from casework.cases.numbers import case_number
from casework.models import Case, CaseKind, CaseNumberSequence
from intake import busy, services
from intake.forms import WbsReportForm
from tests.intake.conftest import IntakeStaff, wbs_post
from tests.intake.test_services import valid

pytestmark = pytest.mark.django_db(transaction=True)


def _hold_write_lock() -> Any:
    """Open a second connection and take the lock a submission needs; return the connection."""
    holder = connections.create_connection("default")
    holder.ensure_connection()
    year = timezone.localdate().year
    CaseNumberSequence.objects.get_or_create(kind=CaseKind.WBS, year=year)
    cursor = holder.connection.cursor()
    if connection.vendor == "sqlite":
        holder.connection.isolation_level = None  # autocommit, so BEGIN below is ours
        cursor.execute("BEGIN IMMEDIATE")
        connection.ensure_connection()
        connection.connection.execute("PRAGMA busy_timeout = 50")
    else:
        holder.connection.autocommit = False
        cursor.execute(
            f"SELECT 1 FROM {CaseNumberSequence._meta.db_table} WHERE kind = %s AND year = %s FOR UPDATE",  # noqa: S608
            [CaseKind.WBS.value, year],
        )
        with connection.cursor() as own:
            own.execute("SET lock_timeout = '50ms'")
    return holder


def _release(holder: Any, *, commit: bool) -> None:
    """End the holder's transaction and close its connection (Django ignores close() on in-memory SQLite)."""
    raw = holder.connection
    if raw is None:
        return
    if connection.vendor == "sqlite":
        if raw.in_transaction:
            raw.execute("COMMIT" if commit else "ROLLBACK")
    else:
        raw.commit() if commit else raw.rollback()
    raw.close()
    holder.connection = None


def test_a_submission_waits_out_a_held_lock_and_is_stored(
    reference_data: None, intake_staff: IntakeStaff, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = _hold_write_lock()
    waits: list[float] = []

    def pause(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:  # the lock is let go while the reporter waits for the second retry
            _release(holder, commit=True)

    monkeypatch.setattr(busy, "_pause", pause)
    try:
        submission = services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=[])
    finally:
        _release(holder, commit=False)
    assert len(waits) == 2, "the first two tries met the lock"
    assert Case.objects.get().number == submission.case.number and submission.case.number == case_number(
        "wbs", submission.case.received_at.year, 1
    )
    assert AuditEvent.objects.filter(action="intake.report_submitted").count() == 1
    assert verify_log().intact


def test_a_lock_held_past_the_retry_window_is_an_error_not_a_partial_case(
    reference_data: None, intake_staff: IntakeStaff, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.PELUIT_WRITE_RETRY_SECONDS = 0.3
    holder = _hold_write_lock()
    monkeypatch.setattr(busy, "_pause", lambda seconds: None)
    try:
        with pytest.raises(OperationalError):
            services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=[])
    finally:
        _release(holder, commit=False)
    assert not Case.objects.exists()
    assert not AuditEvent.objects.filter(action="intake.report_submitted").exists()


def test_inside_an_outer_transaction_the_write_runs_once() -> None:
    calls = []

    def write() -> int:
        calls.append(1)
        return 7

    with transaction.atomic():
        assert busy.run_in_transaction(write) == 7
    assert calls == [1]
