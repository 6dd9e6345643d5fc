"""Console pages. Every URL here sits behind ConsoleRequiresVerifiedStaffMiddleware (password + 2FA)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.actions import Action
from audit.services import record as audit_record
from casework import selectors, two_factor
from casework.auth_views import NEW_BACKUP_CODES
from vault import services as vault
from vault.exceptions import VaultError


def home(request: HttpRequest) -> HttpResponse:
    """The console home page; what it lists depends on the role."""
    context = selectors.home_context(request.user)  # type: ignore[arg-type]
    return render(request, "casework/home.html", context)


@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Show freshly issued backup codes once, or issue a new set (the old set stops working)."""
    user = request.user
    if request.method == "POST":
        request.session[NEW_BACKUP_CODES] = two_factor.issue_backup_codes(user)  # type: ignore[arg-type]
        messages.success(request, _("New backup codes issued. The old ones no longer work."))
        return redirect("console:backup_codes")
    codes = request.session.pop(NEW_BACKUP_CODES, None)
    remaining = two_factor.remaining_backup_codes(user)  # type: ignore[arg-type]
    return render(request, "casework/backup_codes.html", {"codes": codes, "remaining": remaining})


@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password (the old one is required)."""
    form = PasswordChangeForm(request.user, request.POST or None)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                # The vault key is re-wrapped under the new password in the same transaction.
                vault.rewrap_officer_key(
                    user=request.user,  # type: ignore[arg-type]
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password1"],
                )
                user = form.save()
                audit_record(action=Action.PASSWORD_CHANGED, actor=user)
        except VaultError as exc:
            form.add_error(None, exc.message)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect("console:home")
    return render(request, "casework/password_change.html", {"form": form})
