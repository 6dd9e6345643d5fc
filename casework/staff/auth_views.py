"""Console login in two steps (password, then TOTP or backup code), enrolment and logout.

Between the steps the session holds only the id of the user who passed the password check and when;
the user is logged in (``django.contrib.auth.login``) only after the second factor.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casework.staff import lockout, services, two_factor
from casework.staff.forms import CodeForm, PasswordLoginForm
from casework.staff.models import StaffUser
from vault import services as vault
from vault.exceptions import VaultError

PENDING_USER = "peluit_pending_user"
PENDING_SINCE = "peluit_pending_since"
PENDING_NEXT = "peluit_pending_next"
NEW_BACKUP_CODES = "peluit_new_backup_codes"
PENDING_MAX_AGE = 5 * 60  # seconds between the password step and the second factor


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _pending_user(request: HttpRequest) -> StaffUser | None:
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(PENDING_SINCE, 0)
    if user_id is None or time.time() - since > PENDING_MAX_AGE:
        return None
    return StaffUser.objects.filter(pk=user_id, is_active=True).first()


def _record_login_failure(request: HttpRequest, *, user: StaffUser | None, step: str) -> None:
    services.staff_login_failed(user=user, step=step, locked=bool(getattr(request, "axes_locked_out", False)))


def _finish_login(request: HttpRequest, user: StaffUser, device: Any) -> None:
    next_url = request.session.get(PENDING_NEXT)
    services.staff_login(request=request, user=user, device=device)
    for key in (PENDING_USER, PENDING_SINCE):
        request.session.pop(key, None)
    request.session[PENDING_NEXT] = next_url


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """Tell a locked-out user what happened and when to try again (called by django-axes)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("Too many failed attempts. Logging in to this account from here is locked for %(minutes)d minutes.") % {
        "minutes": minutes
    }
    return render(request, "casework/login.html", {"form": PasswordLoginForm(), "locked": message}, status=429)


def _ceiling_response(request: HttpRequest) -> HttpResponse:
    """The account had too many wrong passwords from many places: locked everywhere for the cool-off."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed attempts on this account from several places. It is locked for %(minutes)d minutes; "
        "an administrator can unlock it sooner."
    ) % {"minutes": minutes}
    return render(request, "casework/login.html", {"form": PasswordLoginForm(), "locked": message}, status=429)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step 1: check the password, then continue to the second factor or to enrolment."""
    if two_factor.is_verified_staff(request.user):
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = PasswordLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if lockout.username_ceiling_reached(form.cleaned_data["username"]):
            known = StaffUser.objects.filter(username=form.cleaned_data["username"]).first()
            services.staff_login_failed(user=known, step="password", locked=True)
            return _ceiling_response(request)
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if user is None:
            form.add_error(None, _("The username or password is wrong."))
            known = StaffUser.objects.filter(username=form.cleaned_data["username"]).first()
            _record_login_failure(request, user=known, step="password")
        else:
            request.session.cycle_key()
            request.session[PENDING_USER] = user.pk
            request.session[PENDING_SINCE] = time.time()
            request.session[PENDING_NEXT] = _safe_next(request, request.GET.get("next"))
            try:
                # The key is held in the split-key session but usable only after the second factor.
                vault.unlock_console(request, user=user, password=form.cleaned_data["password"])
            except VaultError as exc:
                messages.warning(request, exc.message)
            if two_factor.confirmed_totp(user) is None:
                return redirect("auth:enrol")
            return redirect("auth:verify")
    return render(request, "casework/login.html", {"form": form})


@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    """Step 2: a TOTP code (once only) or an unused backup code."""
    user = _pending_user(request)
    if user is None:
        messages.error(request, _("Your login has expired. Please enter your password again."))
        return redirect(settings.LOGIN_URL)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.verify_code(user, form.cleaned_data["code"])
        if result.device is not None:
            _finish_login(request, user, result.device)
            return HttpResponseRedirect(request.session.pop(PENDING_NEXT, None) or reverse("console:home"))
        _record_login_failure(request, user=user, step="second_factor")
        if result.throttled_seconds:
            form.add_error(
                "code",
                _("Too many wrong codes. Wait %(seconds)d seconds before trying again.")
                % {"seconds": result.throttled_seconds},
            )
        else:
            form.add_error("code", _("The code is wrong, expired or already used."))
    return render(request, "casework/verify.html", {"form": form})


@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    """First login: show a new authenticator secret (QR and text), confirm it with a code."""
    user = _pending_user(request)
    if user is None:
        messages.error(request, _("Your login has expired. Please enter your password again."))
        return redirect(settings.LOGIN_URL)
    if two_factor.confirmed_totp(user) is not None:
        return redirect("auth:verify")
    device = two_factor.pending_totp(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.confirm_enrolment(device, form.cleaned_data["code"]):
            codes = two_factor.issue_backup_codes(user)
            _finish_login(request, user, device)
            request.session[NEW_BACKUP_CODES] = codes
            return redirect("console:backup_codes")
        _record_login_failure(request, user=user, step="enrolment")
        form.add_error("code", _("The code does not match. Check the time on your phone and try again."))
    context = {
        "form": form,
        "qr_svg": two_factor.qr_svg(device),
        "secret": two_factor.totp_secret_base32(device),
        "otpauth_uri": two_factor.otpauth_uri(device),
    }
    return render(request, "casework/enrol.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """End the console session (and everything held in it)."""
    services.staff_logout(request=request)
    messages.success(request, _("You have been logged out."))
    return redirect(settings.LOGIN_URL)
