"""A submission waits for its receipt's Argon2id derivation before it writes anything.

The vault queues derivations (``vault.crypto.KDF_GATE``); a submission queued there must not hold the
database's write transaction, or a flood of receipt attempts would stall every other writer.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from intake.forms import WbsReportForm
from intake.services import submit_wbs_report
from tests.intake.conftest import IntakeStaff, wbs_post
from vault import crypto

WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN", "SAVEPOINT")


@pytest.mark.django_db(transaction=True)
def test_a_submission_queued_for_argon2_has_written_nothing(intake_staff: IntakeStaff, reference_data: None) -> None:
    form = WbsReportForm(wbs_post())
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    statements: list[str] = []
    outcome: list[Any] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql.lstrip().split(None, 1)[0].upper())
        return execute(sql, params, many, context)

    def submit() -> None:
        try:
            with connection.execute_wrapper(record):
                outcome.append(submit_wbs_report(data=data).case.number)
        except Exception as exc:  # pragma: no cover - shown in the assertion below
            outcome.append(exc)
        finally:
            connection.close()

    limit = crypto.KDF_GATE.limit
    crypto.KDF_GATE.set_limit(1)
    try:
        with crypto.KDF_GATE.slot():  # every derivation slot is busy (a flood of receipts, say)
            worker = threading.Thread(target=submit)
            worker.start()
            time.sleep(0.5)
            waiting = list(statements)
            assert outcome == [], "the submission waits for a derivation slot"
        worker.join(30)
    finally:
        crypto.KDF_GATE.set_limit(limit)
    assert [s for s in waiting if s in WRITES] == [], f"wrote while waiting for Argon2: {waiting}"
    assert len(outcome) == 1 and str(outcome[0]).startswith("WBS-"), outcome
