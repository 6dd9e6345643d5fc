"""Console pages for reports received by another channel (/console/record/...): phone, fax, SMS/WhatsApp 1708,
e-mail, letter, in person, LAPOR!/SP4N, a KPK referral.

An officer types the report into the very form a reporter uses on the web, plus how and when it came; it is
cleaned, sealed and numbered like a web report (``intake.services.record_report``), and the receipt page (shown
once, made for printing) is what the officer passes on. These pages live in ``intake`` because they reuse its
forms and services (``casework`` may not import ``intake``); ``config/urls.py`` mounts them under ``/console/``,
so the console's password + TOTP rule covers them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from casework.models import CaseKind, StaffUser
from intake import services
from intake.console_forms import ChannelForm
from intake.forms import GratificationReportForm, ReportForm, WbsReportForm
from intake.views import ReportPage, report_page
from vault.permissions import HOLD_CASE_KEYS

# Officers and supervisors record reports (the staff who handle them); auditors and administrators do not.
case_handlers_only = permission_required(HOLD_CASE_KEYS, raise_exception=True)
FORMS: dict[str, type[ReportForm]] = {CaseKind.WBS: WbsReportForm, CaseKind.GRATIFICATION: GratificationReportForm}


@case_handlers_only
@require_GET
def record_start(request: HttpRequest) -> HttpResponse:
    """Choose which kind of report to record."""
    return render(request, "intake/console_record_start.html")


@case_handlers_only
@sensitive_post_parameters()  # every field is the reporter's words: never in an error report
@require_http_methods(["GET", "POST"])
def record_report(request: HttpRequest, kind: str) -> HttpResponse:
    """The report form of ``kind`` with the channel and day of receipt; on success the receipt page (shown once).

    The reporter's own page logic runs underneath (``intake.views.report_page``): the same validation, files
    kept across a form error, one-time token; only the service call adds the recording.
    """
    officer = request.user
    assert isinstance(officer, StaffUser)  # the console middleware lets only verified staff through
    channel_form = ChannelForm(request.POST if request.method == "POST" else None)

    def submit(**kwargs: Any) -> services.Submission:
        return services.record_report(
            kind=CaseKind(kind),
            channel=channel_form.cleaned_data["channel"],
            received_on=channel_form.cleaned_data["received_on"],
            officer=officer,
            **kwargs,
        )

    page = ReportPage(
        form_class=FORMS[kind],
        submit=submit,
        template="intake/console_record_form.html",
        kind=kind,
        receipt_template="intake/console_receipt.html",
        new_form_url=reverse(f"record:{kind}"),
        extra_form=channel_form,
        context={"kind_label": CaseKind(kind).label},
    )
    return report_page(request, page)
