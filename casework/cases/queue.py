"""The case queue: which cases a staff member may list, filtered and sorted, one page at a time. Metadata only.

Supervisors list every case (the triage queue), officers the cases they hold (the vault's ``CaseKey``, as a
subquery); staff who may not hold case keys list nothing. Nothing sealed is read: the sealed ``content``
column is never selected. The page is built from a constant number of queries whatever the number of cases:
the page's rows (through an index on the sort order), the total for the pager, and the unread reporter
messages of the page's cases only (no count over every case). ``docs/queue.md`` describes the filters,
sorting, indexes and the benchmark.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from casework.cases.models import DUE_ORDER_EXPRESSIONS, Case, PublicStatus, SavedQueueView
from casework.cases.selectors import CaseRow, case_rows, listed_columns, visible_cases
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from vault import services as vault
from vault.permissions import may_hold_case_keys

PAGE_SIZE = 50


class Sort(enum.StrEnum):
    """The orders the queue offers; each ends with the case number so pages never overlap."""

    NEWEST = "newest"
    OLDEST = "oldest"
    DUE = "due"
    NUMBER = "number"
    STATUS = "status"


ORDERING: dict[Sort, tuple[Any, ...]] = {
    Sort.NEWEST: ("-received_at", "-number"),
    Sort.OLDEST: ("received_at", "number"),
    # Soonest deadline first; cases without a running clock (closed, waiting) after every dated one. The same
    # expressions as the indexes case_queue_due and case_queue_kind_due, so the page is read along one of them.
    Sort.DUE: DUE_ORDER_EXPRESSIONS,
    Sort.NUMBER: ("number",),
    Sort.STATUS: ("status", "-received_at", "-number"),
}


class State(enum.StrEnum):
    """Open (not closed for the reporter) or closed cases."""

    OPEN = "open"
    CLOSED = "closed"


class Due(enum.StrEnum):
    """Deadlines: the earliest running clock (``Case.due_on``) has passed, or falls within the next seven days."""

    OVERDUE = "overdue"
    WEEK = "week"


DUE_WINDOW_DAYS = 7
UNASSIGNED = "none"  # the assignee filter's value for "no lead officer, no team"


@dataclass(frozen=True)
class QueueFilters:
    """What the queue is narrowed to; empty values mean "any"."""

    kind: str = ""
    status: str = ""
    public_status: str = ""
    state: str = ""
    due: str = ""
    organisation: str = ""  # organisation code
    violation_type: str = ""
    gift_type: str = ""
    channel: str = ""
    holder: StaffUser | None = None  # cases this staff member holds (has been given access to)
    assignee: StaffUser | None = None  # cases this staff member leads or is on the team of
    unassigned: bool = False  # cases nobody is assigned to (no team, hence no lead officer)
    received_from: date | None = None
    received_to: date | None = None
    sort: Sort = Sort.NEWEST


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _team() -> QuerySet[Any]:
    """Return the rows of the case-team table (``Case.team``'s through model; indexed by staff member)."""
    return Case.team.through.objects.all()


def _team_rows(user: StaffUser, *, held: bool = False) -> QuerySet[Any]:
    """Return ``user``'s rows of the case-team table: the cases they lead or are on the team of.

    The lead officer is always on the team (``casework.cases.assignment`` adds the lead to it and takes both
    away together), so the team alone answers "lead or team". Asking for the lead too (a ``UNION`` with the
    cases they lead) made PostgreSQL, before it had statistics on the table, re-read the person's whole team
    list for every case: 3 s for a page of 5,000 cases.

    With ``held``, only the rows of cases ``user`` also holds the key of (the vault's ``CaseKey``, nested in
    the same subquery): an officer's own assignments, see ``queue_cases``.
    """
    rows = _team().filter(staffuser_id=user.pk)
    if held:
        rows = rows.filter(case_id__in=vault.granted_report_ids(user=user))
    return rows.order_by()


def _assigned_to(user: StaffUser) -> Q:
    """Return the condition "``user`` is on the case's team": one subquery on the case-team table.

    A subquery, not a join, so no case is listed twice; PostgreSQL checks it per case through the table's
    unique (case, staff member) index.
    """
    return Q(id__in=_team_rows(user).values("case_id"))


def filter_cases(cases: QuerySet[Case], filters: QueueFilters) -> QuerySet[Case]:
    """Return ``cases`` narrowed by ``filters`` and put in the chosen order."""
    if filters.kind:
        cases = cases.filter(kind=filters.kind)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.public_status:
        cases = cases.filter(public_status=filters.public_status)
    if filters.state == State.OPEN:
        cases = cases.exclude(public_status=PublicStatus.CLOSED)
    elif filters.state == State.CLOSED:
        cases = cases.filter(public_status=PublicStatus.CLOSED)
    if filters.due:
        today = timezone.localdate()
        if filters.due == Due.OVERDUE:
            cases = cases.filter(due_on__lt=today)
        else:
            cases = cases.filter(due_on__gte=today, due_on__lt=today + timedelta(days=DUE_WINDOW_DAYS))
    if filters.organisation:
        cases = cases.filter(organisation__code=filters.organisation)
    if filters.violation_type:
        cases = cases.filter(violation_type=filters.violation_type)
    if filters.gift_type:
        cases = cases.filter(gift_type=filters.gift_type)
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    if filters.holder is not None:
        cases = cases.filter(id__in=vault.granted_report_ids(user=filters.holder))
    if filters.assignee is not None:
        cases = cases.filter(_assigned_to(filters.assignee))
    if filters.unassigned:
        # Nobody on the team (the lead officer is always on it). Asked per row along the order's index, so
        # the page needs no sort; "lead_officer IS NULL" would make SQLite read the lead's index and sort.
        cases = cases.exclude(Exists(_team().filter(case_id=OuterRef("pk"))))
    if filters.received_from is not None:
        cases = cases.filter(received_at__gte=_day_start(filters.received_from))
    if filters.received_to is not None:
        cases = cases.filter(received_at__lt=_day_start(filters.received_to + timedelta(days=1)))
    return cases.order_by(*ORDERING[filters.sort])


@dataclass(frozen=True)
class _Listing:
    """The cases of a queue view, and (narrowed to someone's assignments) the team rows they come from."""

    cases: QuerySet[Case]
    team_rows: QuerySet[Any] | None = None
    without_assignee: QuerySet[Case] | None = None  # ``cases`` but for the assignee condition, for the count


def _listing(user: StaffUser, filters: QueueFilters) -> _Listing:
    """Return what ``queue_cases`` lists and, for an assignee filter, the team rows to count it from."""
    supervisor = user.has_perm(SUPERVISE_CASES)
    if not supervisor and (filters.unassigned or (filters.assignee is not None and filters.assignee.pk != user.pk)):
        return _Listing(Case.objects.none())
    if filters.holder is not None and filters.holder.pk == user.pk and not supervisor:
        filters = replace(filters, holder=None)  # an officer lists only what they hold already: one subquery
    if filters.assignee is None:
        return _Listing(filter_cases(visible_cases(user), filters))
    if supervisor:
        rows = _team_rows(filters.assignee)
        others = filter_cases(visible_cases(user), replace(filters, assignee=None))
    elif may_hold_case_keys(user):
        # An officer's own assignments ("my work"): the cases on their team that they hold, as ONE subquery
        # (team rows whose case is among their keys). As two subqueries side by side, PostgreSQL multiplied
        # their selectivities as if independent (5,000 held and 5,000 assigned of 100,000 cases: it expected
        # 180 rows, not 3,600), fetched every held case and sorted them: 45 ms against 5-10 ms along the
        # deadline index. The same cases: listed only if held, whoever is on the team.
        rows = _team_rows(user, held=True)
        others = filter_cases(listed_columns(), replace(filters, assignee=None))
    else:
        return _Listing(Case.objects.none())
    return _Listing(cases=others.filter(id__in=rows.values("case_id")), team_rows=rows, without_assignee=others)


def queue_cases(user: StaffUser, filters: QueueFilters) -> QuerySet[Case]:
    """Return the cases ``user`` may list, filtered and sorted (a lazy queryset: slice it for a page).

    Only supervisors ask for another person's assignments or for the unassigned cases; an officer's request for
    them lists nothing (the filter form offers an officer only themselves).
    """
    return _listing(user, filters).cases


# The pager counts at most this many matching cases (20 pages). Counting every match of a filter that no index
# covers (e.g. WBS and open: 75,000 of 100,000 cases) reads each row: 270 ms on SQLite; 5,000 rows still took
# 55-77 ms on this loaded machine, 1,000 rows 5-18 ms. Beyond 20 pages a reader narrows the filters instead.
COUNT_LIMIT = 1_000


class BoundedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator whose count stops at ``COUNT_LIMIT + 1``: the pages beyond are not offered."""

    def __init__(self, cases: QuerySet[Case], per_page: int, *, counted: QuerySet[Any] | None = None) -> None:
        super().__init__(cases, per_page)
        self.cases = cases
        self.counted = counted if counted is not None else cases.order_by().values("pk")

    @cached_property
    def count(self) -> int:
        """Return the number of matching cases, but at most ``COUNT_LIMIT + 1`` (one query, bounded)."""
        return self.counted[: COUNT_LIMIT + 1].count()

    @property
    def more(self) -> bool:
        """True when more cases match than are counted (the page shows "more than ...")."""
        return self.count > COUNT_LIMIT

    def page(self, number: Any) -> Page[Case]:
        """Return page ``number`` whole: the bounded count must not cut its last rows."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return Page(self.cases[bottom : bottom + self.per_page], number, self)


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: its rows and the pager."""

    rows: list[CaseRow]
    page: Page[Case]

    @property
    def count_limit(self) -> int:
        """Return how many cases the pager counts at most."""
        return COUNT_LIMIT


def queue_page(user: StaffUser, filters: QueueFilters, *, page: Any = 1, per_page: int = PAGE_SIZE) -> QueuePage:
    """Return the page ``page`` of ``user``'s queue (an invalid or out-of-range number gives the nearest page)."""
    listing = _listing(user, filters)
    counted = None
    if listing.team_rows is not None and listing.without_assignee is not None:
        # Someone's assignments are counted from their team rows, each checked against the other filters by
        # the case's primary key. Counted from the case table (as PostgreSQL chose when more than the limit
        # match), the count read the wide case table in order until 1,001 rows matched: wherever the person's
        # cases lie in it (and a synchronised scan starts where the last one stopped), up to the whole table.
        # A scalar subquery per team row, because PostgreSQL turns an EXISTS or IN into a join it may again
        # drive from the case table; this one it can only evaluate per row, through the primary key.
        match = listing.without_assignee.order_by().filter(pk=OuterRef("case_id")).values("pk")[:1]
        counted = listing.team_rows.annotate(listed=Subquery(match)).filter(listed__isnull=False).values("pk")
    paginator = BoundedPaginator(listing.cases, per_page, counted=counted)
    shown = paginator.get_page(page)
    return QueuePage(rows=case_rows(shown.object_list), page=shown)


def saved_my_work(user: StaffUser) -> str | None:
    """Return the filters ``user`` saved as their own "my work" view (a query string), or None (one query)."""
    return SavedQueueView.objects.filter(user=user, name=SavedQueueView.MY_WORK).values_list("query", flat=True).first()


def my_work_query(user: StaffUser, saved: str | None) -> str:
    """Return the filters of ``user``'s "my work" view: ``saved`` (from ``saved_my_work``), else the open cases
    assigned to them (lead officer or team), the soonest deadline first."""
    if saved:
        return saved
    return urlencode({"assignee": user.pk, "state": State.OPEN, "sort": Sort.DUE})
