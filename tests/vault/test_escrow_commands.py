"""Escrow set-up and the printed recovery code, through the management commands."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from casework.models import StaffUser
from casework.staff.roles import Role
from tests.support.staff import PASSWORD
from vault import services as vault
from vault.exceptions import WrongPassword
from vault.models import EscrowKey, EscrowShare

pytestmark = pytest.mark.django_db
CODE = re.compile(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})\b")


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_escrow_init_for_a_chosen_holder(make_staff: Callable[..., StaffUser]) -> None:
    officer = make_staff(Role.OFFICER)  # no supervisor yet, so no escrow key
    assert not vault.escrow_exists()
    assert "Created the escrow key" in run("escrow_init", "--holder", officer.username)
    assert vault.is_escrow_holder(officer)
    assert AuditEvent.objects.filter(action="vault.escrow_created").count() == 1


def test_escrow_init_refuses_unknown_users_and_staff_without_keys(make_staff: Callable[..., StaffUser]) -> None:
    with pytest.raises(CommandError):
        run("escrow_init", "--holder", "nobody")
    admin = make_staff(Role.ADMIN)
    with pytest.raises(CommandError):
        run("escrow_init", "--holder", admin.username)
    assert not EscrowKey.objects.exists()


def test_recovery_code_printed_once_and_it_recovers_everything(
    monkeypatch: pytest.MonkeyPatch, supervisor: StaffUser, officer: StaffUser, make_staff: Callable[..., StaffUser]
) -> None:
    report_id = uuid.uuid4()
    new = vault.seal_report(report_id=report_id, recipients=[officer])
    content = vault.seal(access=new.access, report_id=report_id, purpose="report", plaintext=b"isi")

    monkeypatch.setenv("PELUIT_PASSWORD", PASSWORD)
    output = run("escrow_recovery", "--holder", supervisor.username)
    match = CODE.search(output)
    assert match, output
    code = match.group(1)
    assert code not in str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert AuditEvent.objects.filter(action="vault.escrow_recovery_printed").count() == 1
    with pytest.raises(CommandError):  # once only
        run("escrow_recovery", "--holder", supervisor.username)

    # The supervisor leaves: their share is gone with their key. The recovery code makes a new holder.
    vault.reset_officer_key(user=supervisor, new_password="another passphrase 1")
    assert not EscrowShare.objects.exists()
    new_head = make_staff(Role.SUPERVISOR)
    monkeypatch.setenv("PELUIT_RECOVERY_CODE", code.lower().replace("-", " "))
    assert "now holds the escrow key" in run("escrow_init", "--holder", new_head.username)
    escrow = vault.escrow_keyring_for(keyring=vault.unlock_keyring(user=new_head, password=PASSWORD))
    assert vault.open(access=escrow, report_id=report_id, purpose="report", ciphertext=content) == b"isi"


def test_replace_issues_a_new_code_and_the_old_one_stops_working(
    monkeypatch: pytest.MonkeyPatch, supervisor: StaffUser
) -> None:
    monkeypatch.setenv("PELUIT_PASSWORD", PASSWORD)
    first = CODE.search(run("escrow_recovery", "--holder", supervisor.username))
    second = CODE.search(run("escrow_recovery", "--holder", supervisor.username, "--replace"))
    assert first and second and first.group(1) != second.group(1)
    with pytest.raises(WrongPassword):
        vault.escrow_keyring_from_recovery(recovery_code=first.group(1))
    assert vault.escrow_keyring_from_recovery(recovery_code=second.group(1)).holder is None


def test_wrong_password_or_recovery_code(monkeypatch: pytest.MonkeyPatch, supervisor: StaffUser) -> None:
    monkeypatch.setenv("PELUIT_PASSWORD", "not the password")
    with pytest.raises(CommandError):
        run("escrow_recovery", "--holder", supervisor.username)
    monkeypatch.setenv("PELUIT_RECOVERY_CODE", "AAAA-" * 7 + "AAAA")
    with pytest.raises(CommandError):
        run("escrow_init", "--holder", supervisor.username)
    with pytest.raises(WrongPassword):
        vault.escrow_keyring_from_recovery(recovery_code="too short")


def test_vault_sweep_command() -> None:
    assert "Deleted 0 orphaned blob(s)." in run("vault_sweep")


def test_escrow_status(monkeypatch: pytest.MonkeyPatch, supervisor: StaffUser) -> None:
    status = vault.escrow_status()
    assert status.exists and status.holders == [supervisor.username] and status.at_risk
    monkeypatch.setenv("PELUIT_PASSWORD", PASSWORD)
    run("escrow_recovery", "--holder", supervisor.username)
    status = vault.escrow_status()
    assert status.recovery_issued_at is not None and not status.at_risk


def test_a_second_escrow_key_is_refused(supervisor: StaffUser, officer: StaffUser) -> None:
    from vault.exceptions import VaultError

    with pytest.raises(VaultError):
        vault.escrow_create(holder=officer)
    assert EscrowKey.objects.count() == 1 and list(EscrowShare.objects.values_list("holder", flat=True)) == [
        supervisor.pk
    ]
