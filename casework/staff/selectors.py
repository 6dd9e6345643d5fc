"""Reads of staff accounts: the administrators' list, and who may hold case keys."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.staff.models import StaffUser
from vault.permissions import HOLD_CASE_KEYS


@dataclass(frozen=True)
class StaffRow:
    """One staff account as the administrator sees it."""

    user: StaffUser
    has_authenticator: bool


def staff_overview() -> list[StaffRow]:
    """Return every staff account with its 2FA state, by username."""
    with_device = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    return [StaffRow(user=u, has_authenticator=u.pk in with_device) for u in StaffUser.objects.order_by("username")]


def staff_row(user: StaffUser) -> StaffRow:
    """Return one staff account with its 2FA state."""
    return StaffRow(user=user, has_authenticator=TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def staff_with_permission(permission: str) -> QuerySet[StaffUser]:
    """Return the active staff who have ``permission`` (through their role group), unordered."""
    return StaffUser.objects.with_perm(permission, backend="django.contrib.auth.backends.ModelBackend")


def case_key_holders() -> QuerySet[StaffUser]:
    """Return the active staff who may hold case keys (officers and supervisors), by name."""
    return staff_with_permission(HOLD_CASE_KEYS).order_by("first_name", "last_name", "username")
