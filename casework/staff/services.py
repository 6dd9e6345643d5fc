"""Use cases of staff accounts: create, reset, (de)activate, change role or password, log in and out.

Keyword-only arguments, one transaction each, the audit event in the same transaction as the change.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import login, logout
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import Action
from audit.services import record as audit_record
from casework.staff import denials, step_up, two_factor
from casework.staff.models import StaffUser
from casework.staff.roles import Role, assign_role
from vault import services as vault
from vault.permissions import may_hold_case_keys, may_hold_escrow_key


@dataclass(frozen=True)
class NewStaff:
    """A created staff account and, when requested, its confirmed TOTP device."""

    user: StaffUser
    device: TOTPDevice | None


def staff_create(
    *,
    username: str,
    role: Role | str,
    password: str,
    with_totp: bool = True,
    full_name: str = "",
    email: str = "",
    created_by: StaffUser | None = None,
) -> NewStaff:
    """Create a staff account with a validated password.

    With ``with_totp`` the account gets a confirmed TOTP device whose URI the caller hands to the person;
    without it, the person enrols an authenticator at first login. Officers and supervisors get their vault
    key pair (wrapped under this password); the first supervisor also becomes the escrow key holder.
    ``created_by`` is the administrator who did it (the audit actor; ``system`` for ``manage.py add_staff``).
    Raises ``django.core.exceptions.ValidationError`` for a weak password or an unknown role.

    The password hash and the key's wrapping are Argon2id runs, made outside the write transactions (on SQLite
    the one write lock would stop every reporter's submission meanwhile). The wrapping binds the new account's
    id, so the account is written first and the key pair in a second transaction; an account whose key pair
    was never written (the process died between the two) gets one at its first login
    (``vault.console.unlock_console``), as accounts made before the vault did.
    """
    role = Role(role)
    actor: StaffUser | str = created_by or "system"
    first, _sep, last = full_name.partition(" ")
    user = StaffUser(username=username, role=role, first_name=first, last_name=last, email=email)
    validate_password(password, user)
    user.full_clean(exclude=["password"])
    user.set_password(password)
    with transaction.atomic():
        user.save()
        assign_role(user, role)
        audit_record(
            action=Action.STAFF_CREATED,
            actor=actor,
            details={"staff_id": user.pk, "username": user.username, "role": role.value, "with_totp": with_totp},
        )
        device = two_factor.create_confirmed_totp(user) if with_totp else None
    if may_hold_case_keys(user):
        prepared = vault.prepare_new_key(user=user, new_password=password)
        with transaction.atomic():
            vault.enrol_officer(user=user, password=password, actor=actor, prepared=prepared)
            if may_hold_escrow_key(user) and not vault.escrow_exists():
                # The first supervisor (the head of the inspectorate) holds the escrow key; see escrow_init.
                vault.escrow_create(holder=user, actor=actor)
    return NewStaff(user=user, device=device)


def staff_reset_password(*, user: StaffUser, new_password: str, reset_by: StaffUser) -> None:
    """Set a new password chosen by an administrator (the person forgot theirs).

    The old password wrapped the person's vault key, so a reset gives them a new, empty key pair: they read
    no case again until the escrow holder re-grants it. Their open sessions end (Django checks the password
    hash on every request). Raises ``ValidationError`` for a weak password.
    """
    validate_password(new_password, user)
    # The password hash and the new wrapped key cost Argon2id runs: made before the write transaction, which
    # on SQLite would otherwise hold the one write lock (and with it every reporter's submission) meanwhile.
    password_hash = make_password(new_password)
    prepared = vault.prepare_new_key(user=user, new_password=new_password)
    with transaction.atomic():
        user.password = password_hash
        user.save(update_fields=["password"])
        audit_record(
            action=Action.STAFF_PASSWORD_RESET,
            actor=reset_by,
            details={"staff_id": user.pk, "username": user.username},
        )
        if may_hold_case_keys(user):
            vault.reset_officer_key(user=user, new_password=new_password, actor=reset_by, prepared=prepared)


@transaction.atomic
def staff_reset_second_factor(*, user: StaffUser, reset_by: StaffUser) -> None:
    """Remove the person's authenticator and backup codes; they enrol a new one at their next login.

    Their password is still needed, so the administrator alone cannot log in as them.
    """
    two_factor.remove_devices(user)
    audit_record(
        action=Action.STAFF_SECOND_FACTOR_RESET,
        actor=reset_by,
        details={"staff_id": user.pk, "username": user.username},
    )


@transaction.atomic
def staff_set_active(*, user: StaffUser, active: bool, changed_by: StaffUser) -> None:
    """Deactivate (or reactivate) an account. A deactivated account cannot log in; its grants remain."""
    if user.pk == changed_by.pk and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    if user.is_active == active:
        return
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        action=Action.STAFF_REACTIVATED if active else Action.STAFF_DEACTIVATED,
        actor=changed_by,
        details={"staff_id": user.pk, "username": user.username},
    )


@transaction.atomic
def staff_set_role(*, user: StaffUser, role: Role | str, changed_by: StaffUser | None = None) -> None:
    """Change a staff member's role; their role group (and so their permissions) follows.

    Keys are not touched: someone who may no longer hold case keys cannot use theirs (the vault checks the
    permission), and someone who now may gets a key pair at their next login.
    """
    role = Role(role)
    previous = user.role
    if previous == role:
        return
    assign_role(user, role)
    user.save(update_fields=["role"])
    audit_record(
        action=Action.STAFF_ROLE_CHANGED,
        actor=changed_by or "system",
        details={"staff_id": user.pk, "username": user.username, "role": role.value, "previous_role": previous},
    )


def staff_change_own_password(*, user: StaffUser, old_password: str, new_password: str) -> None:
    """Set the person's new password and re-wrap their vault key under it (same key pair, grants unchanged).

    The caller has checked ``old_password`` and the validators (Django's ``PasswordChangeForm``). Raises the
    vault's ``WrongPassword`` (nothing changed) when the old password does not unwrap the vault key.
    """
    # Unwrapping, re-wrapping and hashing are Argon2id runs: all before the write transaction (see above).
    prepared = vault.prepare_rewrap(user=user, old_password=old_password, new_password=new_password)
    password_hash = make_password(new_password)
    with transaction.atomic():
        vault.rewrap_officer_key(user=user, old_password=old_password, new_password=new_password, prepared=prepared)
        user.password = password_hash
        user.save(update_fields=["password"])
        audit_record(action=Action.PASSWORD_CHANGED, actor=user)


@transaction.atomic
def staff_login(*, request: HttpRequest, user: StaffUser, device: TOTPDevice | StaticDevice) -> None:
    """Log ``user`` in after both factors: Django's session login, the verified device, the audit event."""
    factor = "backup_code" if isinstance(device, StaticDevice) else "totp"
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    step_up.mark_fresh(request)
    audit_record(action=Action.LOGIN_SUCCEEDED, actor=user, details={"second_factor": factor})


@transaction.atomic
def staff_login_failed(*, user: StaffUser | None, step: str, locked: bool) -> None:
    """Audit a failed login step; an unknown username is never stored (it may be a mistyped password)."""
    audit_record(action=Action.LOGIN_FAILED, actor=user or "system", details={"step": step, "locked": locked})


def staff_logout(*, request: HttpRequest) -> None:
    """End the console session: audit the logout, destroy the unlocked vault key, flush the session."""
    user: Any = request.user
    try:
        if user.is_authenticated:
            with transaction.atomic():
                audit_record(action=Action.LOGOUT, actor=user)
    finally:
        # The session ends even when its end cannot be audited (an altered audit log refuses every write): a
        # session left open on a shared computer is worse than a logout missing from the log.
        vault.lock_console(request)
        logout(request)


def staff_session_rejected(*, request: HttpRequest, route: str, case_ref: str = "") -> None:
    """End a console session used without the console cookie it was bound to (issue 9.10); audit the refusal.

    Someone holding only a copy of the session cookie is logged out with it; the person it belonged to logs
    in again. The refusal is recorded like every console denial (coalesced).
    """
    user: Any = request.user
    if isinstance(user, StaffUser):
        denials.record_console_denial(
            user=user,
            route=route,
            reason=denials.CONSOLE_COOKIE_MISSING,
            method=request.method or "",
            case_ref=case_ref,
        )
    vault.lock_console(request)
    logout(request)


class StepUpResult(enum.Enum):
    """The outcome of a step-up answer."""

    CONFIRMED = "confirmed"
    WRONG = "wrong"
    THROTTLED = "throttled"
    LOGGED_OUT = "logged_out"

    @property
    def message(self) -> str:
        """A sentence for the person (empty when confirmed)."""
        if self is StepUpResult.THROTTLED:
            return _("Too many wrong codes. Wait a few seconds, then enter a new code.")
        if self is StepUpResult.WRONG:
            return _(
                "That was not right. Enter a current code from your authenticator, a backup code or your password."
            )
        if self is StepUpResult.LOGGED_OUT:
            return _("Too many wrong answers. You have been logged out.")
        return ""


def _looks_like_code(secret: str) -> bool:
    """A TOTP code (digits) or a backup code (letters and digits, at most 16): worth trying as a code."""
    return secret.isalnum() and secret.isascii() and len(secret) <= 16


def staff_step_up(
    *, request: HttpRequest, user: StaffUser, secret: str, second_factor_only: bool = False
) -> StepUpResult:
    """Check ``secret`` (a TOTP or backup code, or unless ``second_factor_only`` the password) for a sensitive action.

    Right: the session counts as freshly confirmed, ``auth.step_up_succeeded`` is recorded. Wrong:
    ``auth.step_up_failed`` is recorded; the fifth wrong answer in a session ends it (``auth.logout``).
    """
    secret = secret.strip() if len(secret) <= 1024 else ""
    factor = ""
    throttled = False
    if secret and not second_factor_only and not (secret.isdigit() and len(secret) <= 8):
        if user.check_password(secret):
            factor = "password"
    if not factor and _looks_like_code(secret):
        result = two_factor.verify_code(user, secret)
        throttled = bool(result.throttled_seconds)
        if result.device is not None:
            factor = "backup_code" if isinstance(result.device, StaticDevice) else "totp"
    if factor:
        step_up.mark_fresh(request)
        with transaction.atomic():
            audit_record(action=Action.STEP_UP_SUCCEEDED, actor=user, details={"factor": factor})
        return StepUpResult.CONFIRMED
    failures = int(request.session.get(step_up.FAILURES, 0)) + 1
    request.session[step_up.FAILURES] = failures
    with transaction.atomic():
        audit_record(action=Action.STEP_UP_FAILED, actor=user, details={"failures": failures})
    if failures >= step_up.MAX_FAILURES:
        staff_logout(request=request)
        return StepUpResult.LOGGED_OUT
    return StepUpResult.THROTTLED if throttled else StepUpResult.WRONG
