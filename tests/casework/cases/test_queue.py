"""The case queue (issue 11 item 1): who sees what, every filter and order, paging, "my work", and a constant
number of queries however many cases there are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases.queue import Due, QueueFilters, Sort, State, queue_cases
from casework.models import Case, CaseKind, CaseStatus, Organisation, SavedQueueView
from casework.staff.roles import Role
from tests.intake.conftest import IntakeStaff, create_intake_staff
from tests.support.bulk_cases import create_cases
from tests.support.staff import login

pytestmark = pytest.mark.django_db
ROW = re.compile(r'<tr class="case-row[^"]*">\s*<td[^>]*><a href="/console/cases/([A-Z]+-\d{4}-\d{6})/">')


@pytest.fixture(autouse=True)
def _default_language_afterwards() -> Iterator[None]:
    yield
    translation.deactivate()


@pytest.fixture
def staff(make_staff: Any) -> IntakeStaff:
    return create_intake_staff(make_staff)


def logged_in(user: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def listed(client: Client, query: str = "") -> list[str]:
    response = client.get(f"/console/cases/{query}")
    assert response.status_code == 200, response.content[:3000]
    return ROW.findall(response.content.decode())


def numbers(cases: Any) -> list[str]:
    return [case.number for case in cases]


def test_officers_list_what_they_hold_and_supervisors_everything(staff: IntakeStaff, make_staff: Any) -> None:
    made = create_cases(6, holders=[staff.officer], held=2)
    held = set(numbers(Case.objects.filter(pk__in=made.held_ids)))
    assert set(listed(logged_in(staff.officer))) == held
    assert len(listed(logged_in(staff.supervisor))) == 6
    assert listed(logged_in(staff.other_officer)) == []
    for role in (Role.AUDITOR, Role.ADMIN):
        client = logged_in(make_staff(role, username=f"x-{role}"))
        assert client.get("/console/cases/").status_code == 403


def test_every_filter_narrows_the_queue(staff: IntakeStaff) -> None:
    create_cases(40, holders=[staff.officer], held=10, seed=7, start=timezone.now() - timedelta(days=40))
    supervisor = staff.supervisor
    every = Case.objects.all()

    def check(filters: QueueFilters, expected: Any) -> None:
        got = numbers(queue_cases(supervisor, filters))
        assert sorted(got) == sorted(numbers(expected)), filters
        assert got, f"the seed should give at least one case for {filters}"

    check(QueueFilters(kind=CaseKind.GRATIFICATION), every.filter(kind=CaseKind.GRATIFICATION))
    check(QueueFilters(status=CaseStatus.TELAAH), every.filter(status=CaseStatus.TELAAH))
    check(QueueFilters(public_status="closed"), every.filter(public_status="closed"))
    check(QueueFilters(state=State.CLOSED), every.filter(public_status="closed"))
    check(QueueFilters(state=State.OPEN), every.exclude(public_status="closed"))
    check(QueueFilters(public_status="in_progress"), every.filter(public_status="in_progress"))
    today = timezone.localdate()
    check(QueueFilters(due=Due.OVERDUE), every.filter(due_on__lt=today))
    check(QueueFilters(due=Due.WEEK), every.filter(due_on__gte=today, due_on__lt=today + timedelta(days=7)))
    organisation = Case.objects.exclude(organisation=None).first().organisation  # type: ignore[union-attr]
    check(QueueFilters(organisation=organisation.code), every.filter(organisation=organisation))
    violation = Case.objects.exclude(violation_type="").first().violation_type  # type: ignore[union-attr]
    check(QueueFilters(violation_type=violation), every.filter(violation_type=violation))
    gift = Case.objects.exclude(gift_type="").first().gift_type  # type: ignore[union-attr]
    check(QueueFilters(gift_type=gift), every.filter(gift_type=gift))
    by_phone = list(Case.objects.order_by("number").values_list("pk", flat=True)[:7])
    Case.objects.filter(pk__in=by_phone).update(channel="phone")
    check(QueueFilters(channel="phone"), every.filter(pk__in=by_phone))
    check(QueueFilters(channel="web"), every.exclude(pk__in=by_phone))
    check(QueueFilters(holder=staff.officer), every.filter(pk__in=Case.objects.order_by("received_at")[30:]))
    middle = sorted(every, key=lambda c: c.received_at)[20].received_at
    day = timezone.localdate(middle)
    same_day = [c for c in every if timezone.localdate(c.received_at) == day]
    check(QueueFilters(received_from=day, received_to=day), same_day)
    check(
        QueueFilters(received_from=day + timedelta(days=1)),
        [c for c in every if timezone.localdate(c.received_at) > day],
    )
    # Officers' filters stay inside what they hold.
    assert set(numbers(queue_cases(staff.officer, QueueFilters(kind=CaseKind.WBS)))) == set(
        numbers(every.filter(kind=CaseKind.WBS, pk__in=Case.objects.order_by("received_at")[30:]))
    )


def test_the_filters_arrive_through_the_page(staff: IntakeStaff) -> None:
    create_cases(30, seed=3)
    client = logged_in(staff.supervisor)
    organisation = Organisation.objects.get(code=Case.objects.exclude(organisation=None).first().organisation.code)  # type: ignore[union-attr]
    query = f"?kind=wbs&state=open&organisation={organisation.code}&sort=oldest"
    expected = Case.objects.filter(kind="wbs", organisation=organisation).exclude(public_status="closed")
    expected = expected.order_by("received_at")
    assert listed(client, query) == numbers(expected)
    today = timezone.localdate()
    received_today = [c for c in Case.objects.order_by("-received_at") if timezone.localdate(c.received_at) == today]
    assert received_today and listed(client, f"?received_from={today}&received_to={today}") == numbers(received_today)


def _by_due(case: Case) -> tuple[Any, ...]:
    return (case.due_on is None, case.due_on or timezone.localdate(), case.received_at, case.number)


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        (Sort.NEWEST, lambda c: (c.received_at, c.number), True),
        (Sort.OLDEST, lambda c: (c.received_at, c.number), False),
        (Sort.DUE, _by_due, False),
        (Sort.NUMBER, lambda c: c.number, False),
    ],
)
def test_orders(staff: IntakeStaff, sort: Sort, key: Any, reverse: bool) -> None:
    create_cases(25, seed=5)
    assert Case.objects.filter(due_on=None).exists() and Case.objects.exclude(due_on=None).exists()
    assert numbers(queue_cases(staff.supervisor, QueueFilters(sort=sort))) == numbers(
        sorted(Case.objects.all(), key=key, reverse=reverse)
    )
    by_status = numbers(queue_cases(staff.supervisor, QueueFilters(sort=Sort.STATUS)))
    assert by_status == numbers(Case.objects.order_by("status", "-received_at", "-number"))


def test_pages_keep_the_filters(staff: IntakeStaff) -> None:
    create_cases(120, seed=11)
    client = logged_in(staff.supervisor)
    wbs = numbers(Case.objects.filter(kind="wbs").order_by("-received_at", "-number"))
    assert len(wbs) > 50
    first = client.get("/console/cases/?kind=wbs").content.decode()
    assert ROW.findall(first) == wbs[:50]
    assert f"{len(wbs)} kasus" in first
    assert 'href="?kind=wbs&amp;page=2"' in first
    assert listed(client, "?kind=wbs&page=2") == wbs[50:100]
    last = (len(wbs) - 1) // 50 * 50
    assert listed(client, "?kind=wbs&page=999") == wbs[last:]  # beyond the end: the last page


def test_bad_filters_are_named_and_the_rest_still_apply(staff: IntakeStaff) -> None:
    create_cases(10, seed=2)
    client = logged_in(staff.supervisor)
    translation.activate("en")
    response = client.get("/en/console/cases/?kind=wbs&received_from=2026-05-10&received_to=2026-05-01")
    html = response.content.decode()
    assert response.status_code == 400 and "The end of the period is before its start." in html
    assert ROW.findall(html.replace("/en/console/", "/console/")) == numbers(
        Case.objects.filter(kind="wbs", received_at__gte=timezone.make_aware(timezone.datetime(2026, 5, 10))).order_by(
            "-received_at", "-number"
        )
    )
    for query in ("?received_from=yesterday", "?holder=999999", "?organisation=nowhere", "?sort=random"):
        bad = client.get(f"/en/console/cases/{query}")
        assert bad.status_code == 400 and 'role="alert"' in bad.content.decode(), query


def test_my_work_is_the_open_cases_assigned_to_one_and_can_be_saved(staff: IntakeStaff) -> None:
    # 8 cases held by the officer, the newest 5 of them assigned to them: "my work" is the assigned ones.
    create_cases(20, holders=[staff.officer], held=8, seed=13)
    create_cases(5, holders=[staff.officer], held=5, seed=14, lead=staff.officer)
    client = logged_in(staff.officer)
    assigned = Case.objects.filter(lead_officer=staff.officer)
    assert assigned.count() == 5 and Case.objects.filter(team=staff.officer).count() == 5
    default = sorted(assigned.exclude(public_status="closed"), key=_by_due)
    assert default and listed(client, "?view=my-work") == numbers(default)
    mine = Case.objects.filter(pk__in=Case.objects.order_by("received_at")[12:])
    # Save other filters as "my work": audited, then shown by the same link.
    response = client.post("/console/cases/my-work/", {"query": "kind=gratification&sort=newest"})
    assert response.status_code == 302 and response["Location"].endswith("?view=my-work")
    saved = SavedQueueView.objects.get(user=staff.officer)
    assert saved.query == "kind=gratification&sort=newest"
    event = AuditEvent.objects.get(action=Action.QUEUE_VIEW_SAVED.value)
    assert event.actor_staff_id == staff.officer.pk and event.details_dict["query"] == saved.query
    assert listed(client, "?view=my-work") == numbers(mine.filter(kind="gratification").order_by("-received_at"))
    # Bad filters are not saved; an empty query goes back to the default.
    client.post("/console/cases/my-work/", {"query": "kind=nonsense"})
    assert SavedQueueView.objects.get(user=staff.officer).query == saved.query
    client.post("/console/cases/my-work/", {"query": ""})
    assert not SavedQueueView.objects.filter(user=staff.officer).exists()
    assert listed(client, "?view=my-work") == numbers(default)


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200 and b'class="case-row' in response.content, path  # rows to count
    return len(context.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_cases(staff: IntakeStaff) -> None:
    # Of each batch, the newest are held by the officer and the supervisor and assigned to the officer.
    create_cases(20, holders=[staff.officer, staff.supervisor], held=12, unread_share=1.0, seed=21, lead=staff.officer)
    Case.objects.update(kind="wbs", public_status="in_progress", due_on=timezone.localdate() + timedelta(days=2))
    supervisor, officer = logged_in(staff.supervisor), logged_in(staff.officer)
    paths = [
        "/console/cases/",
        "/console/cases/?kind=wbs&sort=due&state=open&due=week",
        "/console/cases/?view=my-work",
        f"/console/cases/?assignee={staff.officer.pk}&sort=due",
        "/console/",
    ]
    # The supervisor is assigned nothing (an empty "my work"), and alone may ask for the unassigned cases.
    supervisor_paths = [path for path in paths if "my-work" not in path] + [
        "/console/cases/?assignee=none&state=open",
        f"/console/cases/?holder={staff.officer.pk}",
    ]

    def count() -> dict[tuple[str, str], int]:
        return {
            **{("o", path): _queries(officer, path) for path in paths},
            **{("s", path): _queries(supervisor, path) for path in supervisor_paths},
        }

    small = count()
    create_cases(
        150, holders=[staff.officer, staff.supervisor], held=120, unread_share=1.0, seed=22, lead=staff.officer
    )
    large = count()
    assert large == small
    assert max(large.values()) <= 16, large  # session, user, 2FA, permissions, form choices, the page


def test_the_list_never_reads_the_sealed_content(staff: IntakeStaff) -> None:
    create_cases(5, seed=4)
    client = logged_in(staff.supervisor)
    with CaptureQueriesContext(connection) as context:
        client.get("/console/cases/")
    case_queries = [q["sql"] for q in context.captured_queries if '"casework_case"' in q["sql"]]
    assert case_queries and all('"casework_case"."content"' not in sql for sql in case_queries)
    assert all("GROUP BY" not in sql or '"casework_casemessage"."case_id" IN' in sql for sql in case_queries)


def _plan(cases: Any) -> str:
    """Return the database's plan for the first page of ``cases``, as text."""
    sql, params = cases[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test tables are tiny, where a sequential scan wins; ask whether an index *can* give the order.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        (QueueFilters(sort=Sort.NEWEST), "case_queue_received"),
        (QueueFilters(sort=Sort.DUE), "case_queue_due"),
        (QueueFilters(sort=Sort.DUE, kind=CaseKind.WBS, state=State.OPEN), "case_queue_kind_due"),
        (QueueFilters(unassigned=True), "case_queue_received"),
    ],
)
def test_a_page_is_read_along_an_index_without_sorting_every_case(
    staff: IntakeStaff, filters: QueueFilters, index: str
) -> None:
    create_cases(30, seed=5)
    plan = _plan(queue_cases(staff.supervisor, filters))
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan.replace("Incremental Sort", ""), plan


def test_the_pager_counts_a_bounded_number_of_cases(staff: IntakeStaff, monkeypatch: pytest.MonkeyPatch) -> None:
    from casework.cases import queue

    create_cases(15, seed=6)
    client = logged_in(staff.supervisor)
    counted = re.compile(r'id="queue-count">([^<]*)<')
    assert counted.findall(client.get("/console/cases/?sort=due").content.decode()) == ["15 kasus"]
    monkeypatch.setattr(queue, "COUNT_LIMIT", 10)
    with CaptureQueriesContext(connection) as context:
        page = client.get("/console/cases/?sort=due").content.decode()
    shown = counted.findall(page)
    assert len(shown) == 1 and "10" in shown[0] and "15" not in shown[0], shown
    assert len(ROW.findall(page)) == 15  # the page itself is not cut
    counts = [q["sql"] for q in context.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert counts and all("LIMIT 11" in sql for sql in counts), counts
