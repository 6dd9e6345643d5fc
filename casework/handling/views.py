"""Console actions of the handling panels (assignment, conflict of interest, notes, links, identity disclosure)
and the pages for disclosures and the hand-over of a departing colleague's cases. Thin: parse, call one
service or selector, answer.

Every action is a form post answered with a redirect back to the case page and a message; a refusal
(``CaseActionRefused``) or a bad form changes nothing and says why. Sensitive actions need a recent proof of
identity (``step_up_required``); deciding on a disclosure needs a second factor every time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework.cases.assignment import case_assign, case_declare_conflict, hand_over_cases
from casework.cases.models import Case
from casework.cases.responses import case_denied, console_user, corrupt_case, refused, vault_locked
from casework.cases.selectors import assignable_staff, staff_label
from casework.cases.services import CaseActionRefused
from casework.handling import disclosure, notes, selectors
from casework.handling.forms import (
    AssignForm,
    ConfirmConflictForm,
    ConfirmForm,
    DisclosureDecisionForm,
    DisclosureRequestForm,
    HandOverForm,
    LinkForm,
    NoteForm,
)
from casework.handling.models import CaseLink, IdentityDisclosure
from casework.staff import denials
from casework.staff.roles import SUPERVISE_CASES
from casework.staff.step_up import step_up_required
from vault import services as vault
from vault.exceptions import AccessDenied, CorruptCiphertext, VaultError, VaultLocked
from vault.permissions import HOLD_CASE_KEYS

case_readers_only = permission_required(HOLD_CASE_KEYS, raise_exception=True)
supervisors_only = permission_required(SUPERVISE_CASES, raise_exception=True)


def _back(case: Case, anchor: str = "") -> HttpResponse:
    response = redirect("console:case_detail", number=case.number)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _form_errors(request: HttpRequest, form: object) -> None:
    errors = getattr(form, "errors", {})
    for field_errors in errors.values():
        for error in field_errors:
            messages.error(request, str(error))


def _act(request: HttpRequest, case: Case, action: Callable[[], str], *, anchor: str) -> HttpResponse:
    """Run ``action`` (a service call returning the success message); turn refusals into pages and messages."""
    try:
        success = action()
    except VaultLocked:
        return vault_locked(request)
    except AccessDenied:
        return case_denied(request, case)
    except CorruptCiphertext as exc:
        return corrupt_case(request, exc)
    except CaseActionRefused as exc:
        messages.error(request, exc.message)
    except VaultError as exc:  # e.g. the escrow share does not open
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return _back(case, anchor)


def _held(request: HttpRequest, number: str) -> tuple[Case, HttpResponse | None]:
    """Return the case and, when the user does not hold it, the refusal to answer with."""
    case = get_object_or_404(Case, number=number)
    if not vault.holds_report(user=console_user(request), report_id=case.id):
        return case, case_denied(request, case)
    return case, None


# --- Assignment and conflict of interest (issue 11.5) -------------------------------------------------------
@supervisors_only
@step_up_required
@require_POST
def case_assign_view(request: HttpRequest, number: str) -> HttpResponse:
    """A supervisor puts someone on the team (lead or member); they get the case's key."""
    case = get_object_or_404(Case, number=number)
    user = console_user(request)
    form = AssignForm(request.POST, queryset=assignable_staff(case))
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "team")
    officer = form.cleaned_data["officer"]

    def assign() -> str:
        lead = form.cleaned_data["role"] == "lead"
        case_assign(case=case, officer=officer, lead=lead, assigned_by=user, keyring=vault.officer_keyring(request))
        return _("%(name)s is now on the team of this case.") % {"name": staff_label(officer)}

    return _act(request, case, assign, anchor="team")


@case_readers_only
@require_POST
def case_conflict_view(request: HttpRequest, number: str) -> HttpResponse:
    """The person declares a conflict of interest in the case: their access ends at once."""
    case = get_object_or_404(Case, number=number)
    user = console_user(request)
    if not vault.holds_report(user=user, report_id=case.id) and not case.team.filter(pk=user.pk).exists():
        return case_denied(request, case)
    form = ConfirmConflictForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "team")
    try:
        case_declare_conflict(case=case, officer=user)
    except CaseActionRefused as exc:
        messages.error(request, exc.message)
        return _back(case, "team")
    messages.success(request, _("Your conflict of interest is recorded. You no longer have access to this case."))
    return redirect("console:case_list")


# --- Notes and links (issue 11.6) ---------------------------------------------------------------------------
@case_readers_only
@require_POST
def case_note_view(request: HttpRequest, number: str) -> HttpResponse:
    """Add an internal note (sealed; never shown to the reporter)."""
    case, refusal = _held(request, number)
    if refusal is not None:
        return refusal
    form = NoteForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "notes")

    def add() -> str:
        notes.case_add_note(case=case, keyring=vault.officer_keyring(request), body=form.cleaned_data["body"])
        return _("The note has been added.")

    return _act(request, case, add, anchor="notes")


@case_readers_only
@require_POST
def case_link_view(request: HttpRequest, number: str) -> HttpResponse:
    """Link the case to a related one (both ways)."""
    case, refusal = _held(request, number)
    if refusal is not None:
        return refusal
    form = LinkForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "links")
    other = Case.objects.filter(number=form.cleaned_data["other"]).first()
    # A case the officer may not see answers as one that does not exist: a typed number must not tell an officer
    # that a case kept from them exists (outside probe, stop 29).
    if other is None or not notes.may_see(console_user(request), other):
        messages.error(request, _("There is no case with this number."))
        return _back(case, "links")

    def link() -> str:
        notes.case_link(case=case, other=other, reason=form.cleaned_data["reason"], linked_by=console_user(request))
        return _("The case is now linked to %(number)s.") % {"number": other.number}

    return _act(request, case, link, anchor="links")


@case_readers_only
@require_POST
def case_unlink_view(request: HttpRequest, number: str, link_id: int) -> HttpResponse:
    """Remove a link between two cases."""
    case, refusal = _held(request, number)
    if refusal is not None:
        return refusal
    link = get_object_or_404(CaseLink, pk=link_id)
    if not ConfirmForm(request.POST).is_valid():
        messages.error(request, _("Tick the box to confirm."))
        return _back(case, "links")

    def unlink() -> str:
        notes.case_unlink(case=case, link=link, unlinked_by=console_user(request))
        return _("The link has been removed.")

    return _act(request, case, unlink, anchor="links")


# --- Identity disclosure (issue 11.7) -----------------------------------------------------------------------
@case_readers_only
@step_up_required
@require_POST
def disclosure_request_view(request: HttpRequest, number: str) -> HttpResponse:
    """An officer who holds the case asks for the reporter's identity, with a reason."""
    case, refusal = _held(request, number)
    if refusal is not None:
        return refusal
    form = DisclosureRequestForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "disclosure")

    def ask() -> str:
        reason = form.cleaned_data["reason"]
        disclosure.disclosure_request(case=case, keyring=vault.officer_keyring(request), reason=reason)
        return _("Your request has been sent. A supervisor other than you decides on it.")

    return _act(request, case, ask, anchor="disclosure")


def _disclosure(number: str, disclosure_id: uuid.UUID) -> IdentityDisclosure:
    return get_object_or_404(IdentityDisclosure.objects.select_related("case"), pk=disclosure_id, case__number=number)


@supervisors_only
@step_up_required(max_age=0, second_factor_only=True)
@require_POST
def disclosure_decide_view(request: HttpRequest, number: str, disclosure_id: uuid.UUID) -> HttpResponse:
    """A supervisor other than the requester approves or refuses, re-entering a second factor."""
    request_row = _disclosure(number, disclosure_id)
    case = request_row.case
    form = DisclosureDecisionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(case, "disclosure")
    approve = form.cleaned_data["decision"] == "approve"

    def decide() -> str:
        keyring = vault.officer_keyring(request)
        decided = disclosure.disclosure_decide(disclosure=request_row, keyring=keyring, approve=approve)
        if decided.status == IdentityDisclosure.Status.RELEASED:
            return _("Approved. The identity is now open to the requesting officer.")
        if decided.status == IdentityDisclosure.Status.APPROVED:
            return _("Approved. A holder of the escrow key must now release the identity.")
        return _("The request has been refused.")

    return _act(request, case, decide, anchor="disclosure")


@case_readers_only
@step_up_required
@require_POST
def disclosure_release_view(request: HttpRequest, number: str, disclosure_id: uuid.UUID) -> HttpResponse:
    """An escrow holder releases an approved request: the identity key is sealed to the requester alone."""
    request_row = _disclosure(number, disclosure_id)
    case = request_row.case
    user = console_user(request)
    if not vault.is_escrow_holder(user):
        return refused(
            request, _("Only a holder of the escrow key can release an identity."), reason=denials.NOT_ESCROW_HOLDER
        )
    if not ConfirmForm(request.POST).is_valid():
        messages.error(request, _("Tick the box to confirm."))
        return _back(case, "disclosure")

    def release() -> str:
        escrow = vault.escrow_keyring(request)
        disclosure.disclosure_release(disclosure=request_row, escrow=escrow, released_by=user)
        return _("The identity is now open to the requesting officer.")

    return _act(request, case, release, anchor="disclosure")


@case_readers_only
@step_up_required(methods=("GET",))
@require_GET
def identity_view(request: HttpRequest, number: str) -> HttpResponse:
    """The reporter's identity, for the officer it was disclosed to (each opening is audited)."""
    case, refusal = _held(request, number)
    if refusal is not None:
        return refusal
    try:
        fields = selectors.open_disclosed_identity(keyring=vault.officer_keyring(request), case=case)
    except VaultLocked:
        return vault_locked(request)
    except AccessDenied:
        return refused(request, _("The reporter's identity has not been disclosed to you."), reason=denials.PERMISSION)
    except CorruptCiphertext as exc:
        return corrupt_case(request, exc)
    return render(request, "casework/identity.html", {"case": case, "fields": fields})


@case_readers_only
@require_GET
def disclosure_list(request: HttpRequest) -> HttpResponse:
    """Open disclosure requests: to decide (supervisors), to release (escrow holders), and one's own."""
    rows = selectors.pending_disclosures(console_user(request))
    return render(request, "casework/disclosure_list.html", {"rows": rows})


# --- Hand-over when staff leave (issue 11.5) ----------------------------------------------------------------
@supervisors_only
@step_up_required
@require_http_methods(["GET", "POST"])
def hand_over_view(request: HttpRequest) -> HttpResponse:
    """Hand every case of a departing colleague over to a successor, from one page."""
    user = console_user(request)
    departing_qs, successor_qs = selectors.hand_over_candidates(), selectors.successors()
    chosen = None
    if request.method == "GET" and request.GET.get("departing", "").isdigit():
        chosen = departing_qs.filter(pk=int(request.GET["departing"])).first()
    form = HandOverForm(
        request.POST if request.method == "POST" else None,
        initial={"departing": chosen},
        departing=departing_qs,
        successors=successor_qs,
    )
    outcome = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                outcome = hand_over_cases(
                    departing=form.cleaned_data["departing"],
                    successor=form.cleaned_data["successor"],
                    handed_over_by=user,
                    keyring=vault.officer_keyring(request),
                    revoke_other_access=form.cleaned_data["revoke_other_access"],
                )
            except VaultLocked:
                return vault_locked(request)
            except CaseActionRefused as exc:
                form.add_error(None, exc.message)
                status = 400
            chosen = form.cleaned_data["departing"]
        else:
            status = 400
    context = {
        "form": form,
        "chosen": chosen,
        "cases": selectors.team_cases(chosen) if chosen is not None else None,
        "outcome": outcome,
    }
    return render(request, "casework/hand_over.html", context, status=status)
