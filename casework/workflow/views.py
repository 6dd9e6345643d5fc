"""Console pages of the lifecycles: transitions, triage, the UPG hand-over, clocks, retention, reminders, the
gratification forwarding list, the SLA page and the calendar overrides.

Thin: parse a form, call one service or selector, render or redirect. A refusal shows its message and
changes nothing (HTTP 400 on a form page, a flash message after a redirect otherwise).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework.cases.models import Case
from casework.cases.services import CaseActionRefused
from casework.staff.models import StaffUser
from casework.staff.roles import MANAGE_WORKFLOW, SUPERVISE_CASES
from casework.workflow import lifecycle, retention, selectors, tables, triage, upg
from casework.workflow.calendar import rule_codes
from casework.workflow.charts import sla_chart
from casework.workflow.forms import (
    CalendarOverrideForm,
    ClockStartForm,
    DecisionForm,
    GroundsForm,
    PeriodForm,
    TransitionForm,
    TriageForm,
    UpgHandoverForm,
)
from casework.workflow.models import CalendarOverride, DestructionRequest, Transition
from casework.workflow.reminders import notifications_mark_read
from vault import services as vault
from vault.exceptions import AccessDenied, VaultLocked
from vault.permissions import HOLD_CASE_KEYS

case_readers_only = permission_required(HOLD_CASE_KEYS, raise_exception=True)
supervisors_only = permission_required(SUPERVISE_CASES, raise_exception=True)
workflow_managers_only = permission_required(MANAGE_WORKFLOW, raise_exception=True)


def _user(request: HttpRequest) -> StaffUser:
    user = request.user
    assert isinstance(user, StaffUser)  # the console middleware lets only verified staff through
    return user


def _back(case: Case) -> HttpResponse:
    return redirect("console:case_detail", number=case.number)


def _error_page(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "error.html", {"title": _("Not possible"), "message": message}, status=status)


def _holder_page(request: HttpRequest, case: Case) -> HttpResponse | None:
    """Refuse a form page to someone who does not hold the case (403 with the reason)."""
    if not vault.holds_report(user=_user(request), report_id=case.id):
        return _error_page(request, _("You do not hold this case."), 403)
    return None


# --- Transitions ---------------------------------------------------------------------------------------------
@case_readers_only
@require_http_methods(["GET", "POST"])
def case_transition_view(request: HttpRequest, number: str, transition_id: int) -> HttpResponse:
    """Show the form of one transition of the case, and make it."""
    case = get_object_or_404(Case, number=number)
    step = Transition.objects.filter(pk=transition_id, kind=case.kind).first()
    if step is None:
        return _error_page(request, _("This status change does not exist for this kind of case."), 404)
    refused = _holder_page(request, case)
    if refused is not None:
        return refused
    if not lifecycle.may_make(_user(request), step):
        return _error_page(request, _("Only a supervisor can make this status change."), 403)
    if request.method == "GET":
        form = TransitionForm(initial={"version": case.version}, step=step, case=case)
        return _transition_page(request, case, step, form)
    form = TransitionForm(request.POST, step=step, case=case)
    if not form.is_valid():
        return _transition_page(request, case, step, form, status=400)
    try:
        lifecycle.case_transition(
            case=case,
            keyring=vault.officer_keyring(request),
            transition_id=step.pk,
            expected_version=form.cleaned_data["version"],
            data=form.data_for_service(),
        )
    except VaultLocked:
        return _error_page(request, str(VaultLocked().message), 403)
    except AccessDenied:
        return _error_page(request, _("You do not hold this case."), 403)
    except CaseActionRefused as exc:
        form.add_error(None, exc.message)
        return _transition_page(request, case, step, form, status=409 if isinstance(exc, lifecycle.StaleCase) else 400)
    messages.success(request, _("The status is now: %(status)s.") % {"status": step.get_to_status_display()})
    return _back(case)


def _transition_page(
    request: HttpRequest, case: Case, step: Transition, form: TransitionForm, status: int = 200
) -> HttpResponse:
    return render(
        request, "casework/workflow/transition.html", {"case": case, "step": step, "form": form}, status=status
    )


# --- Triage metadata -----------------------------------------------------------------------------------------
@case_readers_only
@require_http_methods(["GET", "POST"])
def case_triage_view(request: HttpRequest, number: str) -> HttpResponse:
    """Set the case's triage metadata (organisation, violation or gift type, value band)."""
    case = get_object_or_404(Case, number=number)
    refused = _holder_page(request, case)
    if refused is not None:
        return refused
    if request.method == "GET":
        initial = {
            "version": case.version,
            "organisation": case.organisation.code if case.organisation else None,
            "violation_type": case.violation_type,
            "gift_type": case.gift_type,
            "gift_value_band": case.gift_value_band,
        }
        return _form_page(request, case, TriageForm(initial=initial, case=case), "triage")
    form = TriageForm(request.POST, case=case)
    if not form.is_valid():
        return _form_page(request, case, form, "triage", status=400)
    try:
        changed = triage.case_set_triage(
            case=case, actor=_user(request), expected_version=form.cleaned_data["version"], triage=form.triage()
        )
    except CaseActionRefused as exc:
        form.add_error(None, exc.message)
        return _form_page(request, case, form, "triage", status=409 if isinstance(exc, lifecycle.StaleCase) else 400)
    messages.success(request, _("Triage saved.") if changed else _("Nothing changed."))
    return _back(case)


def _form_page(request: HttpRequest, case: Case, form: Any, which: str, status: int = 200) -> HttpResponse:
    titles = {"triage": _("Triage"), "upg": _("Hand-over to the UPG")}
    return render(
        request,
        "casework/workflow/case_form.html",
        {"case": case, "form": form, "which": which, "title": titles[which]},
        status=status,
    )


# --- Gratification: hand-over to the UPG -----------------------------------------------------------------------
@case_readers_only
@require_http_methods(["GET", "POST"])
def case_upg_view(request: HttpRequest, number: str) -> HttpResponse:
    """Record the hand-over of the gift to the UPG."""
    case = get_object_or_404(Case, number=number)
    refused = _holder_page(request, case)
    if refused is not None:
        return refused
    if request.method == "GET":
        record = getattr(case, "gratification", None)
        initial: dict[str, Any] = {"version": case.version}
        if record is not None:
            initial.update(
                handed_over_on=record.upg_handed_over_on,
                receipt_number=record.upg_receipt_number,
                storage_place=record.upg_storage_place,
            )
        return _form_page(request, case, UpgHandoverForm(initial=initial), "upg")
    form = UpgHandoverForm(request.POST)
    if not form.is_valid():
        return _form_page(request, case, form, "upg", status=400)
    try:
        upg.record_upg_handover(
            case=case,
            actor=_user(request),
            expected_version=form.cleaned_data["version"],
            handed_over_on=form.cleaned_data["handed_over_on"],
            receipt_number=form.cleaned_data["receipt_number"],
            storage_place=form.cleaned_data["storage_place"],
        )
    except CaseActionRefused as exc:
        form.add_error(None, exc.message)
        return _form_page(request, case, form, "upg", status=409 if isinstance(exc, lifecycle.StaleCase) else 400)
    messages.success(request, _("The hand-over to the UPG is recorded."))
    return _back(case)


# --- Clocks --------------------------------------------------------------------------------------------------
@case_readers_only
@require_POST
def case_clock_start_view(request: HttpRequest, number: str) -> HttpResponse:
    """Start a clock on the case by hand."""
    case = get_object_or_404(Case, number=number)
    refused = _holder_page(request, case)  # before the form: a non-holder learns nothing from its errors
    if refused is not None:
        return refused
    form = ClockStartForm(request.POST, codes=sorted(rule_codes()))
    if not form.is_valid():
        messages.error(request, _("Choose a deadline rule from the list."))
        return _back(case)
    try:
        lifecycle.case_start_clock(case=case, actor=_user(request), code=form.cleaned_data["rule_code"])
    except CaseActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The clock %(rule)s is running.") % {"rule": form.cleaned_data["rule_code"]})
    return _back(case)


# --- Retention -----------------------------------------------------------------------------------------------
@supervisors_only
@require_GET
def case_retention_view(request: HttpRequest, number: str) -> HttpResponse:
    """Retention of one case: when it will be shredded, the legal hold, early destruction (metadata only)."""
    case = get_object_or_404(Case, number=number)
    user = _user(request)
    open_request = DestructionRequest.objects.filter(case=case, decided_at__isnull=True).first()
    return render(
        request,
        "casework/workflow/retention.html",
        {
            "case": case,
            "retention_until": retention.retention_until(case),
            "retention_years": retention.retention_years(case.kind),
            "open_request": open_request,
            "may_decide": open_request is not None and open_request.requested_by_id != user.pk,
            "grounds_form": GroundsForm(),
            "requests": DestructionRequest.objects.filter(case=case).select_related("requested_by", "decided_by"),
        },
    )


def _retention_done(request: HttpRequest, case: Case) -> HttpResponse:
    return redirect("console:case_retention", number=case.number)


@supervisors_only
@require_POST
def case_legal_hold_view(request: HttpRequest, number: str) -> HttpResponse:
    """Set or lift the legal hold."""
    case = get_object_or_404(Case, number=number)
    form = GroundsForm(request.POST)
    hold = request.POST.get("hold") == "on"
    if not form.is_valid():
        messages.error(request, _("State the grounds (one line of at most 200 characters)."))
        return _retention_done(request, case)
    try:
        retention.case_set_legal_hold(case=case, actor=_user(request), hold=hold, grounds=form.cleaned_data["grounds"])
    except CaseActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The legal hold is set.") if hold else _("The legal hold is lifted."))
    return _retention_done(request, case)


@supervisors_only
@require_POST
def case_destruction_request_view(request: HttpRequest, number: str) -> HttpResponse:
    """Ask to destroy the case early (another supervisor decides)."""
    case = get_object_or_404(Case, number=number)
    form = GroundsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("State the grounds (one line of at most 200 characters)."))
        return _retention_done(request, case)
    try:
        retention.destruction_request(case=case, actor=_user(request), grounds=form.cleaned_data["grounds"])
    except CaseActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your request is waiting for a second supervisor's decision."))
    return _retention_done(request, case)


@supervisors_only
@require_POST
def case_destruction_decide_view(request: HttpRequest, number: str) -> HttpResponse:
    """A second supervisor approves (the case is crypto-shredded at once) or refuses."""
    case = get_object_or_404(Case, number=number)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The decision could not be read; try again."))
        return _retention_done(request, case)
    destruction = DestructionRequest.objects.filter(pk=form.cleaned_data["request_id"], case=case).first()
    if destruction is None:
        messages.error(request, _("This request does not exist (any more)."))
        return _retention_done(request, case)
    approve = bool(form.cleaned_data["approve"])
    try:
        retention.destruction_decide(request=destruction, actor=_user(request), approve=approve)
    except CaseActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The case was destroyed.") if approve else _("The request was refused."))
    return _retention_done(request, case)


# --- Home reminders ------------------------------------------------------------------------------------------
@require_POST
def notifications_read_view(request: HttpRequest) -> HttpResponse:
    """Mark the reminders shown on the console home as read."""
    ids = [int(v) for v in request.POST.getlist("notification") if v.isdigit()][:100]
    notifications_mark_read(user=_user(request), ids=ids)
    return redirect("console:home")


# --- Lists and reports ---------------------------------------------------------------------------------------
@case_readers_only
@require_GET
def forwarding_view(request: HttpRequest) -> HttpResponse:
    """Gratification reports not yet forwarded to the KPK, with the statutory 30-working-day limit."""
    return render(request, "casework/workflow/forwarding.html", {"rows": selectors.forwarding_due(_user(request))})


@supervisors_only
@require_GET
def sla_view(request: HttpRequest) -> HttpResponse:
    """On time and late per rule and per officer, as a chart and a table (supervisors)."""
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    report = selectors.sla_report(start=start, end=end)
    status = 400 if form.errors else 200
    return render(
        request,
        "casework/workflow/sla.html",
        {
            "form": form,
            "report": report,
            "chart_rules": sla_chart(report.by_rule),
            "chart_officers": sla_chart(report.by_officer),
        },
        status=status,
    )


# --- Calendar overrides --------------------------------------------------------------------------------------
@workflow_managers_only
@require_http_methods(["GET", "POST"])
def calendar_view(request: HttpRequest) -> HttpResponse:
    """The calendar's overrides: list them and add one (administrators)."""
    form = CalendarOverrideForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                tables.calendar_override_add(
                    actor=_user(request),
                    day=form.cleaned_data["day"],
                    kind=form.cleaned_data["kind"],
                    note=form.cleaned_data["note"],
                )
            except CaseActionRefused as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The override is saved; running clocks were counted again."))
                return redirect("console:calendar")
        status = 400
    return render(
        request,
        "casework/workflow/calendar.html",
        {"form": form, "overrides": CalendarOverride.objects.all(), "rules": selectors.deadline_rule_rows()},
        status=status,
    )


@workflow_managers_only
@require_POST
def calendar_remove_view(request: HttpRequest, override_id: int) -> HttpResponse:
    """Remove one override."""
    try:
        tables.calendar_override_remove(actor=_user(request), override_id=override_id)
    except CaseActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The override is removed; running clocks were counted again."))
    return redirect("console:calendar")
