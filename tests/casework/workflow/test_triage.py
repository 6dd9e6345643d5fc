"""Triage metadata in clear for statistics, set by officers holding the case (audited, codes only); the
reporter's words stay sealed; the channel is recorded at intake."""

from __future__ import annotations

import pytest

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases.services import CaseActionRefused
from casework.models import Case, Organisation
from casework.workflow import lifecycle, triage
from tests.casework.workflow.conftest import WHAT, file_gratification, file_wbs, logged_in
from tests.intake.conftest import IntakeStaff, wbs_post

pytestmark = pytest.mark.django_db


def test_an_officer_sets_the_triage_metadata(staff: IntakeStaff) -> None:
    case = file_wbs()
    assert (case.violation_type, case.organisation.code if case.organisation else None) == (
        "pungli",
        "kecamatan-tembalang",
    )
    dinas = Organisation.objects.get(code="dinas-kesehatan")
    changed = triage.case_set_triage(
        case=case,
        actor=staff.officer,
        expected_version=0,
        triage=triage.Triage(organisation=dinas, violation_type="suap"),
    )
    assert changed == ["organisation", "violation_type"]
    case.refresh_from_db()
    assert (case.organisation, case.violation_type, case.version) == (dinas, "suap", 1)
    event = AuditEvent.objects.get(action=Action.CASE_TRIAGED)
    assert event.details_dict == {
        "fields": "organisation,violation_type",
        "organisation": "dinas-kesehatan",
        "violation_type": "suap",
    }
    assert WHAT not in event.details


def test_bad_triage_is_refused_and_changes_nothing(staff: IntakeStaff) -> None:
    case = file_wbs(exclude_recipients=[str(staff.other_officer.pk)])
    with pytest.raises(CaseActionRefused, match="no gift"):
        triage.case_set_triage(
            case=case,
            actor=staff.officer,
            expected_version=0,
            triage=triage.Triage(organisation=None, gift_type="uang"),
        )
    with pytest.raises(CaseActionRefused, match="do not hold"):
        triage.case_set_triage(
            case=case,
            actor=staff.other_officer,
            expected_version=0,
            triage=triage.Triage(organisation=None, violation_type="suap"),
        )
    with pytest.raises(lifecycle.StaleCase):
        triage.case_set_triage(
            case=case,
            actor=staff.officer,
            expected_version=7,
            triage=triage.Triage(organisation=None, violation_type="suap"),
        )
    gift = file_gratification().case
    with pytest.raises(CaseActionRefused, match="violation type"):
        triage.case_set_triage(
            case=gift,
            actor=staff.officer,
            expected_version=0,
            triage=triage.Triage(organisation=None, violation_type="suap"),
        )
    assert Case.objects.get(pk=case.pk).violation_type == "pungli"
    assert not AuditEvent.objects.filter(action=Action.CASE_TRIAGED).exists()


def test_the_gift_value_band_comes_from_the_value(staff: IntakeStaff) -> None:
    assert file_gratification(value="12500000").case.gift_value_band == "ge_10m"
    assert file_gratification(value="2500000").case.gift_value_band == "1m_10m"
    assert file_gratification(value="100", currency="USD").case.gift_value_band == "other_currency"


def test_the_triage_page(staff: IntakeStaff) -> None:
    case = file_gratification().case
    client = logged_in(staff.officer)
    page = client.get(f"/console/cases/{case.number}/triage/")
    assert page.status_code == 200 and 'name="gift_value_band"' in page.content.decode()
    assert 'name="violation_type"' not in page.content.decode()
    response = client.post(
        f"/console/cases/{case.number}/triage/",
        {"version": "0", "organisation": "", "gift_type": "uang", "gift_value_band": "ge_10m"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.gift_type, case.gift_value_band, case.organisation) == ("uang", "ge_10m", None)
    stale = client.post(
        f"/console/cases/{case.number}/triage/", {"version": "0", "gift_type": "barang", "gift_value_band": ""}
    )
    assert stale.status_code == 409
    garbage = client.post(f"/console/cases/{case.number}/triage/", {"version": "x", "gift_type": "<script>"})
    assert garbage.status_code == 400
    assert Case.objects.get(pk=case.pk).gift_type == "uang"


def test_reports_sent_through_the_api_record_their_channel(staff: IntakeStaff, client: object) -> None:
    from django.test import Client

    api = Client()
    response = api.post("/api/v1/reports/wbs", wbs_post())
    assert response.status_code == 201, response.content
    assert Case.objects.get(number=response.json()["case_number"]).channel == "api"
