"""Administrators manage staff accounts: list, create, reset password or authenticator, deactivate.

Administrators never see report content; a password reset gives the person a new, empty vault key.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casework import selectors, services
from casework.models import StaffUser
from casework.roles import Role, role_required
from casework.staff_forms import ConfirmForm, PasswordResetForm, StaffCreateForm


@role_required(Role.ADMIN)
def staff_list(request: HttpRequest) -> HttpResponse:
    """The staff accounts and whether each has an authenticator."""
    return render(request, "casework/staff_list.html", {"staff": selectors.staff_overview()})


@role_required(Role.ADMIN)
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


@role_required(Role.ADMIN)
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
