"""Who may hold keys, as Django permissions: the vault knows staff only through ``settings.AUTH_USER_MODEL``.

The vault never asks for a role. It asks ``user.has_perm(...)`` for the permissions defined on its own models
(``CaseKey`` and ``EscrowShare``); which staff hold them is decided outside the vault (casework gives each
role a group with its permissions).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser

# How the vault types a staff member: the project's user model (``AUTH_USER_MODEL``), an ``AbstractUser``.
Staff = AbstractUser

HOLD_CASE_KEYS = "vault.hold_case_keys"
HOLD_ESCROW_KEY = "vault.hold_escrow_key"


def may_hold_case_keys(user: Any) -> bool:
    """Return True when ``user`` is an active staff member who may be granted cases and read them."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_perm(HOLD_CASE_KEYS))


def may_hold_escrow_key(user: Any) -> bool:
    """Return True when ``user`` may be made the escrow key holder when the inspectorate has none yet."""
    return may_hold_case_keys(user) and bool(user.has_perm(HOLD_ESCROW_KEY))


def is_verified(user: Any) -> bool:
    """Return True when the user passed the password and a second factor in this request's session."""
    verified = getattr(user, "is_verified", None)
    return bool(getattr(user, "is_authenticated", False) and user.is_active and callable(verified) and verified())
