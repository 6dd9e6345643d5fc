"""Exports over an audit log edited behind its back (its append-only triggers dropped): a clear message that
sends the operator to audit_verify, in the console (409), the background task and the command line; never a 500,
never the 503 of a database outage, which an unavailable database still gives."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from audit.checkpoints import create_checkpoint, log_size
from audit.models import AuditCheckpoint, AuditEvent
from casework.staff.roles import Role
from reports.audit_trail import build_audit_trail
from reports.checkpoint import embed_current_checkpoint
from reports.exceptions import AuditLogAltered
from reports.kinds import ExportKind
from reports.models import ReportExport
from reports.periods import make_period
from reports.services import ExportRequest, make_export
from tests.audit.helpers import run, skip_unless, stop_database_for, tamper, write_events
from tests.intake.conftest import IntakeStaff
from tests.reports.conftest import submit_wbs
from tests.support.staff import login

pytestmark = pytest.mark.django_db

ALTERED = "Log audit tidak lolos verifikasi, sehingga ekspor tidak dapat dibuat."
YEAR = {"date_from": "2026-01-01", "date_to": "2026-12-31"}


def _client(user: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def _recap() -> ExportRequest:
    return ExportRequest(kind=ExportKind.RECAP, period=make_period("2026-01-01", "2026-12-31"))


EDITED_LOG = [
    # (an edit behind the log's back, which database)
    ("audit_auditevent SET details = '{{\"x\":1}}' WHERE seq = 1", "any"),  # does not verify (AuditError): a 500
    ("audit_auditcheckpoint SET note = 'not a signed note' WHERE id = {latest}", "any"),  # embedded as it was
    ("audit_auditcheckpoint SET root_hash = 'abc' WHERE id = {latest}", "sqlite"),  # a 500
    ("audit_auditcheckpoint SET tree_size = 'abc' WHERE id = {latest}", "sqlite"),
    ("audit_auditcheckpoint SET note = note || x'ff' WHERE id = {latest}", "sqlite"),  # the database-outage 503
]


@pytest.mark.parametrize(("edit", "vendor"), EDITED_LOG)
def test_an_export_over_an_edited_log_fails_with_a_clear_message(
    staff: IntakeStaff,
    make_staff: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
    edit: str,
    vendor: str,
) -> None:
    """No checkpoint can be signed or embedded (the log does not verify, or its latest checkpoint's row was edited):
    every way of exporting says so, and nothing is signed."""
    skip_unless(vendor)
    case = submit_wbs(what="Pengadaan alat tulis digelembungkan")
    officer = _client(staff.officer)
    auditor = make_staff(Role.AUDITOR, username="auditor1")
    background = _client(auditor)
    latest = create_checkpoint()
    tamper(f"UPDATE {edit.format(latest=latest.pk)}")
    if "audit_auditcheckpoint" in edit:  # the log has not grown: the latest checkpoint would be embedded as it is
        with pytest.raises(AuditLogAltered, match="audit_verify"):
            make_export(request=_recap(), actor="system")
    write_events(1)  # the log has grown: each export signs a new checkpoint on top of the latest
    dossier = officer.post("/console/reports/dossier/", {"case": case.number})
    assert dossier.status_code == 409 and ALTERED in dossier.content.decode()
    with caplog.at_level(logging.ERROR, logger="reports"), django_capture_on_commit_callbacks(execute=True):
        background.post("/console/reports/request/recap/", YEAR)
    export = ReportExport.objects.get(requested_by=auditor)
    assert export.status == ReportExport.Status.FAILED and export.error.startswith(ALTERED)
    assert not [r for r in caplog.records if r.name == "reports.services"]  # known, not an unexpected traceback
    out = tmp_path / "recap.pdf"
    outcome = run("export_report", "recap", "--out", str(out), "--from", "2026-01-01", "--to", "2026-12-31")
    assert outcome.status == 1 and ALTERED in outcome.err and not out.exists()
    assert AuditCheckpoint.objects.count() == 1  # nothing signed over the edited log
    stop_database_for(AuditCheckpoint, monkeypatch)
    officer.raise_request_exception = False
    stopped = officer.post("/console/reports/dossier/", {"case": case.number})
    assert stopped.status_code == 503 and stopped["Retry-After"]


ALTERED_EVENTS = [
    # (what is set on the case's first event, which database)
    ("at_us = 'abc'", "sqlite"),  # SQLite keeps a value of any type: was a 500
    ("at_us = 1000000000000000000", "any"),  # year 33658: was a 500
    ("at_us = -1000000000000000000", "any"),
    ("details = details || x'ff'", "sqlite"),  # text that is not UTF-8: was the database-outage 503
    ("action = CAST(x'ff' AS TEXT)", "sqlite"),
    ("leaf_hash = CAST(x'ff' AS TEXT)", "sqlite"),  # the audit trail reads every leaf hash
]


@pytest.mark.parametrize(("change", "vendor"), ALTERED_EVENTS)
def test_an_export_that_would_print_an_altered_event_fails_with_a_clear_message(
    staff: IntakeStaff, monkeypatch: pytest.MonkeyPatch, change: str, vendor: str
) -> None:
    """The latest checkpoint covers the whole log, so an export reuses it without verifying the log again: an event
    edited since reaches the audit trail and the case timeline of a dossier, which refuse to print it."""
    skip_unless(vendor)
    case = submit_wbs(what="Pengadaan alat tulis digelembungkan")
    keyring = staff.keyring(staff.officer)
    officer = _client(staff.officer)
    first = AuditEvent.objects.filter(case_ref=case.number).order_by("seq").values_list("seq", flat=True)[0]
    latest = create_checkpoint()
    tamper(f"UPDATE audit_auditevent SET {change} WHERE seq = %s", [first])  # noqa: S608
    exports = [
        (ExportRequest(kind=ExportKind.AUDIT_TRAIL, case_ref=case.number), staff.supervisor, None),
        (ExportRequest(kind=ExportKind.DOSSIER, case_ref=case.number), staff.officer, keyring),
    ]
    for request, actor, actor_keyring in exports:
        assert log_size() == latest.tree_size  # not grown: the latest checkpoint is embedded without a new check
        with pytest.raises(AuditLogAltered, match="audit_verify"):
            make_export(request=request, actor=actor, keyring=actor_keyring)
    page = officer.get(f"/console/reports/forwarding/{case.number}/")  # the package's timeline is one of its parts
    assert page.status_code == 409 and ALTERED in page.content.decode()
    stop_database_for(AuditEvent, monkeypatch)
    with pytest.raises(OperationalError):
        make_export(request=exports[0][0], actor=staff.supervisor)


@pytest.mark.parametrize(
    ("value", "vendor"),
    [("'abc'", "sqlite"), ("zeroblob(32)", "sqlite"), ("decode(repeat('00', 32), 'hex')", "postgresql")],
)
def test_an_audit_trail_over_an_edited_leaf_hash_marks_that_event_unverified(
    staff: IntakeStaff, value: str, vendor: str
) -> None:
    """The stored leaf hash alone edited (text in SQLite was a 500): the trail is made and says which event fails."""
    skip_unless(vendor)
    case = submit_wbs(what="Pengadaan alat tulis digelembungkan")
    first = AuditEvent.objects.filter(case_ref=case.number).order_by("seq").values_list("seq", flat=True)[0]
    embedded = embed_current_checkpoint()
    tamper(f"UPDATE audit_auditevent SET leaf_hash = {value} WHERE seq = %s", [first])  # noqa: S608 - constants
    trail = build_audit_trail(checkpoint=embedded, case_ref=case.number)
    assert trail.events and not trail.all_verified
    # The edited leaf is also a sibling in other events' proofs, so those fail too.
    assert first in [e.seq for e in trail.events if not e.verified]


def test_an_export_over_an_unreadable_cosignature_fails_with_a_clear_message(staff: IntakeStaff, settings: Any) -> None:
    """A witness's cosignature row edited into text SQLite cannot read: the export says the log was altered (it
    was an uncaught error)."""
    from audit import signing
    from audit.checkpoints import add_cosignatures, checkpoint_cosignatures
    from tests.audit.test_public_log import WITNESS_NAME, cosign
    from vault.checkpoint_signer import Ed25519Signer

    skip_unless("sqlite")
    signer = Ed25519Signer.from_secret("witness", purpose="witness")
    key = signing.VerifierKey(WITNESS_NAME, signer.public_key(), signing.COSIGNATURE_ED25519)
    settings.PELUIT_AUDIT_WITNESSES = [key.encode()]
    submit_wbs(what="Pengadaan alat tulis digelembungkan")
    checkpoint = create_checkpoint()
    assert add_cosignatures(note=cosign(checkpoint.note, signer))
    assert checkpoint_cosignatures(checkpoint)  # the latest checkpoint, cosigned: an export embeds it as it is
    tamper("UPDATE audit_auditcosignature SET signature_line = CAST(x'ff' AS TEXT)")
    with pytest.raises(AuditLogAltered, match="audit_verify"):
        make_export(request=_recap(), actor="system")
