"""Staff pages of the console: everyone's own security (password, backup codes), and the administrators'
management of accounts (list, create, reset password or authenticator, deactivate).

Administrators never see report content; a password reset gives the person a new, empty vault key.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casework.staff import selectors, services, step_up, two_factor
from casework.staff.auth_views import NEW_BACKUP_CODES
from casework.staff.forms import ConfirmForm, PasswordResetForm, StaffCreateForm
from casework.staff.models import StaffUser
from casework.staff.roles import MANAGE_STAFF
from casework.staff.step_up import step_up_required
from vault.exceptions import VaultError

# Administrators only (403 for anyone else).
admins_only = permission_required(MANAGE_STAFF, raise_exception=True)


@require_http_methods(["GET", "POST"])
def step_up_confirm(request: HttpRequest) -> HttpResponse:
    """The step-up page on its own: confirm with a code or the password, then go back to ``next``."""
    next_path = request.POST.get("next") or request.GET.get("next")
    hidden = [("next", step_up.safe_return_path(request, next_path))]
    if request.method == "POST":
        secret = request.POST.get(step_up.SECRET_FIELD, "")
        result = services.staff_step_up(request=request, user=request.user, secret=secret)  # type: ignore[arg-type]
        if result is services.StepUpResult.LOGGED_OUT:
            messages.error(request, result.message)
            return redirect("auth:login")
        if result is services.StepUpResult.CONFIRMED:
            return redirect(step_up.safe_return_path(request, next_path))
        return step_up.challenge(request, action=request.path, hidden=hidden, error=result.message, status=400)
    return step_up.challenge(request, action=request.path, hidden=hidden)


@step_up_required
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


@step_up_required(methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password (the old one is required); the vault key is re-wrapped under the new one."""
    form = PasswordChangeForm(request.user, request.POST or None)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_change_own_password(
                user=form.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except VaultError as exc:
            form.add_error(None, exc.message)
        else:
            update_session_auth_hash(request, form.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("console:home")
    return render(request, "casework/password_change.html", {"form": form})


@admins_only
def staff_list(request: HttpRequest) -> HttpResponse:
    """The staff accounts and whether each has an authenticator."""
    return render(request, "casework/staff_list.html", {"staff": selectors.staff_overview()})


@admins_only
@step_up_required
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    """Create an account; the person enrols an authenticator at first login."""
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = services.staff_create(
            username=data["username"],
            role=data["role"],
            password=data["password1"],
            with_totp=False,
            full_name=data["full_name"],
            email=data["email"],
            created_by=request.user,  # type: ignore[arg-type]
        )
        messages.success(
            request,
            _(
                "Account %(username)s created. Give the person the password; "
                "they set up an authenticator at first login."
            )
            % {"username": created.user.username},
        )
        return redirect("console:staff_detail", pk=created.user.pk)
    return render(request, "casework/staff_create.html", {"form": form})


@admins_only
@step_up_required
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One account, with the administrator's actions on it (each a separate form)."""
    person = get_object_or_404(StaffUser, pk=pk)
    admin: StaffUser = request.user  # type: ignore[assignment]
    action = request.POST.get("action") if request.method == "POST" else None
    password_form = PasswordResetForm(request.POST if action == "reset_password" else None, user=person)
    second_factor_form = ConfirmForm(request.POST if action == "reset_second_factor" else None, prefix="factor")
    if action == "reset_password" and password_form.is_valid():
        new_password = password_form.cleaned_data["password1"]
        services.staff_reset_password(user=person, new_password=new_password, reset_by=admin)
        messages.success(
            request, _("Password reset. The person can read no case until the escrow holder re-grants it.")
        )
        return redirect("console:staff_detail", pk=pk)
    if action == "reset_second_factor" and second_factor_form.is_valid():
        services.staff_reset_second_factor(user=person, reset_by=admin)
        messages.success(request, _("Authenticator removed. The person sets up a new one at their next login."))
        return redirect("console:staff_detail", pk=pk)
    if action in ("deactivate", "reactivate"):
        try:
            services.staff_set_active(user=person, active=action == "reactivate", changed_by=admin)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Account updated."))
        return redirect("console:staff_detail", pk=pk)
    context = {
        "person": person,
        "row": selectors.staff_row(person),
        "password_form": password_form,
        "second_factor_form": second_factor_form,
    }
    status = 400 if action in ("reset_password", "reset_second_factor") else 200
    return render(request, "casework/staff_detail.html", context, status=status)
