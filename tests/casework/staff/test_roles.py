"""Roles are Django groups with permissions: staff services keep a member's group in step with their role, the
migration puts existing staff in their group, and vault/ and audit/ ask permissions, never roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.actions import Action
from audit.models import AuditEvent
from casework.models import StaffUser
from casework.staff import services
from casework.staff.roles import MANAGE_STAFF, MANAGE_WORKFLOW, ROLE_PERMISSIONS, SUPERVISE_CASES, Role, role_group
from casework.staff.selectors import case_key_holders
from vault.permissions import HOLD_CASE_KEYS, HOLD_ESCROW_KEY, may_hold_case_keys

READ_AUDIT_LOG = "audit.read_audit_log"
EVERY_PERMISSION = [HOLD_CASE_KEYS, HOLD_ESCROW_KEY, SUPERVISE_CASES, READ_AUDIT_LOG, MANAGE_STAFF, MANAGE_WORKFLOW]
EXPECTED = {
    Role.OFFICER: {HOLD_CASE_KEYS},
    Role.SUPERVISOR: {HOLD_CASE_KEYS, HOLD_ESCROW_KEY, SUPERVISE_CASES, READ_AUDIT_LOG},
    Role.AUDITOR: {READ_AUDIT_LOG},
    Role.ADMIN: {MANAGE_STAFF, MANAGE_WORKFLOW},
}


def granted(user: StaffUser) -> set[str]:
    return {name for name in EVERY_PERMISSION if user.has_perm(name)}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_each_role_group_holds_exactly_its_permissions(role: Role) -> None:
    group = role_group(role)
    names = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert names == set(ROLE_PERMISSIONS[role]) == EXPECTED[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_a_new_staff_member_is_in_their_role_group_and_has_its_permissions(role: Role, make_staff: Any) -> None:
    user = make_staff(role)
    assert list(user.groups.values_list("name", flat=True)) == [role.value]
    assert granted(StaffUser.objects.get(pk=user.pk)) == EXPECTED[role]


@pytest.mark.django_db
def test_changing_the_role_moves_the_group_keeps_other_groups_and_is_audited(make_staff: Any) -> None:
    admin = make_staff(Role.ADMIN)
    user = make_staff(Role.OFFICER)
    user.groups.add(Group.objects.create(name="ketua tim 2"))
    assert may_hold_case_keys(user)  # fills the permission cache of this very object

    services.staff_set_role(user=user, role=Role.AUDITOR, changed_by=admin)

    assert not may_hold_case_keys(user) and user.has_perm(READ_AUDIT_LOG)  # the cache was cleared
    fresh = StaffUser.objects.get(pk=user.pk)
    assert fresh.role == Role.AUDITOR
    assert set(fresh.groups.values_list("name", flat=True)) == {"auditor", "ketua tim 2"}
    event = AuditEvent.objects.get(action=Action.STAFF_ROLE_CHANGED)
    assert (event.actor_username, event.details_dict) == (
        admin.username,
        {"staff_id": user.pk, "username": user.username, "role": "auditor", "previous_role": "officer"},
    )


@pytest.mark.django_db
def test_inactive_staff_have_no_permission(make_staff: Any) -> None:
    user = make_staff(Role.SUPERVISOR)
    services.staff_set_active(user=user, active=False, changed_by=make_staff(Role.ADMIN))
    assert granted(StaffUser.objects.get(pk=user.pk)) == set()
    assert user.pk not in set(case_key_holders().values_list("pk", flat=True))


@pytest.mark.django_db
def test_case_key_holders_are_the_officers_and_supervisors(make_staff: Any) -> None:
    people = {role: make_staff(role) for role in Role}
    holders = set(case_key_holders().values_list("pk", flat=True))
    assert holders == {people[Role.OFFICER].pk, people[Role.SUPERVISOR].pk}


@pytest.mark.django_db(transaction=True)
def test_the_migration_puts_existing_staff_in_their_role_group() -> None:
    """Accounts made before the groups existed (role column only) get their group from migration 0006."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("casework", "0005_casework_permissions")])
        assert not Group.objects.filter(name__in=[role.value for role in Role]).exists()
        old = {role: StaffUser.objects.create(username=f"lama-{role.value}", role=role) for role in Role}
        assert all(not person.groups.exists() for person in old.values())

        executor = MigrationExecutor(connection)
        executor.migrate([("casework", "0006_role_groups")])
    finally:
        MigrationExecutor(connection).migrate(latest)

    for role, person in old.items():
        fresh = StaffUser.objects.get(pk=person.pk)
        assert list(fresh.groups.values_list("name", flat=True)) == [role.value]
        assert granted(fresh) == EXPECTED[role]
