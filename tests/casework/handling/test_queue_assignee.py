"""Issue 11.1: the queue's "assigned to" filter follows the lead officer and the team as assignment changes them;
a supervisor picks anyone or "unassigned", an officer only themselves; "my work" starts from one's assignments."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from casework.cases.assignment import case_declare_conflict
from casework.cases.queue import QueueFilters, queue_cases
from casework.models import Case
from tests.casework.handling.conftest import Staff, case_url, file_report, logged_in
from vault.models import CaseKey

pytestmark = pytest.mark.django_db
ROW = re.compile(r'<tr class="case-row[^"]*">\s*<td[^>]*><a href="/(?:en/)?console/cases/([A-Z]+-\d{4}-\d{6})/">')
COUNT = re.compile(r'id="queue-count">([^<]*)<')
ASSIGNEE_SELECT = re.compile(r'<select name="assignee"[^>]*>(.*?)</select>', re.S)


def listed(client: object, query: str, *, status: int = 200) -> set[str]:
    response = client.get(f"/console/cases/{query}")  # type: ignore[attr-defined]
    assert response.status_code == status, response.content[:2000]
    return set(ROW.findall(response.content.decode()))


@pytest.fixture
def three_cases(staff: Staff) -> tuple[Case, Case, Case]:
    """led: the officer leads; shared: the other officer leads, the officer is on the team; fresh: nobody."""
    led, shared, fresh = (file_report().case for _ in range(3))
    supervisor = logged_in(staff.supervisor)
    for case, officer, role in (
        (led, staff.officer, "lead"),
        (shared, staff.other_officer, "lead"),
        (shared, staff.officer, "member"),
    ):
        response = supervisor.post(case_url(case, "assign/"), {"assign-officer": officer.pk, "assign-role": role})
        assert response.status_code == 302, response.content[:2000]
    return led, shared, fresh


def test_a_supervisor_lists_anyone_s_assignments_and_the_unassigned(
    staff: Staff, three_cases: tuple[Case, Case, Case]
) -> None:
    led, shared, fresh = three_cases
    supervisor = logged_in(staff.supervisor, offset_steps=1)  # a second login: the next TOTP code
    assert listed(supervisor, f"?assignee={staff.officer.pk}") == {led.number, shared.number}
    assert listed(supervisor, f"?assignee={staff.other_officer.pk}") == {shared.number}
    assert listed(supervisor, f"?assignee={staff.deputy.pk}") == set()
    assert listed(supervisor, "?assignee=none") == {fresh.number}
    # Combined with the other filters, through the same form.
    assert listed(supervisor, f"?assignee={staff.officer.pk}&state=open&sort=due") == {led.number, shared.number}
    # The filter follows the team: the officer declares a conflict of interest in the shared case and leaves it.
    case_declare_conflict(case=shared, officer=staff.officer)
    assert listed(supervisor, f"?assignee={staff.officer.pk}") == {led.number}
    # The supervisor's choices: anyone, nobody yet, and every officer and supervisor.
    html = supervisor.get("/console/cases/").content.decode()
    options = ASSIGNEE_SELECT.search(html).group(1)  # type: ignore[union-attr]
    for value in ("", "none", staff.officer.pk, staff.other_officer.pk, staff.deputy.pk):
        assert f'<option value="{value}"' in options, value


def test_an_officer_may_narrow_to_themselves_only(staff: Staff, three_cases: tuple[Case, Case, Case]) -> None:
    _led, shared, _fresh = three_cases
    other = logged_in(staff.other_officer)
    assert listed(other, "") == {shared.number}  # what they hold
    assert listed(other, f"?assignee={staff.other_officer.pk}") == {shared.number}
    # Someone else's assignments, or the unassigned cases: named as not valid (400), left out, nothing else shown.
    translation.activate("en")
    for query in (f"?assignee={staff.officer.pk}", "?assignee=none"):
        response = other.get(f"/en/console/cases/{query}")
        html = response.content.decode()
        assert response.status_code == 400 and 'role="alert"' in html, query
        assert "Select a valid choice" in html
        assert set(ROW.findall(html)) == {shared.number}
    translation.deactivate()
    options = ASSIGNEE_SELECT.search(other.get("/console/cases/").content.decode()).group(1)  # type: ignore[union-attr]
    assert re.findall(r'<option value="([^"]*)"', options) == ["", str(staff.other_officer.pk)]
    # The selector refuses the same to anyone who calls it directly.
    assert list(queue_cases(staff.other_officer, QueueFilters(assignee=staff.officer))) == []
    assert list(queue_cases(staff.other_officer, QueueFilters(unassigned=True))) == []
    assert {c.number for c in queue_cases(staff.other_officer, QueueFilters(assignee=staff.other_officer))} == {
        shared.number
    }


def test_my_work_defaults_to_the_open_cases_assigned_to_one(staff: Staff, three_cases: tuple[Case, Case, Case]) -> None:
    led, shared, _fresh = three_cases
    # The supervisor holds every new report, yet is assigned none of them: their "my work" is empty.
    assert listed(logged_in(staff.supervisor, offset_steps=1), "?view=my-work") == set()
    officer = logged_in(staff.officer)
    assert listed(officer, "?view=my-work") == {led.number, shared.number}
    # The deadline order: soonest first.
    Case.objects.filter(pk=led.pk).update(due_on=shared.due_on.replace(year=shared.due_on.year + 1))  # type: ignore[union-attr]
    html = officer.get("/console/cases/?view=my-work").content.decode()
    assert ROW.findall(html) == [shared.number, led.number]
    # A closed case leaves the default view.
    Case.objects.filter(pk=led.pk).update(public_status="closed", due_on=None)
    assert listed(officer, "?view=my-work") == {shared.number}


def test_my_work_lists_and_counts_only_the_team_cases_one_holds(
    staff: Staff, three_cases: tuple[Case, Case, Case]
) -> None:
    led, shared, _fresh = three_cases
    # A team row without the key to its case (the services take both away together; the list does not rely
    # on it): an officer's own assignments are the team cases they hold, asked as one subquery.
    CaseKey.objects.filter(report_id=shared.id, officer_id=staff.officer.pk, scope=CaseKey.Scope.DATA).delete()
    officer = logged_in(staff.officer)
    for query in ("?view=my-work", f"?assignee={staff.officer.pk}&state=open&sort=due"):
        html = officer.get(f"/console/cases/{query}").content.decode()
        assert set(ROW.findall(html)) == {led.number} and COUNT.findall(html) == ["1 kasus"], query
    assert {c.number for c in queue_cases(staff.officer, QueueFilters(assignee=staff.officer))} == {led.number}
    # A supervisor sees the officer's team as it is; the pager counts it from the officer's team rows, each
    # checked against the other filters (never by reading the case table until enough cases match).
    supervisor = logged_in(staff.supervisor, offset_steps=1)
    with CaptureQueriesContext(connection) as context:
        html = supervisor.get(f"/console/cases/?assignee={staff.officer.pk}&state=open&sort=due").content.decode()
    assert set(ROW.findall(html)) == {led.number, shared.number} and COUNT.findall(html) == ["2 kasus"]
    counts = [q["sql"] for q in context.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert len(counts) == 1 and 'FROM "casework_case_team" WHERE' in counts[0], counts
    Case.objects.filter(pk=led.pk).update(public_status="closed")
    html = supervisor.get(f"/console/cases/?assignee={staff.officer.pk}&state=open").content.decode()
    assert set(ROW.findall(html)) == {shared.number} and COUNT.findall(html) == ["1 kasus"]
