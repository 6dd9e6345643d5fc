"""Vault fixtures: staff with keys (through the real staff service), the escrow holder, sealed reports."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from casework.models import StaffUser
from casework.staff.roles import Role
from tests.support.staff import PASSWORD
from vault import services as vault


@pytest.fixture
def supervisor(make_staff: Callable[..., StaffUser]) -> StaffUser:
    """The first supervisor: the escrow key holder."""
    return make_staff(Role.SUPERVISOR, username="kepala")


@pytest.fixture
def officer(make_staff: Callable[..., StaffUser], supervisor: StaffUser) -> StaffUser:
    return make_staff(Role.OFFICER, username="petugas1")


@pytest.fixture
def other_officer(make_staff: Callable[..., StaffUser], supervisor: StaffUser) -> StaffUser:
    return make_staff(Role.OFFICER, username="petugas2")


@pytest.fixture
def keyring_of() -> Callable[[StaffUser], vault.Keyring]:
    """Return a function that unlocks a staff member's keyring with the test password."""

    def unlock(user: StaffUser) -> vault.Keyring:
        return vault.unlock_keyring(user=user, password=PASSWORD)

    return unlock


@pytest.fixture
def sealed(officer: StaffUser) -> tuple[uuid.UUID, vault.NewReport, bytes]:
    """A report sealed for ``officer`` (and escrow), with its content ciphertext."""
    report_id = uuid.uuid4()
    new = vault.seal_report(report_id=report_id, recipients=[officer], identity=b'{"name": "Pelapor"}')
    content = vault.seal(access=new.access, report_id=report_id, purpose="report", plaintext=b"isi laporan")
    return report_id, new, content
