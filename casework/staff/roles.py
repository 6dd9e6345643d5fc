"""Staff roles and what each role may do, as Django permissions.

The role is the one thing an administrator chooses for a staff member. Each role is a Django ``Group`` of the
same name holding that role's permissions (migration 0006 creates them; ``assign_role`` keeps a member's
groups in step with their role). Every check asks ``user.has_perm(...)`` (or ``permission_required`` on a
view), so vault/ and audit/ define and check their own permissions without knowing casework's roles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models import READ_AUDIT_LOG
from vault.permissions import HOLD_CASE_KEYS, HOLD_ESCROW_KEY

if TYPE_CHECKING:
    from casework.staff.models import StaffUser


class Role(models.TextChoices):
    """What a staff member does in the inspectorate."""

    OFFICER = "officer", _("Case officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


# Casework's own permissions (defined on ``Case`` and ``StaffUser``).
SUPERVISE_CASES = "casework.supervise_cases"
MANAGE_STAFF = "casework.manage_staff"
# Defined on ``casework.CalendarOverride``: the calendar's overrides, deadline rules and lifecycles.
MANAGE_WORKFLOW = "casework.manage_workflow"

# What each role may do. Officers and supervisors hold case keys (and read the cases granted to them);
# supervisors also see every case, take access away, read the audit log and become the escrow holder when
# there is none; auditors read the audit log; administrators manage staff and never read reports.
# Migration 0006 holds a frozen copy of this table for the databases it upgrades; later changes come with
# a migration of their own (0008 gives administrators MANAGE_WORKFLOW).
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.OFFICER: (HOLD_CASE_KEYS,),
    Role.SUPERVISOR: (HOLD_CASE_KEYS, HOLD_ESCROW_KEY, SUPERVISE_CASES, READ_AUDIT_LOG),
    Role.AUDITOR: (READ_AUDIT_LOG,),
    Role.ADMIN: (MANAGE_STAFF, MANAGE_WORKFLOW),
}

# The attributes where Django's ModelBackend caches a user's permissions.
_PERMISSION_CACHES = ("_perm_cache", "_user_perm_cache", "_group_perm_cache")


def _permissions(names: tuple[str, ...]) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".", 1)
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def role_group(role: Role | str) -> Group:
    """Return the group of ``role`` with exactly the role's permissions, creating it when missing."""
    role = Role(role)
    group, _created = Group.objects.get_or_create(name=role.value)
    group.permissions.set(_permissions(ROLE_PERMISSIONS[role]))
    return group


def assign_role(user: StaffUser, role: Role | str) -> None:
    """Give the saved ``user`` the role: its group replaces any other role group (other groups stay).

    The caller saves ``user.role`` and holds the transaction; the permission caches on ``user`` are cleared
    so the next ``has_perm`` sees the new role.
    """
    role = Role(role)
    user.role = role
    others = Group.objects.filter(name__in=[r.value for r in Role if r != role])
    user.groups.remove(*others)
    user.groups.add(role_group(role))
    for cache in _PERMISSION_CACHES:
        if hasattr(user, cache):
            delattr(user, cache)
