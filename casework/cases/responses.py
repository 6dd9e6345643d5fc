"""Answers the console's case pages share: who is asking, a case not held, a locked vault, corrupt ciphertext.

Each refusal tells the console guard why (``casework.staff.denials``), which audits the 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from casework.cases import selectors
from casework.cases.forms import StaffChoiceForm
from casework.cases.models import Case
from casework.staff import denials
from casework.staff.models import StaffUser
from vault import services as vault
from vault.exceptions import CorruptCiphertext, VaultLocked


def console_user(request: HttpRequest) -> StaffUser:
    """Return the verified staff member of a console request."""
    user = request.user
    assert isinstance(user, StaffUser)  # the console middleware lets only verified staff through
    return user


def vault_locked(request: HttpRequest) -> HttpResponse:
    """The console key is not available (cookie or session half missing): ask to log in again."""
    denials.mark_denial(request, denials.VAULT_LOCKED)
    return render(request, "casework/case_locked.html", {"message": VaultLocked().message}, status=403)


def case_denied(request: HttpRequest, case: Case) -> HttpResponse:
    """The user does not hold this case: say so; the escrow holder may re-grant it from here."""
    user = console_user(request)
    denials.mark_denial(request, denials.CASE_NOT_HELD)
    context: dict[str, Any] = {"case": case}
    if vault.is_escrow_holder(user):
        context["regrant_form"] = StaffChoiceForm(queryset=selectors.grant_candidates(case))
    return render(request, "casework/case_denied.html", context, status=403)


def unknown_case_denied(request: HttpRequest, number: str) -> HttpResponse:
    """A case page of a number no case has, answered as ``case_denied`` answers a case not held (no re-grant).

    Case numbers no longer count (``casework/cases/numbers.py``), so "no such case" against "not yours" would
    tell an officer that a case kept from them exists, a report about them say (outside probe, stop 29).
    """
    denials.mark_denial(request, denials.CASE_NOT_HELD)
    return render(request, "casework/case_denied.html", {"case": {"number": number}}, status=403)


def corrupt_case(request: HttpRequest, exc: CorruptCiphertext) -> HttpResponse:
    """Something sealed in the case was changed: the vault's message, HTTP 422."""
    return render(request, "error.html", {"title": _("The case cannot be read"), "message": exc.message}, status=422)


def refused(request: HttpRequest, message: str, *, reason: str = denials.PERMISSION) -> HttpResponse:
    """A 403 page with ``message`` (audited by the console guard with ``reason``)."""
    denials.mark_denial(request, reason)
    return render(request, "error.html", {"title": _("Access denied"), "message": message}, status=403)
