"""Use cases of the console that change data. Keyword-only arguments, one transaction each."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import Action
from audit.services import record as audit_record
from casework import two_factor
from casework.models import StaffUser
from casework.roles import Role, can_hold_case_keys
from vault import services as vault


@dataclass(frozen=True)
class NewStaff:
    """A created staff account and, when requested, its confirmed TOTP device."""

    user: StaffUser
    device: TOTPDevice | None


@transaction.atomic
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
    """
    role = Role(role)
    first, _sep, last = full_name.partition(" ")
    user = StaffUser(username=username, role=role, first_name=first, last_name=last, email=email)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        action=Action.STAFF_CREATED,
        actor=created_by or "system",
        details={"staff_id": user.pk, "username": user.username, "role": role.value, "with_totp": with_totp},
    )
    if can_hold_case_keys(user):
        vault.enrol_officer(user=user, password=password)
        if role == Role.SUPERVISOR and not vault.escrow_exists():
            # The first supervisor (the head of the inspectorate) holds the escrow key; see escrow_init.
            vault.escrow_create(holder=user)
    device = two_factor.create_confirmed_totp(user) if with_totp else None
    return NewStaff(user=user, device=device)
