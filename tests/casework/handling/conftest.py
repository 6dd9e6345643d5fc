"""Fixtures of the handling tests: the intake staff plus a second supervisor who holds no escrow key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from casework.models import Case, StaffUser
from casework.staff.roles import Role
from intake import services as intake_services
from intake.forms import WbsReportForm
from tests.intake.conftest import IntakeStaff, create_intake_staff, intake_staff, reference_data, wbs_post  # noqa: F401
from tests.support.staff import login
from vault import services as vault

WHAT = "Kepala seksi meminta setoran Rp2.000.000 dari setiap rekanan proyek jalan."
IDENTITY_NAME = "Rahmat Pelapor Kanari"


@dataclass
class Staff(IntakeStaff):
    """kepala (supervisor, escrow holder), wakil (supervisor, no escrow), petugas1 and petugas2 (officers)."""

    deputy: StaffUser


@pytest.fixture
def staff(make_staff: Any) -> Staff:
    base = create_intake_staff(make_staff)
    deputy = make_staff(Role.SUPERVISOR, username="wakil")
    deputy.first_name, deputy.last_name = "Agus", "Wibowo"
    deputy.save()
    assert not vault.is_escrow_holder(deputy) and vault.is_escrow_holder(base.supervisor)
    return Staff(supervisor=base.supervisor, officer=base.officer, other_officer=base.other_officer, deputy=deputy)


@pytest.fixture(autouse=True)
def _default_language_afterwards() -> Any:
    yield
    translation.deactivate()


def file_report(**overrides: Any) -> intake_services.Submission:
    """File a WBS report (with the reporter's identity by default) through the intake service."""
    values = {"what": WHAT, "identity_name": IDENTITY_NAME, **overrides}
    form = WbsReportForm(wbs_post(**values))
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    return intake_services.submit_wbs_report(data=data, attachments=[])


def logged_in(user: StaffUser, *, offset_steps: int = 0) -> Client:
    client = Client()
    login(client, user, offset_steps=offset_steps)
    return client


def case_url(case: Case, suffix: str = "", *, lang: str = "") -> str:
    prefix = f"/{lang}" if lang else ""
    return f"{prefix}/console/cases/{case.number}/{suffix}"
