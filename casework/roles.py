"""Staff roles and every role check in one place.

Views and services ask these functions; nothing else compares ``user.role`` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a staff member does in the inspectorate."""

    OFFICER = "officer", _("Case officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


# Roles whose members may hold case keys and read report content (when granted a case).
CASE_READERS = frozenset({Role.OFFICER, Role.SUPERVISOR})


def has_role(user: Any, *roles: Role) -> bool:
    """Return True when ``user`` is an active, authenticated staff member with one of ``roles``."""
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and getattr(user, "role", None) in roles
    )


def is_verified_staff(user: Any) -> bool:
    """Return True when the user passed both the password and a second factor in this session."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_verified())


def can_hold_case_keys(user: Any) -> bool:
    """Return True when the user's role may be granted cases (officers and supervisors)."""
    return has_role(user, *CASE_READERS)


def can_manage_staff(user: Any) -> bool:
    """Return True for administrators, who manage accounts but never see report content."""
    return has_role(user, Role.ADMIN)


def can_read_audit_log(user: Any) -> bool:
    """Return True for auditors and supervisors."""
    return has_role(user, Role.AUDITOR, Role.SUPERVISOR)


ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def role_required(*roles: Role) -> Callable[[ViewFunc], ViewFunc]:
    """Decorate a console view so only the given roles reach it (403 otherwise)."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
