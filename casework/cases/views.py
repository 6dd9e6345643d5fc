"""Case pages of the console (/console/cases/...): the queue, one case opened, replies, grants, downloads.

Only staff who may hold case keys (officers, supervisors) reach them; auditors and administrators get 403 and
never see content. A case
is opened only by someone who holds its key, with the keyring of the split-key console session: without it
(cookie lost, session expired) the page asks to log in again instead of failing.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from casework.cases import queue, selectors
from casework.cases.forms import CaseFilterForm, CaseReplyForm, StaffChoiceForm
from casework.cases.models import Case, CaseAttachment, SavedQueueView
from casework.cases.responses import case_denied as _denied
from casework.cases.responses import console_user as _user
from casework.cases.responses import corrupt_case as _corrupt
from casework.cases.responses import vault_locked as _locked
from casework.cases.services import (
    CaseActionRefused,
    attachment_download,
    case_escrow_regrant,
    case_grant,
    case_reply,
    case_revoke,
    mark_thread_read,
    queue_view_save,
)
from casework.staff import denials
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from casework.staff.step_up import step_up_required
from vault import services as vault
from vault.exceptions import AccessDenied, CorruptCiphertext, VaultError, VaultLocked
from vault.permissions import HOLD_CASE_KEYS

# Officers and supervisors: the staff who may hold case keys (403 for anyone else).
case_readers_only = permission_required(HOLD_CASE_KEYS, raise_exception=True)
supervisors_only = permission_required(SUPERVISE_CASES, raise_exception=True)


@case_readers_only
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """The queue: supervisors every case, officers the cases they hold; filtered, sorted, paged. Metadata only.

    ``?view=my-work`` shows the staff member's saved "my work" filters (or the default: their open cases).
    """
    user = _user(request)
    my_work = request.GET.get("view") == SavedQueueView.MY_WORK
    saved = queue.saved_my_work(user)  # read once: the view's filters and the "reset" button
    params = QueryDict(queue.my_work_query(user, saved)) if my_work else request.GET
    form = CaseFilterForm(params, user=user)
    shown = queue.queue_page(user, form.filters(), page=request.GET.get("page"))
    query = form.query_string()
    return render(
        request,
        "casework/case_list.html",
        {
            "form": form,
            "page": shown.page,
            "rows": shown.rows,
            "count_limit": shown.count_limit,
            "is_queue": user.has_perm(SUPERVISE_CASES),
            "my_work": my_work,
            "saved_my_work": saved is not None,
            "query": query,
            "pager_query": f"view={SavedQueueView.MY_WORK}" if my_work else query,
        },
        status=400 if form.errors else 200,
    )


@case_readers_only
@require_POST
def case_list_save_view(request: HttpRequest) -> HttpResponse:
    """Save the shown filters as the staff member's "my work" view, or (empty) go back to the default."""
    user = _user(request)
    form = CaseFilterForm(QueryDict(request.POST.get("query", "")), user=user)
    if form.errors:
        messages.error(request, _("These filters cannot be saved: correct them first."))
        return redirect("console:case_list")
    try:
        queue_view_save(user=user, name=SavedQueueView.MY_WORK, query=form.query_string())
    except CaseActionRefused as exc:
        messages.error(request, exc.message)
        return redirect("console:case_list")
    messages.success(request, _('Your "my work" view has been saved.'))
    return redirect(f"{reverse('console:case_list')}?view={SavedQueueView.MY_WORK}")


def _detail(request: HttpRequest, case: Case, *, reply_form: CaseReplyForm | None = None) -> HttpResponse:
    user = _user(request)
    try:
        keyring = vault.officer_keyring(request)
    except VaultLocked:  # asking to log in again is for those who hold the case; anyone else is denied
        return _locked(request) if selectors.holds_case(user, case) else _denied(request, case)
    try:
        # Opening needs the user's own key to the case: the holder check itself (no key, AccessDenied).
        opened = selectors.open_case(keyring=keyring, case=case)
    except VaultLocked:
        return _locked(request)
    except AccessDenied:
        return _denied(request, case)
    except CorruptCiphertext as exc:
        return _corrupt(request, exc)
    mark_thread_read(thread=opened.thread)  # the reporter's new messages were shown: read for all staff
    # Each list read once: whether to show its form, and the form's options.
    candidates, holders = selectors.grant_candidates(case), selectors.case_holders(case)
    listed_candidates, listed_holders = list(candidates), list(holders)
    context: dict[str, Any] = {
        "opened": opened,
        "case": case,
        "reply_form": reply_form or CaseReplyForm(),
        "holders": [selectors.staff_label(u) for u in listed_holders],
        "grant_form": StaffChoiceForm(queryset=candidates, listed=listed_candidates) if listed_candidates else None,
        "revoke_form": (
            StaffChoiceForm(queryset=holders, listed=listed_holders) if user.has_perm(SUPERVISE_CASES) else None
        ),
        "due_on": selectors.queue_due_date(case),
    }
    status = 400 if reply_form is not None and reply_form.errors else 200
    return render(request, "casework/case_detail.html", context, status=status)


@case_readers_only
@require_GET
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One case opened: the report field by field, the files, the messages, reply and grant forms."""
    # The page shows the organisation and (handling panels) the lead officer: read with the case.
    case = get_object_or_404(Case.objects.select_related("organisation", "lead_officer"), number=number)
    response = _detail(request, case)
    response["Cache-Control"] = "no-store"
    return response


@case_readers_only
@require_POST
def case_reply_view(request: HttpRequest, number: str) -> HttpResponse:
    """Post a message to the reporter, signed "Inspektorat"."""
    case = get_object_or_404(Case, number=number)
    user = _user(request)
    if not selectors.holds_case(user, case):
        return _denied(request, case)
    form = CaseReplyForm(request.POST)
    if not form.is_valid():
        return _detail(request, case, reply_form=form)
    try:
        case_reply(case=case, keyring=vault.officer_keyring(request), body=form.cleaned_data["body"])
    except VaultLocked:
        return _locked(request)
    except AccessDenied:
        return _denied(request, case)
    except CaseActionRefused as exc:
        form.add_error("body", exc.message)
        return _detail(request, case, reply_form=form)
    messages.success(request, _("Your message has been sent to the reporter."))
    return redirect("console:case_detail", number=case.number)


def _chosen(request: HttpRequest, queryset: Any) -> StaffUser | None:
    form = StaffChoiceForm(request.POST, queryset=queryset)
    if form.is_valid():
        officer = form.cleaned_data["officer"]
        assert isinstance(officer, StaffUser)
        return officer
    messages.error(request, _("Choose a staff member from the list."))
    return None


@case_readers_only
@step_up_required
@require_POST
def case_grant_view(request: HttpRequest, number: str) -> HttpResponse:
    """Give another officer or supervisor access to a case one holds."""
    case = get_object_or_404(Case, number=number)
    user = _user(request)
    if not selectors.holds_case(user, case):
        return _denied(request, case)
    officer = _chosen(request, selectors.grant_candidates(case))
    if officer is not None:
        try:
            case_grant(case=case, keyring=vault.officer_keyring(request), officer=officer)
        except VaultLocked:
            return _locked(request)
        except AccessDenied:
            return _denied(request, case)
        except CaseActionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("%(name)s now has access to this case.") % {"name": selectors.staff_label(officer)}
            )
    return redirect("console:case_detail", number=case.number)


@supervisors_only
@step_up_required
@require_POST
def case_revoke_view(request: HttpRequest, number: str) -> HttpResponse:
    """A supervisor takes a case away from someone (their key to it is deleted)."""
    case = get_object_or_404(Case, number=number)
    officer = _chosen(request, selectors.case_holders(case))
    if officer is not None:
        try:
            case_revoke(case=case, officer=officer, revoked_by=_user(request))
        except CaseActionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("%(name)s no longer has access to this case.") % {"name": selectors.staff_label(officer)}
            )
    if selectors.holds_case(_user(request), case):
        return redirect("console:case_detail", number=case.number)
    return redirect("console:case_list")


@case_readers_only
@step_up_required
@require_POST
def case_regrant_view(request: HttpRequest, number: str) -> HttpResponse:
    """The escrow holder re-grants a case from the escrow copy (they need not hold the case)."""
    case = get_object_or_404(Case, number=number)
    user = _user(request)
    if not vault.is_escrow_holder(user):
        denials.mark_denial(request, denials.NOT_ESCROW_HOLDER)
        return render(
            request,
            "error.html",
            {"title": _("Access denied"), "message": _("Only the holder of the escrow key can re-grant cases.")},
            status=403,
        )
    officer = _chosen(request, selectors.grant_candidates(case))
    if officer is not None:
        try:
            case_escrow_regrant(case=case, escrow=vault.escrow_keyring(request), officer=officer)
        except VaultLocked:
            return _locked(request)
        except VaultError as exc:  # the escrow share does not open (e.g. the holder's key was reset)
            return render(request, "error.html", {"title": _("Access denied"), "message": exc.message}, status=403)
        except CaseActionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("%(name)s now has access to this case.") % {"name": selectors.staff_label(officer)}
            )
    if selectors.holds_case(user, case):
        return redirect("console:case_detail", number=case.number)
    return redirect("console:case_list")


@case_readers_only
@require_GET
def case_attachment(request: HttpRequest, number: str, attachment_id: uuid.UUID) -> HttpResponse:
    """Stream a file of the case, decrypted chunk by chunk, as a download (never shown inline; audited)."""
    case = get_object_or_404(Case, number=number)
    attachment = get_object_or_404(CaseAttachment, case=case, pk=attachment_id)
    user = _user(request)
    if not selectors.holds_case(user, case):
        return _denied(request, case)
    try:
        download = attachment_download(keyring=vault.officer_keyring(request), case=case, attachment=attachment)
    except VaultLocked:
        return _locked(request)
    except AccessDenied:
        return _denied(request, case)
    except CorruptCiphertext as exc:
        return _corrupt(request, exc)
    response = StreamingHttpResponse(download.chunks, content_type=download.content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, download.name)
    response["Content-Length"] = str(download.size)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response  # type: ignore[return-value]  # permission_required is typed for HttpResponse views
