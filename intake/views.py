"""Reporter-facing pages: no account, no JavaScript, nothing from other hosts.

The only cookies a reporter gets are the CSRF token and, after entering a receipt, the one follow-up cookie
(HttpOnly, SameSite=Strict, scoped to the follow-up path). The receipt page is the response to the form post
itself, so the receipt is never stored anywhere to be shown again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import holidays
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from casework.rules.deadlines import working_days_for
from casework.survey.services import SurveyRefused
from casework.workflow.calendar import deadline_rules
from intake import services
from intake.forms import (
    FILE_FIELDS,
    AttachmentForm,
    GratificationReportForm,
    ReceiptForm,
    ReplyForm,
    ReportForm,
    SurveyForm,
    WbsReportForm,
)
from intake.held import (
    HELD_FIELD,
    HeldFilesRefused,
    held_uploads,
    hold_uploads,
    may_use_held,
    none_held,
    select_held,
)
from intake.receipt_page import receipt_response
from intake.throttle import Throttled, receipt_attempt
from vault import services as vault
from vault.exceptions import FollowupExpired, NotSetUp, UnknownReceipt
from vault.followup import FOLLOWUP_COOKIE


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    """The public landing page: what Peluit is, how reporters are protected, what happens next."""
    today = timezone.localdate()
    rules = deadline_rules()  # the table the clocks use, so the page promises what is enforced
    context = {
        "days": {
            code: working_days_for(code, on=today, rules=rules)
            for code in ("ADUAN_TIDAK_BERKADAR", "ADUAN_BERKADAR", "GRAT_LAPOR_KPK", "GRAT_LAPOR_UPG", "KPK_PENETAPAN")
        }
    }
    return render(request, "intake/landing.html", context)


@dataclass(frozen=True)
class ReportPage:
    """What differs between a reporter's report page and an officer's page recording a report from another
    channel (``intake.console_views``): the same form, cleaning, held files and service underneath."""

    form_class: type[ReportForm]
    submit: Callable[..., services.Submission]
    template: str
    kind: str
    receipt_template: str = "intake/receipt.html"
    new_form_url: str = ""  # for the "already sent" page; the reporter's form of ``kind`` by default
    extra_form: forms.Form | None = None  # validated with the report (the console's channel form)
    context: dict[str, Any] = field(default_factory=dict)


def _already_sent(request: HttpRequest, exc: services.AlreadySubmitted, page: ReportPage) -> HttpResponse:
    """The answer to a re-sent form (reloading the receipt page): HTTP 409 and a link to a new, empty form."""
    context = {"message": exc.message, "new_form_url": page.new_form_url or reverse(f"intake:{page.kind}_report")}
    return render(request, "intake/already_sent.html", context, status=409)


def report_page(request: HttpRequest, page: ReportPage) -> HttpResponse:
    """Show the form; on POST, send the report, or show the form again with the chosen files kept (held)."""
    context = {**page.context, "channel_form": page.extra_form}
    if request.method != "POST":
        return render(request, page.template, {**context, "form": page.form_class(), "held": []})
    # The token as the form's CharField cleans it (stripped): the held files and the submission name one token.
    token = request.POST.get("submission_token", "").strip()
    attachments = request.FILES.getlist("attachments")
    voice_recordings = request.FILES.getlist("voice_recordings")
    new_files = len(attachments) + len(voice_recordings)
    uses_held = may_use_held(request.POST, new_files=new_files)
    try:
        if not uses_held:
            # Text only (most reports): nothing to look up. A re-sent form is refused by the submission's
            # own token row, with the same answer.
            held = none_held(token=token)
        elif services.token_spent(token=token):  # before the held files, which the first send deleted
            return _already_sent(request, services.AlreadySubmitted(), page)
        else:
            held = select_held(token=token, kept_ids=request.POST.getlist(HELD_FIELD), new_files=new_files)
    except HeldFilesRefused as exc:
        # Nothing of this request is kept: the form comes back with its text and no files.
        form = page.form_class(request.POST)
        form.is_valid()
        form.add_error(None, exc.message)
        return render(request, page.template, {**context, "form": form, "held": []}, status=400)
    # Validated with the class's fields (most posts are valid and never shown again); a form shown again with its
    # errors below is made afresh with its own copies.
    form = page.form_class(request.POST, request.FILES, shared_fields=True)
    rejected: services.SubmissionRejected | None = None
    extra_valid = page.extra_form is None or page.extra_form.is_valid()
    if form.is_valid() and extra_valid:
        data = dict(form.cleaned_data)
        for name in FILE_FIELDS:
            data.pop(name, None)
        try:
            submission = page.submit(data=data, attachments=attachments, voice_recordings=voice_recordings, held=held)
        except services.SubmissionRejected as exc:
            rejected = exc
        except services.AlreadySubmitted as exc:
            return _already_sent(request, exc, page)
        except NotSetUp:
            message = _("Reports cannot be received right now. Please try again later.")
            return render(request, "error.html", {"title": message, "message": message}, status=503)
        else:
            return receipt_response(request, page.receipt_template, {**page.context, "kind": page.kind}, submission)
    if not uses_held and services.token_spent(token=token):
        # A text-only form sent before and posted again with an error (the browser's copy of an earlier
        # error page): already sent, not "correct the fields" (checked up front when it may use held files).
        return _already_sent(request, services.AlreadySubmitted(), page)
    form = page.form_class(request.POST, request.FILES)
    form.is_valid()
    if rejected is not None and page.extra_form is not None and rejected.field in page.extra_form.fields:
        page.extra_form.add_error(rejected.field, rejected.message)
        rejected = None
    # A form error: keep the files chosen so far (cleaned, sealed against the form token) for the next try.
    send_uncleaned = bool(form.cleaned_data.get("send_uncleaned"))
    refused = hold_uploads(
        token=token, attachments=attachments, voice_recordings=voice_recordings, send_uncleaned=send_uncleaned
    )
    if rejected is not None and not refused:  # refused for a reason holding does not repeat (e.g. a late refusal)
        refused = [(rejected.field if rejected.field in form.fields else "attachments", rejected.message)]
    for field_name, message in refused:
        form.add_error(field_name, message)
    return render(request, page.template, {**context, "form": form, "held": held_uploads(token=token)}, status=400)


@require_http_methods(["GET", "POST"])
def wbs_report(request: HttpRequest) -> HttpResponse:
    """The whistleblowing report form; on success, the receipt page (shown once)."""
    return report_page(
        request,
        ReportPage(
            form_class=WbsReportForm,
            submit=services.submit_wbs_report,
            template="intake/wbs_form.html",
            kind="wbs",
        ),
    )


@require_http_methods(["GET", "POST"])
def gratification_report(request: HttpRequest) -> HttpResponse:
    """The gratification report form (receipt or refusal); on success, the receipt page (shown once)."""
    return report_page(
        request,
        ReportPage(
            form_class=GratificationReportForm,
            submit=services.submit_gratification_report,
            template="intake/gratification_form.html",
            kind="gratification",
        ),
    )


# --- Follow-up -------------------------------------------------------------------------------------------
def _cookie_path() -> str:
    """Return the path the follow-up cookie is scoped to (the follow-up pages of the current language)."""
    return reverse("intake:followup_login")


def _set_followup_cookie(response: HttpResponse, value: str) -> None:
    response.set_cookie(
        FOLLOWUP_COOKIE,
        value,
        path=_cookie_path(),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def _clear_followup_cookie(response: HttpResponse) -> None:
    response.delete_cookie(FOLLOWUP_COOKIE, path=_cookie_path(), samesite="Strict")


def _to_login(notice: str) -> HttpResponse:
    query = f"?{notice}=1" if notice else ""
    response = HttpResponseRedirect(f"{reverse('intake:followup_login')}{query}")
    _clear_followup_cookie(response)
    return response


def _session_gone(request: HttpRequest) -> HttpResponse:
    """Send the reporter to the receipt form; say the session ended only if there was one.

    Without a cookie (e.g. after switching language, the cookie belongs to the other language's pages) the
    plain form is shown.
    """
    return _to_login("expired" if request.COOKIES.get(FOLLOWUP_COOKIE) else "")


def _resume(request: HttpRequest) -> vault.ReporterAccess:
    """Return the reporter access of the follow-up cookie; raise FollowupExpired without a valid one."""
    value = request.COOKIES.get(FOLLOWUP_COOKIE, "")
    if not value:
        raise FollowupExpired()
    return vault.followup_resume(cookie_value=value)


@require_http_methods(["GET", "POST"])
def followup_login(request: HttpRequest) -> HttpResponse:
    """Enter the receipt to open the follow-up inbox."""
    notice = next((n for n in ("expired", "ended") if request.GET.get(n)), "")
    if request.method != "POST":
        return render(request, "intake/followup_login.html", {"form": ReceiptForm(), "notice": notice})
    form = ReceiptForm(request.POST)
    status, retry_after = 400, 0
    if form.is_valid():
        try:
            with receipt_attempt(request):
                cookie = services.followup_login(receipt=form.cleaned_data["receipt"])
        except Throttled as exc:
            form.add_error(None, str(exc.message))
            status, retry_after = 429, int(exc.retry_after)
        except UnknownReceipt as exc:
            form.add_error("receipt", str(exc.message))
        else:
            redirect = HttpResponseRedirect(reverse("intake:followup_inbox"))
            _set_followup_cookie(redirect, cookie)
            return redirect
    response = render(request, "intake/followup_login.html", {"form": form}, status=status)
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response


def _inbox(
    request: HttpRequest,
    access: vault.ReporterAccess,
    *,
    reply: ReplyForm | None = None,
    attach: AttachmentForm | None = None,
    survey: SurveyForm | None = None,
    survey_error: str = "",
    status: int = 200,
) -> HttpResponse:
    view = services.followup_overview(access=access)
    services.followup_mark_read(view=view)  # shown now: the Inspektorat's messages are read by the reporter
    context = {
        "view": view,
        "reply_form": reply or ReplyForm(),
        "attach_form": attach or AttachmentForm(),
        "survey_form": survey or (SurveyForm() if view.survey_open else None),
        "survey_error": survey_error,
        "sent": bool(request.GET.get("sent")),
        "added": bool(request.GET.get("added")),
        "surveyed": bool(request.GET.get("survey")),
    }
    return render(request, "intake/followup_inbox.html", context, status=status)


@require_safe
def followup_inbox(request: HttpRequest) -> HttpResponse:
    """The reporter's inbox: coarse status, messages from "Inspektorat", files, reply and upload forms."""
    try:
        access = _resume(request)
    except FollowupExpired:
        return _session_gone(request)
    return _inbox(request, access)


@require_POST
def followup_reply(request: HttpRequest) -> HttpResponse:
    """Send a message to the inspectorate."""
    try:
        access = _resume(request)
    except FollowupExpired:
        return _session_gone(request)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _inbox(request, access, reply=form, status=400)
    services.post_reporter_message(access=access, body=form.cleaned_data["body"])
    return HttpResponseRedirect(f"{reverse('intake:followup_inbox')}?sent=1")


@require_POST
def followup_attach(request: HttpRequest) -> HttpResponse:
    """Add files to the report."""
    try:
        access = _resume(request)
    except FollowupExpired:
        return _session_gone(request)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_reporter_attachment(
                access=access,
                attachments=form.cleaned_data["attachments"],
                voice_recordings=form.cleaned_data["voice_recordings"],
                send_uncleaned=form.cleaned_data["send_uncleaned"],
            )
        except services.SubmissionRejected as exc:
            form.add_error(exc.field, exc.message)
        else:
            return HttpResponseRedirect(f"{reverse('intake:followup_inbox')}?added=1")
    return _inbox(request, access, attach=form, status=400)


# Asks the browser to drop this site's cookies, storage and cached pages (the follow-up cookie among them).
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


@require_POST
def followup_survey(request: HttpRequest) -> HttpResponse:
    """Answer the satisfaction survey (closed cases, once); the answer is stored without a link to the case."""
    try:
        access = _resume(request)
    except FollowupExpired:
        return _session_gone(request)
    form = SurveyForm(request.POST)
    if not form.is_valid():
        message = _("Please answer every question with 1 to 4. Nothing has been saved.")
        return _inbox(request, access, survey=form, survey_error=message, status=400)
    try:
        services.answer_survey(access=access, scores=form.scores(), comment=form.cleaned_data["comment"])
    except SurveyRefused as exc:
        return _inbox(request, access, survey=form, survey_error=exc.message, status=exc.status)
    return HttpResponseRedirect(f"{reverse('intake:followup_inbox')}?survey=1")


@require_POST
def followup_logout(request: HttpRequest) -> HttpResponse:
    """End the follow-up session; the browser forgets the cookie and everything else it kept of this site."""
    value = request.COOKIES.get(FOLLOWUP_COOKIE, "")
    if value:
        services.followup_logout(cookie_value=value)
    response = _to_login("ended")
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


# --- Quick exit --------------------------------------------------------------------------------------------
@require_safe
def quick_exit(request: HttpRequest) -> HttpResponse:
    """A neutral page of our own for the "quick exit" link: this year's public holidays, nothing of Peluit.

    Our own page rather than another site's: following the link then sends no request to a third party. The
    browser is also asked to forget this site's cookies and cached pages, so "back" cannot reopen an inbox.
    """
    year = timezone.localdate().year
    language = "id" if translation.get_language() == "id" else "en_US"
    calendar = holidays.country_holidays("ID", years=year, categories=("public", "government"), language=language)
    response = render(request, "intake/quick_exit.html", {"year": year, "days": sorted(calendar.items())})
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
