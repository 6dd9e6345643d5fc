"""Fixtures of the lifecycle tests: staff with keys, reports filed through intake, and a transition helper."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from casework.models import Case, Transition
from casework.workflow import lifecycle
from intake import services as intake_services
from intake.forms import GratificationReportForm, WbsReportForm
from tests.intake.conftest import IntakeStaff, create_intake_staff, gratification_post, wbs_post
from tests.support.assignment import assign_officers
from tests.support.reference import ensure_reference_data
from tests.support.staff import login

WHAT = "Kanari-isi: petugas meminta uang pelicin Rp75.000 untuk surat domisili."
REASON = "Kanari-alasan: bukti awal cukup, terlapor disebut dengan jelas."


@pytest.fixture(autouse=True)
def _english_for_service_messages() -> Iterator[None]:
    """Service refusals are matched in English here (pages choose their language per request)."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def staff(make_staff: Any) -> IntakeStaff:
    """kepala (supervisor, escrow holder), petugas1 and petugas2 (officers), all with vault keys."""
    ensure_reference_data()
    return create_intake_staff(make_staff)


def file_wbs_submission(**overrides: Any) -> intake_services.Submission:
    """File a WBS report through the intake service, as the web form would; return the case and receipt.

    New reports reach the supervisors only; the officers the reporter did not exclude are then put on the
    case's team, as a supervisor would at triage.
    """
    form = WbsReportForm(wbs_post(what=WHAT, **overrides))
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    submission = intake_services.submit_wbs_report(data=data)
    assign_officers(submission.case)
    return submission


def file_wbs(**overrides: Any) -> Case:
    """File a WBS report through the intake service and return its case."""
    return file_wbs_submission(**overrides).case


def file_gratification(**overrides: Any) -> intake_services.Submission:
    """File a gratification report through the intake service and put the officers on its team."""
    form = GratificationReportForm(gratification_post(**overrides))
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    submission = intake_services.submit_gratification_report(data=data)
    assign_officers(submission.case)
    return submission


def step_to(case: Case, to_status: str) -> Transition:
    """Return the table's transition from the case's current status to ``to_status``."""
    return Transition.objects.get(kind=case.kind, from_status=case.status, to_status=to_status)


def move(case: Case, to_status: str, *, staff: IntakeStaff, user: Any = None, **data: Any) -> Case:
    """Make one transition with the service (the supervisor by default) and return the fresh case."""
    user = user or staff.supervisor
    fresh = Case.objects.get(pk=case.pk)
    lifecycle.case_transition(
        case=fresh,
        keyring=staff.keyring(user),
        transition_id=step_to(fresh, to_status).pk,
        expected_version=fresh.version,
        data=lifecycle.TransitionInput(**data),
    )
    return Case.objects.get(pk=case.pk)


def logged_in(user: Any) -> Client:
    client = Client()
    login(client, user)
    return client
