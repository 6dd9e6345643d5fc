"""Sealed reports: who can open them, grants, revocation, escrow re-grants, identity, receipts, shredding."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from audit.models import AuditEvent
from casework.models import StaffUser
from casework.staff import services as staff_services
from casework.staff.roles import Role
from tests.support.staff import PASSWORD
from vault import services as vault
from vault.exceptions import AccessDenied, CorruptCiphertext, NotSetUp, UnknownReceipt, VaultError, WrongPassword
from vault.models import CaseKey, OfficerKey, ReceiptKey, SealedIdentity

pytestmark = pytest.mark.django_db
Sealed = tuple[uuid.UUID, vault.NewReport, bytes]
KeyringOf = Callable[[StaffUser], vault.Keyring]


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_staff_creation_enrols_keys_and_first_supervisor_holds_escrow(
    make_staff: Callable[..., StaffUser],
) -> None:
    first = make_staff(Role.SUPERVISOR)
    second = make_staff(Role.SUPERVISOR)
    officer = make_staff(Role.OFFICER)
    admin = make_staff(Role.ADMIN)
    auditor = make_staff(Role.AUDITOR)
    assert {k.user_id for k in OfficerKey.objects.all()} == {first.pk, second.pk, officer.pk}
    assert vault.is_escrow_holder(first) and not vault.is_escrow_holder(second)
    assert not vault.has_officer_key(user=admin) and not vault.has_officer_key(user=auditor)
    assert actions().count("vault.officer_key_created") == 3
    assert actions().count("vault.escrow_created") == 1


def test_recipient_opens_report_and_reporter_too(officer: StaffUser, sealed: Sealed, keyring_of: KeyringOf) -> None:
    report_id, new, content = sealed
    assert vault.open(access=keyring_of(officer), report_id=report_id, purpose="report", ciphertext=content) == (
        b"isi laporan"
    )
    assert vault.open(access=new.access, report_id=report_id, purpose="report", ciphertext=content) == b"isi laporan"
    assert "vault.report_unsealed" in actions()
    assert re.fullmatch(r"[0-9]{16}", new.receipt)
    assert "isi" not in repr(new) and new.receipt not in repr(new) and "Keyring" in repr(keyring_of(officer))


def test_one_unseal_event_per_keyring_and_report(officer: StaffUser, sealed: Sealed, keyring_of: KeyringOf) -> None:
    report_id, _new, content = sealed
    keyring = keyring_of(officer)
    for _ in range(3):
        vault.open(access=keyring, report_id=report_id, purpose="report", ciphertext=content)
    event = AuditEvent.objects.get(action="vault.report_unsealed")
    assert event.actor_username == officer.username


def test_wrong_officer_admin_and_auditor_are_denied(
    make_staff: Callable[..., StaffUser], other_officer: StaffUser, sealed: Sealed, keyring_of: KeyringOf
) -> None:
    report_id, _new, content = sealed
    with pytest.raises(AccessDenied):
        vault.open(access=keyring_of(other_officer), report_id=report_id, purpose="report", ciphertext=content)
    for role in (Role.ADMIN, Role.AUDITOR):
        user = make_staff(role)
        with pytest.raises(AccessDenied):
            vault.unlock_keyring(user=user, password=PASSWORD)
        # Even a keyring forged around an officer's private key opens nothing for them: the role decides.
        forged = vault.Keyring(user=user, _private_key=bytes(32))
        with pytest.raises(AccessDenied):
            vault.open(access=forged, report_id=report_id, purpose="report", ciphertext=content)


def test_officer_who_became_admin_loses_access(officer: StaffUser, sealed: Sealed, keyring_of: KeyringOf) -> None:
    report_id, _new, content = sealed
    keyring = keyring_of(officer)
    staff_services.staff_set_role(user=officer, role=Role.ADMIN)
    with pytest.raises(AccessDenied):
        vault.open(access=keyring, report_id=report_id, purpose="report", ciphertext=content)


def test_reporter_access_is_limited_to_its_report(officer: StaffUser, sealed: Sealed) -> None:
    report_id, _new, content = sealed
    other = vault.seal_report(report_id=uuid.uuid4(), recipients=[officer])
    with pytest.raises(AccessDenied):
        vault.open(access=other.access, report_id=report_id, purpose="report", ciphertext=content)


def test_ciphertext_moved_to_another_report_or_changed_is_corrupt(
    officer: StaffUser, sealed: Sealed, keyring_of: KeyringOf
) -> None:
    report_id, _new, content = sealed
    other_id = uuid.uuid4()
    vault.seal_report(report_id=other_id, recipients=[officer])
    keyring = keyring_of(officer)
    with pytest.raises(CorruptCiphertext):
        vault.open(access=keyring, report_id=other_id, purpose="report", ciphertext=content)
    with pytest.raises(CorruptCiphertext):
        vault.open(access=keyring, report_id=report_id, purpose="message:1", ciphertext=content)
    with pytest.raises(CorruptCiphertext):
        vault.open(
            access=keyring, report_id=report_id, purpose="report", ciphertext=content[:-1] + bytes([content[-1] ^ 1])
        )


def test_grant_and_revoke(officer: StaffUser, other_officer: StaffUser, sealed: Sealed, keyring_of: KeyringOf) -> None:
    report_id, _new, content = sealed
    vault.grant_case(report_id=report_id, keyring=keyring_of(officer), officer=other_officer)
    assert vault.granted_officer_ids(report_id=report_id) == {officer.pk, other_officer.pk}
    other_keyring = keyring_of(other_officer)
    assert vault.open(access=other_keyring, report_id=report_id, purpose="report", ciphertext=content)
    vault.revoke_case(report_id=report_id, officer=other_officer, actor=officer)
    with pytest.raises(AccessDenied):
        vault.open(access=keyring_of(other_officer), report_id=report_id, purpose="report", ciphertext=content)
    assert actions()[-1] == "vault.case_revoked"


def test_grant_needs_access_and_a_key_holder(
    make_staff: Callable[..., StaffUser], officer: StaffUser, other_officer: StaffUser, sealed: Sealed,
    keyring_of: KeyringOf,
) -> None:  # fmt: skip
    report_id, _new, _content = sealed
    with pytest.raises(AccessDenied):  # other_officer was never granted, so cannot pass it on
        vault.grant_case(report_id=report_id, keyring=keyring_of(other_officer), officer=officer)
    with pytest.raises(AccessDenied):
        vault.grant_case(report_id=report_id, keyring=keyring_of(officer), officer=make_staff(Role.AUDITOR))
    assert vault.granted_officer_ids(report_id=report_id) == {officer.pk}


def test_admin_reset_removes_access_until_escrow_regrant(
    officer: StaffUser, supervisor: StaffUser, sealed: Sealed, keyring_of: KeyringOf
) -> None:
    report_id, _new, content = sealed
    vault.reset_officer_key(user=officer, new_password="a brand new passphrase", actor="system")
    with pytest.raises(WrongPassword):
        vault.unlock_keyring(user=officer, password=PASSWORD)
    fresh = vault.unlock_keyring(user=officer, password="a brand new passphrase")
    with pytest.raises(AccessDenied):
        vault.open(access=fresh, report_id=report_id, purpose="report", ciphertext=content)
    escrow = vault.escrow_keyring_for(keyring=keyring_of(supervisor))
    vault.escrow_regrant(report_id=report_id, escrow=escrow, officer=officer)
    fresh = vault.unlock_keyring(user=officer, password="a brand new passphrase")
    assert vault.open(access=fresh, report_id=report_id, purpose="report", ciphertext=content) == b"isi laporan"
    assert actions()[-3:] == ["vault.officer_key_reset", "vault.case_regranted_by_escrow", "vault.report_unsealed"]


def test_escrow_holder_can_read_without_a_grant(supervisor: StaffUser, sealed: Sealed, keyring_of: KeyringOf) -> None:
    report_id, _new, content = sealed
    with pytest.raises(AccessDenied):  # the supervisor was not an intake recipient here
        vault.open(access=keyring_of(supervisor), report_id=report_id, purpose="report", ciphertext=content)
    escrow = vault.escrow_keyring_for(keyring=keyring_of(supervisor))
    assert vault.open(access=escrow, report_id=report_id, purpose="report", ciphertext=content) == b"isi laporan"


def test_non_holder_has_no_escrow_keyring(officer: StaffUser, keyring_of: KeyringOf) -> None:
    with pytest.raises(AccessDenied):
        vault.escrow_keyring_for(keyring=keyring_of(officer))


def test_rewrap_keeps_grants_and_needs_the_old_password(
    officer: StaffUser, sealed: Sealed, keyring_of: KeyringOf
) -> None:
    report_id, _new, content = sealed
    with pytest.raises(WrongPassword):
        vault.rewrap_officer_key(user=officer, old_password="wrong", new_password="another long passphrase")
    vault.rewrap_officer_key(user=officer, old_password=PASSWORD, new_password="another long passphrase")
    keyring = vault.unlock_keyring(user=officer, password="another long passphrase")
    assert vault.open(access=keyring, report_id=report_id, purpose="report", ciphertext=content) == b"isi laporan"
    with pytest.raises(WrongPassword):
        vault.unlock_keyring(user=officer, password=PASSWORD)


def test_wrapped_key_records_kdf_params_and_copy_to_another_user_fails(
    officer: StaffUser, other_officer: StaffUser
) -> None:
    from vault.formats import password_wrap_params

    row = OfficerKey.objects.get(user=officer)
    assert password_wrap_params(bytes(row.wrapped_private_key)).ops == 1  # the test profile, recorded
    other = OfficerKey.objects.get(user=other_officer)
    other.wrapped_private_key = row.wrapped_private_key
    other.save()
    with pytest.raises(WrongPassword):
        vault.unlock_keyring(user=other_officer, password=PASSWORD)


def test_identity_is_sealed_separately(
    officer: StaffUser, supervisor: StaffUser, sealed: Sealed, keyring_of: KeyringOf
) -> None:
    report_id, _new, _content = sealed
    assert vault.has_identity(report_id=report_id)
    with pytest.raises(AccessDenied):  # the content grant does not reach the identity
        vault.open_identity(access=keyring_of(officer), report_id=report_id)
    escrow = vault.escrow_keyring_for(keyring=keyring_of(supervisor))
    assert vault.open_identity(access=escrow, report_id=report_id) == b'{"name": "Pelapor"}'
    vault.grant_identity(report_id=report_id, escrow=escrow, officer=officer)
    assert vault.open_identity(access=keyring_of(officer), report_id=report_id) == b'{"name": "Pelapor"}'
    assert b"Pelapor" not in bytes(SealedIdentity.objects.get(report_id=report_id).ciphertext)


def test_report_without_identity(officer: StaffUser, keyring_of: KeyringOf) -> None:
    report_id = uuid.uuid4()
    vault.seal_report(report_id=report_id, recipients=[officer])
    assert not vault.has_identity(report_id=report_id)
    with pytest.raises(AccessDenied):
        vault.open_identity(access=keyring_of(officer), report_id=report_id)


def test_seal_report_needs_escrow(make_staff: Callable[..., StaffUser]) -> None:
    officer = make_staff(Role.OFFICER)
    with pytest.raises(NotSetUp):
        vault.seal_report(report_id=uuid.uuid4(), recipients=[officer])
    assert not CaseKey.objects.exists() and not ReceiptKey.objects.exists()


def test_seal_report_twice_is_refused_and_recipients_without_keys_are_skipped(
    make_staff: Callable[..., StaffUser], officer: StaffUser, sealed: Sealed
) -> None:
    report_id, _new, _content = sealed
    with pytest.raises(VaultError):
        vault.seal_report(report_id=report_id, recipients=[officer])
    admin = make_staff(Role.ADMIN)
    new_id = uuid.uuid4()
    vault.seal_report(report_id=new_id, recipients=[admin, officer])
    assert vault.granted_officer_ids(report_id=new_id) == {officer.pk}


def test_receipt_access(sealed: Sealed) -> None:
    report_id, new, content = sealed
    formatted = vault.format_receipt(new.receipt)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", formatted)
    for typed in (new.receipt, formatted, formatted.replace(" ", "-"), f"  {formatted}  "):
        access = vault.reporter_access(receipt=typed)
        assert access.report_id == report_id
        assert vault.open(access=access, report_id=report_id, purpose="report", ciphertext=content) == b"isi laporan"


@pytest.mark.parametrize("bad", ["", "1234", "1234 5678 9012 345x", "12345678901234567", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦"])
def test_badly_shaped_receipts(bad: str) -> None:
    with pytest.raises(UnknownReceipt):
        vault.normalise_receipt(bad)


def test_unknown_receipt(sealed: Sealed) -> None:
    _report_id, new, _content = sealed
    wrong = ("1" if new.receipt[0] != "1" else "2") + new.receipt[1:]
    with pytest.raises(UnknownReceipt) as caught:
        vault.reporter_access(receipt=wrong)
    assert str(caught.value.message)


def test_receipt_row_holds_no_usable_key(sealed: Sealed) -> None:
    report_id, new, _content = sealed
    row = ReceiptKey.objects.get(report_id=report_id)
    assert new.receipt.encode() not in bytes(row.lookup_id) + bytes(row.wrapped_data_key)
    assert (row.kdf_ops, row.kdf_mem) == (1, 8192)


def test_shred_report(
    officer: StaffUser, sealed: Sealed, keyring_of: KeyringOf, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    report_id, new, content = sealed
    stored = vault.store_attachment(access=new.access, report_id=report_id, chunks=[b"bukti"])
    with django_capture_on_commit_callbacks(execute=True):
        assert vault.shred_report(report_id=report_id) == 1
    with pytest.raises(AccessDenied):
        vault.open(access=keyring_of(officer), report_id=report_id, purpose="report", ciphertext=content)
    with pytest.raises(UnknownReceipt):
        vault.reporter_access(receipt=new.receipt)
    assert not vault.has_identity(report_id=report_id)
    from vault.attachments import attachment_storage

    assert not attachment_storage().exists(stored.name)


def test_exception_messages_are_translated() -> None:
    from django.utils import translation

    with translation.override("id"):
        assert str(AccessDenied().message) != "You have no access to this report."
    with translation.override("en"):
        assert str(AccessDenied().message) == "You have no access to this report."


def test_a_receipt_already_taken_is_drawn_again(officer: StaffUser, sealed: Sealed) -> None:
    """A new receipt whose lookup id a stored report already has (one in 10^16) is never given out: another is
    drawn, and each receipt opens its own report."""
    report_id, _new, _content = sealed
    taken = vault.prepare_receipt()
    ReceiptKey.objects.filter(report_id=report_id).update(lookup_id=taken.keys.lookup_id)  # as if drawn before
    other_id = uuid.uuid4()
    other = vault.seal_report(report_id=other_id, recipients=[officer], receipt=taken)
    assert other.receipt != taken.receipt
    assert vault.reporter_access(receipt=other.receipt).report_id == other_id
    assert ReceiptKey.objects.filter(lookup_id=taken.keys.lookup_id).get().report_id == report_id
