"""Reads for console views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.case_selectors import home_cases
from casework.models import StaffUser
from casework.roles import Role


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


def home_context(user: StaffUser) -> dict[str, Any]:
    """Return what the console home page shows for the user's role."""
    role = Role(user.role)
    return {"role": role, "role_label": role.label, **home_cases(user)}
