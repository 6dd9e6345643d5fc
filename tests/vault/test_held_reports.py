"""Every report a keyring holds, opened at once (the search in held cases): one audit event, the keys opened
over several threads when there are many, and blobs of those reports only."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from audit.actions import Action
from audit.models import AuditEvent
from casework.models import StaffUser
from casework.staff import services as staff_services
from casework.staff.roles import Role
from vault import access
from vault import services as vault
from vault.exceptions import AccessDenied, CorruptCiphertext

pytestmark = pytest.mark.django_db
KeyringOf = Callable[[StaffUser], vault.Keyring]


def _reports(officer: StaffUser, count: int) -> list[tuple[uuid.UUID, bytes]]:
    """Seal ``count`` reports for ``officer``; return each id with its content ciphertext."""
    made = []
    for index in range(count):
        report_id = uuid.uuid4()
        new = vault.seal_report(report_id=report_id, recipients=[officer])
        plaintext = f"isi laporan {index}".encode()
        sealed = vault.seal(access=new.access, report_id=report_id, purpose="report", plaintext=plaintext)
        made.append((report_id, sealed))
    return made


@pytest.mark.parametrize("parallel_from", [256, 2])  # one thread; split over threads
def test_held_reports_open_their_blobs_only(
    officer: StaffUser,
    other_officer: StaffUser,
    keyring_of: KeyringOf,
    monkeypatch: pytest.MonkeyPatch,
    parallel_from: int,
) -> None:
    monkeypatch.setattr(access, "PARALLEL_UNSEAL_FROM", parallel_from)
    mine = _reports(officer, 6)
    theirs = _reports(other_officer, 1)
    before = AuditEvent.objects.filter(action=Action.REPORT_UNSEALED.value).count()
    held = vault.unseal_held_reports(keyring_of(officer), purpose="search")
    events = AuditEvent.objects.filter(action=Action.REPORT_UNSEALED.value).order_by("seq")
    assert events.count() == before + 1  # one event for the lot
    details = events.last().details_dict  # type: ignore[union-attr]
    assert details == {"via": "officer", "scope": "data", "reports": 6, "purpose": "search"}
    assert sorted(held.report_ids) == sorted(report_id for report_id, _ in mine) and held.unreadable == 0
    for index, (report_id, blob) in enumerate(mine):
        assert held.open(report_id, "report", blob) == f"isi laporan {index}".encode()
    changed = bytearray(mine[2][1])
    changed[-1] ^= 1
    with pytest.raises(CorruptCiphertext):
        held.open(mine[2][0], "report", bytes(changed))
    with pytest.raises(CorruptCiphertext):
        held.open(mine[0][0], "message:1", mine[0][1])  # sealed for another purpose
    with pytest.raises(AccessDenied):
        held.open(theirs[0][0], "report", theirs[0][1])  # another officer's report: not held
    assert "isi laporan" not in repr(held) and str(mine[0][0]) not in repr(held)


def test_staff_who_may_not_hold_case_keys_are_refused_at_once(officer: StaffUser, keyring_of: KeyringOf) -> None:
    _reports(officer, 1)
    keyring = keyring_of(officer)
    staff_services.staff_set_role(user=officer, role=Role.ADMIN)
    before = AuditEvent.objects.count()
    with pytest.raises(AccessDenied):
        vault.unseal_held_reports(keyring, purpose="search")
    assert AuditEvent.objects.count() == before  # nothing opened, nothing recorded
