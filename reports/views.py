"""Console pages of the reports package (/console/reports/...): exports, their progress, statistics, CSV.

Views stay thin: forms validate, ``reports.services`` makes and audits exports, ``reports.recap`` reads.
Content kinds are rendered in this request with the officer's keyring and streamed back, never stored.
"""

from __future__ import annotations

import csv
import uuid
from typing import Any

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.models import READ_AUDIT_LOG
from casework.models import CaseKind, StaffUser
from reports import recap as recap_figures
from reports.case_documents import case_document, find_case
from reports.exceptions import AuditLogAltered, ExportRefused, ReportError, ReportInputError, SigningUnavailable
from reports.forms import AnnualForm, AuditTrailForm, CaseForm, ForwardingForm, PeriodForm, RecapForm
from reports.kinds import ExportKind
from reports.models import ReportExport
from reports.permissions import can_export, can_use_reports, can_view_statistics
from reports.services import ExportRequest, ExportResult, make_export, request_export
from vault import services as vault
from vault.exceptions import AccessDenied, CorruptCiphertext, VaultLocked
from vault.permissions import HOLD_CASE_KEYS

PROGRESS_REFRESH_SECONDS = 2


# Content exports are for staff who can hold case keys; the role is checked before the method and the form,
# so an auditor or administrator gets a 403 (audited by the console guard) whatever they send.
key_holders_only = permission_required(HOLD_CASE_KEYS, raise_exception=True)
# Statistics are for those who read the audit log (``can_view_statistics``), checked the same way.
statistics_readers_only = permission_required(READ_AUDIT_LOG, raise_exception=True)


def _user(request: HttpRequest) -> StaffUser:
    user = request.user
    assert isinstance(user, StaffUser)  # the console middleware lets only verified staff through
    return user


def _error(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "reports/console_error.html", {"title": title, "message": message}, status=status)


def _refused(request: HttpRequest, message: str = "") -> HttpResponse:
    return _error(request, _("Access denied"), message or _("Your role may not make this export."), 403)


def _locked(request: HttpRequest) -> HttpResponse:
    return render(request, "casework/case_locked.html", {"message": VaultLocked().message}, status=403)


def _report_error(request: HttpRequest, exc: ReportError) -> HttpResponse:
    if isinstance(exc, ExportRefused):
        return _refused(request, exc.message)
    if isinstance(exc, SigningUnavailable):
        return _error(request, _("The document cannot be signed"), exc.message, 503)
    if isinstance(exc, AuditLogAltered):  # the log was edited behind its back: no retry will help
        return _error(request, _("The export cannot be made"), exc.message, 409)
    return _error(request, _("The export cannot be made"), exc.message, 400)


def _pdf_response(result: ExportResult) -> HttpResponse:
    response = HttpResponse(result.signed.data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, result.filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _home_context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    user = _user(request)
    allowed = {kind.value.replace("-", "_"): can_export(user, kind) for kind in ExportKind}
    return {
        "allowed": allowed,
        "exports": ReportExport.objects.filter(requested_by=user).defer("pdf")[:50],
        "recap_form": forms.get("recap_form") or RecapForm(),
        "annual_form": forms.get("annual_form") or AnnualForm(),
        "trail_form": forms.get("trail_form") or AuditTrailForm(),
        "dossier_form": forms.get("dossier_form") or CaseForm(),
        "kpk_form": forms.get("kpk_form") or PeriodForm(prefix="kpk"),
        "forwarding_form": forms.get("forwarding_form") or CaseForm(prefix="fwd"),
    }


@require_GET
def reports_home(request: HttpRequest) -> HttpResponse:
    """The exports a user may make, and the ones they asked for (each user sees only their own)."""
    if not can_use_reports(request.user):
        return _refused(request)
    return render(request, "reports/home.html", _home_context(request))


@require_POST
def export_request(request: HttpRequest, kind: str) -> HttpResponse:
    """Queue a recap, annual report or audit-trail export; then show its progress page."""
    user = _user(request)
    if kind == ExportKind.RECAP:
        form: RecapForm | AuditTrailForm | AnnualForm = RecapForm(request.POST)
        form_key = "recap_form"
    elif kind == ExportKind.ANNUAL:
        form = AnnualForm(request.POST)
        form_key = "annual_form"
    elif kind == ExportKind.AUDIT_TRAIL:
        form = AuditTrailForm(request.POST)
        form_key = "trail_form"
    else:
        raise Http404
    if not can_export(user, ExportKind(kind)):
        return _refused(request)
    if not form.is_valid():
        return render(request, "reports/home.html", _home_context(request, **{form_key: form}), status=400)
    data = form.cleaned_data
    export_kwargs: dict[str, Any] = {"period": data.get("period")}
    if isinstance(form, RecapForm):
        export_kwargs |= {"case_kind": data.get("kind") or "", "organisation": data.get("organisation")}
    elif isinstance(form, AuditTrailForm):
        export_kwargs["case_ref"] = data.get("case") or ""
    try:
        export = request_export(
            user=user, request=ExportRequest(kind=ExportKind(kind), **export_kwargs), language=get_language() or "id"
        )
    except ReportInputError as exc:
        form.add_error(None, exc.message)
        return render(request, "reports/home.html", _home_context(request, **{form_key: form}), status=400)
    except ReportError as exc:
        return _report_error(request, exc)
    return redirect("console:reports:export_detail", export_id=export.pk)


def _own_export(request: HttpRequest, export_id: uuid.UUID) -> ReportExport:
    return get_object_or_404(ReportExport.objects.defer("pdf"), pk=export_id, requested_by=_user(request))


@require_GET
def export_detail(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """Progress of one export (the page refreshes itself until it is done), then its download link."""
    export = _own_export(request, export_id)
    return render(
        request,
        "reports/export_detail.html",
        {"export": export, "refresh": None if export.finished else PROGRESS_REFRESH_SECONDS},
    )


@require_GET
def export_download(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """The signed PDF of a finished export (its requester only)."""
    export = get_object_or_404(ReportExport, pk=export_id, requested_by=_user(request), status=ReportExport.Status.DONE)
    response = HttpResponse(bytes(export.pdf or b""), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, export.filename())
    response["Cache-Control"] = "no-store"
    return response


def _content_export(request: HttpRequest, export: ExportRequest, *, form_key: str, form: Any) -> HttpResponse:
    """Make a content export in this request with the user's keyring; errors go back to the page."""
    user = _user(request)
    try:
        keyring = vault.officer_keyring(request)
        result = make_export(request=export, actor=user, keyring=keyring, language=get_language())
    except VaultLocked:
        return _locked(request)
    except AccessDenied:
        return _refused(request, _("You do not hold the key of this case."))
    except CorruptCiphertext as exc:
        return _error(request, _("The case cannot be read"), str(exc.message), 422)
    except ReportInputError as exc:
        if form is None:
            return _report_error(request, exc)
        form.add_error(None, exc.message)
        return render(request, "reports/home.html", _home_context(request, **{form_key: form}), status=400)
    except ReportError as exc:
        return _report_error(request, exc)
    return _pdf_response(result)


@key_holders_only
@require_POST
def dossier_export(request: HttpRequest) -> HttpResponse:
    """A case's dossier for an officer who holds it, made now and sent back as a signed PDF (never stored)."""
    if not can_export(request.user, ExportKind.DOSSIER):
        return _refused(request, _("Only officers who hold a case can export its dossier."))
    form = CaseForm(request.POST)
    if not form.is_valid():
        return render(request, "reports/home.html", _home_context(request, dossier_form=form), status=400)
    export = ExportRequest(kind=ExportKind.DOSSIER, case_ref=form.cleaned_data["case"])
    return _content_export(request, export, form_key="dossier_form", form=form)


@key_holders_only
@require_POST
def kpk_export(request: HttpRequest) -> HttpResponse:
    """The gratification reports of a period that the officer holds, in the KPK form's fields."""
    if not can_export(request.user, ExportKind.KPK_FORWARDING):
        return _refused(request)
    form = PeriodForm(request.POST, prefix="kpk")
    if not form.is_valid():
        return render(request, "reports/home.html", _home_context(request, kpk_form=form), status=400)
    export = ExportRequest(kind=ExportKind.KPK_FORWARDING, period=form.period)
    return _content_export(request, export, form_key="kpk_form", form=form)


@key_holders_only
@require_GET
def forwarding_start(request: HttpRequest) -> HttpResponse:
    """Go from the case number typed on the reports page to that case's forwarding form."""
    form = CaseForm(request.GET, prefix="fwd")
    if not form.is_valid():
        return render(request, "reports/home.html", _home_context(request, forwarding_form=form), status=400)
    return redirect("console:reports:forwarding", number=form.cleaned_data["case"])


@key_holders_only
@require_http_methods(["GET", "POST"])
def forwarding(request: HttpRequest, number: str) -> HttpResponse:
    """Compose a forwarding package: recipient, parts, passages to burn out; POST makes the signed PDF."""
    user = _user(request)
    if not can_export(user, ExportKind.FORWARDING):
        return _refused(request)
    try:
        case = find_case(number)
        keyring = vault.officer_keyring(request)
        document = case_document(keyring=keyring, case=case)
    except VaultLocked:
        return _locked(request)
    except AccessDenied:
        return _refused(request, _("You do not hold the key of this case."))
    except CorruptCiphertext as exc:
        return _error(request, _("The case cannot be read"), str(exc.message), 422)
    except ReportInputError as exc:
        return _error(request, _("The export cannot be made"), exc.message, 404)
    except ReportError as exc:  # refused, or the case's audit events were altered (its timeline is a part)
        return _report_error(request, exc)
    form = ForwardingForm(request.POST or None, document=document)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            export = ExportRequest(
                kind=ExportKind.FORWARDING,
                case_ref=case.number,
                authority=data["authority"],
                reference=data.get("reference") or "",
                parts=tuple(data["parts"]),
                passages=tuple(data["passages"]),
            )
            try:
                result = make_export(request=export, actor=user, keyring=keyring, language=get_language())
            except ReportInputError as exc:
                form.add_error(None, exc.message)
            except ReportError as exc:
                return _report_error(request, exc)
            else:
                return _pdf_response(result)
        status = 400
    response = render(
        request, "reports/forwarding.html", {"case": case, "document": document, "form": form}, status=status
    )
    response["Cache-Control"] = "no-store"
    return response


def _statistics_form(request: HttpRequest) -> RecapForm:
    return RecapForm(request.GET or None)


@statistics_readers_only
@require_GET
def statistics_page(request: HttpRequest) -> HttpResponse:
    """The recap's figures and charts for a chosen period, filtered by kind and organisation."""
    if not can_view_statistics(request.user):
        return _refused(request, _("Statistics are for supervisors and auditors."))
    form = _statistics_form(request)
    recap = None
    status = 200
    if not request.GET or form.is_valid():
        if not request.GET:
            form = RecapForm({})
            form.is_valid()
        data = form.cleaned_data
        recap = recap_figures.build_recap(
            recap_figures.RecapFilters(
                period=data["period"], kind=data.get("kind") or "", organisation=data.get("organisation")
            )
        )
    else:
        status = 400
    return render(
        request,
        "reports/statistics.html",
        {"form": form, "recap": recap, "query": request.GET.urlencode(), "kinds": CaseKind},
        status=status,
    )


@statistics_readers_only
@require_GET
def statistics_csv(request: HttpRequest) -> HttpResponse:
    """The statistics page's tables as CSV (long form: table, row, column, count; suppressed cells empty)."""
    if not can_view_statistics(request.user):
        return _refused(request, _("Statistics are for supervisors and auditors."))
    form = RecapForm(request.GET or {})
    if not form.is_valid():
        return _error(request, _("The export cannot be made"), "; ".join(str(e) for e in form.errors.values()), 400)
    data = form.cleaned_data
    recap = recap_figures.build_recap(
        recap_figures.RecapFilters(
            period=data["period"], kind=data.get("kind") or "", organisation=data.get("organisation")
        )
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    period = recap.filters.period
    response["Content-Disposition"] = content_disposition_header(
        True, f"peluit-statistics-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    )
    response.write("\ufeff")  # lets spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow([_("Table"), _("Row"), _("Column"), _("Count")])
    writer.writerows(recap_figures.recap_rows(recap))
    return response
