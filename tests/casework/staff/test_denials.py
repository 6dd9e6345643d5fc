"""Issue 9.12: every denied console request is audited, so an insider's snooping shows up; a flood is coalesced
(the 1st, 2nd, 4th, 8th ... refusal of a window writes an event) so it cannot flood the log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from audit.actions import Action
from audit.models import AuditEvent
from casework.models import ConsoleDenialWindow
from casework.staff.roles import Role
from tests.casework.cases.test_case_console import submit
from tests.intake.conftest import IntakeStaff, create_intake_staff
from tests.support.staff import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_staff: Any) -> IntakeStaff:
    return create_intake_staff(make_staff)


def denied() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.CONSOLE_ACCESS_DENIED.value).order_by("seq"))


def test_four_denied_requests_write_four_events(staff: IntakeStaff) -> None:
    """The issue's reproduction: 4 denied requests wrote 0 events."""
    case = submit(files=False, exclude_recipients=[str(staff.other_officer.pk)]).case
    client = Client()
    login(client, staff.other_officer)
    assert client.get("/console/staff/").status_code == 403  # a role refusal
    assert client.get("/console/audit/").status_code == 403
    assert client.get(f"/console/cases/{case.number}/").status_code == 403  # a case not held
    assert client.post(f"/console/cases/{case.number}/revoke/", {"officer": staff.officer.pk}).status_code == 403
    events = denied()
    assert [(e.details_dict["route"], e.details_dict["reason"]) for e in events] == [
        ("console:staff_list", "permission"),
        ("console:audit:events", "permission"),
        ("console:case_detail", "case_not_held"),
        ("console:case_revoke", "permission"),
    ]
    assert all(e.actor_username == staff.other_officer.username for e in events)
    assert [e.case_ref for e in events] == ["", "", case.number, case.number]
    assert all(e.details_dict["count_in_window"] == 1 for e in events)


def test_a_flood_is_coalesced(make_staff: Any) -> None:
    officer = make_staff(Role.OFFICER)
    client = Client()
    login(client, officer)
    for _ in range(100):
        assert client.get("/console/staff/").status_code == 403
    counts = [e.details_dict["count_in_window"] for e in denied()]
    assert counts == [1, 2, 4, 8, 16, 32, 64]
    # The next window starts counting again.
    ConsoleDenialWindow.objects.update(window_start=ConsoleDenialWindow.objects.get().window_start - timedelta(hours=1))
    client.get("/console/staff/")
    assert denied()[-1].details_dict["count_in_window"] == 1


def test_garbage_in_the_url_never_reaches_the_log(make_staff: Any) -> None:
    auditor = make_staff(Role.AUDITOR)
    client = Client()
    login(client, auditor)
    assert client.get("/console/cases/<script>x/").status_code == 403
    event = denied()[-1]
    assert event.case_ref == "" and "script" not in event.details


def test_ended_windows_do_not_pile_up(make_staff: Any) -> None:
    officer = make_staff(Role.OFFICER)
    client = Client()
    login(client, officer)
    client.get("/console/staff/")
    ConsoleDenialWindow.objects.update(window_start=ConsoleDenialWindow.objects.get().window_start - timedelta(hours=1))
    client.get("/console/audit/")
    assert list(ConsoleDenialWindow.objects.values_list("route", flat=True)) == ["console:audit:events"]
