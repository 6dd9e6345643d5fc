"""The service standard (page and signed PDF) publishes the limits the clocks enforce; the annual report is a
signed PDF of the year's public figures, the service standard and the audit checkpoint (command and console)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from lxml import html as lxml_html

from audit.actions import Action
from audit.models import AuditEvent
from casework.models import CaseKind, DeadlineRule, ViolationType
from casework.staff.roles import Role
from casework.workflow.clocks import start_clock
from reports.models import ReportExport
from tests.reports.conftest import make_case, pdf_text, pdfsig
from tests.support.staff import login

pytestmark = pytest.mark.django_db


def _limits(client: Client, kind: str) -> dict[str, str]:
    page = lxml_html.fromstring(client.get("/en/standar-layanan/").content)
    table = page.get_element_by_id(f"limits-{kind}")
    return {tr.get("data-rule"): tr.find("td").text_content().strip() for tr in table.findall(".//tbody/tr")}


def test_the_standard_lists_every_component_for_both_services() -> None:
    response = Client().get("/en/standar-layanan/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "<script" not in text
    for heading in (
        "Legal basis",
        "Requirements",
        "Procedure",
        "Time limits",
        "Fee",
        "Product of the service",
        "Complaints about the service",
        "Guarantees of confidentiality and security",
    ):
        assert text.count(f"<h3>{heading}</h3>") == 2, heading
    assert 'id="standard-wbs"' in text and 'id="standard-gratification"' in text
    assert "Service pledge" in text
    assert "standar pelayanan" in Client().get("/standar-layanan/").content.decode().lower()


def test_the_published_limits_change_with_the_deadline_rule(make_staff: Any) -> None:
    client = Client()
    assert _limits(client, "wbs")["ADUAN_TIDAK_BERKADAR"] == "14 working days"
    assert _limits(client, "gratification")["GRAT_LAPOR_KPK"] == "30 working days"
    # The inspectorate shortens the limit from today on: the page and a clock started now agree on 10.
    DeadlineRule.objects.create(
        code="ADUAN_TIDAK_BERKADAR", amount=10, valid_from=timezone.localdate(), description="shorter"
    )
    assert _limits(client, "wbs")["ADUAN_TIDAK_BERKADAR"] == "10 working days"
    case = make_case(kind=CaseKind.WBS)
    clock = start_clock(case=case, code="ADUAN_TIDAK_BERKADAR", actor="system")
    assert clock.amount == 10


def test_the_pledge_is_a_setting(settings: Any) -> None:
    settings.PELUIT_SERVICE_PLEDGE = "Kami siap melayani dengan jujur."
    assert "Kami siap melayani dengan jujur." in Client().get("/standar-layanan/").content.decode()


def test_before_the_first_published_checkpoint_the_pdf_is_a_clear_503() -> None:
    """The public PDF embeds the audit log's published checkpoint (it signs none itself: audit/publication.py)."""
    response = Client().get("/en/standar-layanan/pdf/")
    assert response.status_code == 503
    assert "publishes its first checkpoint at the start of the next hour" in response.content.decode()
    assert not AuditEvent.objects.exists()  # nothing signed, nothing recorded


@pytest.mark.usefixtures("every_checkpoint_published")
def test_the_signed_pdf_is_made_once_per_version(tmp_path: Path) -> None:
    client = Client()
    first = client.get("/en/standar-layanan/pdf/")
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    path = tmp_path / "standard.pdf"
    path.write_bytes(first.content)
    assert "Signature is Valid" in pdfsig(path)
    text = pdf_text(path)
    assert "Service standard" in text and "14 working days" in text and "Audit checkpoint" in text
    assert client.get("/en/standar-layanan/pdf/").content == first.content

    def made() -> int:
        events = AuditEvent.objects.filter(action=Action.EXPORT_CREATED)
        return sum(1 for e in events if e.details_dict.get("kind") == "service-standard")

    assert made() == 1
    DeadlineRule.objects.create(code="ADUAN_TIDAK_BERKADAR", amount=12, valid_from=timezone.localdate())
    changed = client.get("/en/standar-layanan/pdf/").content
    assert changed != first.content and made() == 2
    path.write_bytes(changed)
    assert "12 working days" in pdf_text(path)


def _year_of_cases() -> int:
    year = timezone.localdate().year - 1
    for i in range(7):
        make_case(
            kind=CaseKind.WBS,
            received_at=datetime(year, 2, 3, 3, tzinfo=UTC) + timedelta(days=i),
            violation_type=ViolationType.PUNGLI,
        )
    make_case(kind=CaseKind.WBS, received_at=datetime(year, 2, 3, 3, tzinfo=UTC), violation_type=ViolationType.SUAP)
    return year


@pytest.mark.usefixtures("every_checkpoint_published")  # a public kind: the published checkpoint
def test_the_annual_report_from_the_command_line(tmp_path: Path) -> None:
    year = _year_of_cases()
    out = tmp_path / "annual.pdf"
    output = io.StringIO()
    call_command("export_report", "annual", "--year", str(year), "--out", str(out), "--language", "en", stdout=output)
    assert "SHA-256" in output.getvalue()
    assert "Signature is Valid" in pdfsig(out)
    text = pdf_text(out)
    assert f"Annual transparency report {year}" in text
    assert "Reports by kind" in text and "Service standard" in text and "Audit checkpoint" in text
    # The kind total (8) is published; the bribery report (1) is hidden, as on the page.
    page = Client().get(f"/en/transparansi/{year}/").content.decode()
    assert 'id="summary-total">8<' in page
    assert "8" in text.split("Reports by kind")[1][:400]
    with pytest.raises(CommandError, match="published year"):
        call_command("export_report", "annual", "--year", "1990", "--out", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="published year"):
        call_command("export_report", "annual", "--out", str(tmp_path / "y.pdf"))
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


@pytest.mark.usefixtures("every_checkpoint_published")  # a public kind: the published checkpoint
def test_the_console_button_makes_the_annual_report(
    make_staff: Any, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    year = _year_of_cases()
    auditor = make_staff(Role.AUDITOR, username="auditor-annual")
    client = Client()
    login(client, auditor)
    home = client.get("/console/reports/")
    assert b'id="export-annual"' in home.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/console/reports/request/annual/", {"year": str(year)})
    assert response.status_code == 302
    export = ReportExport.objects.get(requested_by=auditor, kind="annual")
    assert export.status == ReportExport.Status.DONE, export.error
    path = tmp_path / "annual.pdf"
    path.write_bytes(client.get(f"/console/reports/exports/{export.pk}/pdf/").content)
    assert "Signature is Valid" in pdfsig(path)
    bad = client.post("/console/reports/request/annual/", {"year": "1990"})
    assert bad.status_code == 400
    assert ReportExport.objects.filter(kind="annual").count() == 1
