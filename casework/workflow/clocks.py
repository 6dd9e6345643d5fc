"""Deadline clocks on a case: start, stop, pause while waiting for the reporter, resume.

These run inside the caller's transaction (a transition, a submission) and write one audit event per clock
changed, with the case number, so the case's timeline shows them. ``Case.due_on`` always holds the earliest
due date of the clocks still running, so lists can filter "overdue" and "due this week" in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import Min
from django.utils import timezone

from audit.actions import Action
from audit.inserts import insert_rows, new_row
from audit.services import record as audit_record
from casework.cases.models import Case, CaseKind
from casework.rules import deadlines as pure
from casework.rules.working_days import Calendar
from casework.staff.models import StaffUser
from casework.workflow.calendar import Deadlines, current_calendar, deadlines, rule_for
from casework.workflow.models import ALL_CLOCKS, CaseClock

Actor = StaffUser | str

# The clocks a case starts with (DOMAIN.md §4): a WBS report without supervisory content is answered within
# 14 working days; the UPG forwards a gratification report within 10; the recipient's statutory 30 working
# days run from the day the gift was received (not for refusals, which have no gift to report).
INITIAL_CLOCKS = {CaseKind.WBS: ("ADUAN_TIDAK_BERKADAR",), CaseKind.GRATIFICATION: ("GRAT_UPG_TERUSKAN",)}
STATUTORY_GIFT_CLOCK = "GRAT_LAPOR_KPK"


def _record(action: Action, actor: Actor, clock: CaseClock, case: Case, **details: str | int | bool | None) -> None:
    audit_record(
        action=action,
        actor=actor,
        case_ref=case.number,
        details={"rule": clock.rule_code, "due_on": clock.due_on.isoformat(), **details},
    )


def _due(
    rule: pure.DeadlineRule, *, start_day: date, started_at: datetime, calendar: Calendar
) -> tuple[date, datetime | None]:
    if rule.unit == pure.HOURS:
        moment = pure.due_at(rule, started_at=started_at)
        return timezone.localdate(moment), moment
    return calendar.add_working_days(start_day, rule.amount, count_start_day=rule.count_start_day), None


def start_clock(
    *, case: Case, code: str, actor: Actor, start_day: date | None = None, now: datetime | None = None
) -> CaseClock:
    """Start rule ``code`` on the case, counted from ``start_day`` (today by default); audited.

    Raises ``KeyError`` for a rule not in force on that day.
    """
    now = now or timezone.now()
    start_day = start_day or timezone.localdate(now)
    rule = rule_for(code, on=start_day)
    due_on, due_at = _due(rule, start_day=start_day, started_at=now, calendar=current_calendar())
    clock = CaseClock.objects.create(
        case=case,
        rule_code=code,
        amount=rule.amount,
        unit=rule.unit,
        started_at=now,
        start_day=start_day,
        due_on=due_on,
        due_at=due_at,
    )
    _record(Action.CLOCK_STARTED, actor, clock, case, start_day=start_day.isoformat())
    return clock


def _matching(case: Case, codes: Iterable[str], states: Iterable[str]) -> list[CaseClock]:
    wanted = list(codes)
    clocks = CaseClock.objects.filter(case=case, state__in=list(states))
    if ALL_CLOCKS not in wanted:
        clocks = clocks.filter(rule_code__in=wanted)
    return list(clocks)


def stop_clocks(*, case: Case, codes: Iterable[str], actor: Actor, now: datetime | None = None) -> list[CaseClock]:
    """Stop the running or paused clocks named by ``codes`` (``*``: all), noting whether each was met."""
    now = now or timezone.now()
    stopped = []
    for clock in _matching(case, codes, [CaseClock.State.RUNNING, CaseClock.State.PAUSED]):
        clock.met = not clock.is_overdue(now)
        clock.state = CaseClock.State.STOPPED
        clock.stopped_at = now
        clock.stopped_by = actor if isinstance(actor, StaffUser) else None
        clock.save(update_fields=["met", "state", "stopped_at", "stopped_by"])
        _record(Action.CLOCK_STOPPED, actor, clock, case, met=clock.met)
        stopped.append(clock)
    return stopped


def pause_clocks(*, case: Case, codes: Iterable[str], actor: Actor, now: datetime | None = None) -> list[CaseClock]:
    """Pause running clocks (waiting for the reporter): the time until they resume does not count."""
    now = now or timezone.now()
    paused = []
    for clock in _matching(case, codes, [CaseClock.State.RUNNING]):
        clock.state = CaseClock.State.PAUSED
        clock.paused_since = now
        clock.save(update_fields=["state", "paused_since"])
        _record(Action.CLOCK_PAUSED, actor, clock, case)
        paused.append(clock)
    return paused


def resume_clocks(*, case: Case, codes: Iterable[str], actor: Actor, now: datetime | None = None) -> list[CaseClock]:
    """Resume paused clocks; their due date moves by the working days (or hours) they were paused."""
    now = now or timezone.now()
    calendar = current_calendar()
    resumed = []
    for clock in _matching(case, codes, [CaseClock.State.PAUSED]):
        since = clock.paused_since or now
        if clock.due_at is not None:
            clock.due_at = clock.due_at + (now - since)
            clock.due_on = timezone.localdate(clock.due_at)
        else:
            lost = calendar.working_days_between(timezone.localdate(since), timezone.localdate(now))
            if lost:
                clock.due_on = calendar.add_working_days(clock.due_on, lost)
            clock.paused_working_days += lost
        clock.state = CaseClock.State.RUNNING
        clock.paused_since = None
        clock.save(update_fields=["due_at", "due_on", "paused_working_days", "state", "paused_since"])
        _record(Action.CLOCK_RESUMED, actor, clock, case)
        resumed.append(clock)
    return resumed


def refresh_case_due(case: Case) -> None:
    """Set ``Case.due_on`` to the earliest due date of its running clocks (None when none runs)."""
    due = CaseClock.objects.filter(case=case, state=CaseClock.State.RUNNING).aggregate(due=Min("due_on"))["due"]
    Case.objects.filter(pk=case.pk).update(due_on=due)
    case.due_on = due


def initial_clocks(
    *, case: Case, gift_received_on: date | None = None, is_refusal: bool = False, rules: Deadlines | None = None
) -> list[CaseClock]:
    """Return the clocks a newly received case starts with, unsaved, and set ``case.due_on``; write nothing.

    The due dates are counted here (before the submission's transaction); ``save_initial_clocks`` stores them.
    """
    rules = rules or deadlines()
    received = timezone.localdate(case.received_at)
    starts = [(code, received) for code in INITIAL_CLOCKS.get(CaseKind(case.kind), ())]
    if case.kind == CaseKind.GRATIFICATION and gift_received_on is not None and not is_refusal:
        starts.append((STATUTORY_GIFT_CLOCK, gift_received_on))
    clocks = []
    for code, start_day in starts:
        rule = rules.rule_for(code, on=start_day)
        due_on, due_at = _due(rule, start_day=start_day, started_at=case.received_at, calendar=rules.calendar)
        clocks.append(
            new_row(
                CaseClock,
                case=case,
                rule_code=code,
                amount=rule.amount,
                unit=rule.unit,
                started_at=case.received_at,
                start_day=start_day,
                due_on=due_on,
                due_at=due_at,
            )
        )
    case.due_on = min((clock.due_on for clock in clocks), default=None)
    return clocks


def save_initial_clocks(*, case: Case, clocks: list[CaseClock]) -> None:
    """Insert a new case's clocks (one statement) and record their start, inside the caller's transaction."""
    insert_rows(clocks)
    for clock in clocks:
        _record(Action.CLOCK_STARTED, "system", clock, case, start_day=clock.start_day.isoformat())


def start_initial_clocks(*, case: Case, gift_received_on: date | None = None, is_refusal: bool = False) -> None:
    """Start the clocks a newly received case starts with (inside the caller's transaction); audited."""
    clocks = initial_clocks(case=case, gift_received_on=gift_received_on, is_refusal=is_refusal)
    save_initial_clocks(case=case, clocks=clocks)
    Case.objects.filter(pk=case.pk).update(due_on=case.due_on)


def recompute_due_dates(*, day: date) -> int:
    """Count the due dates of running working-day clocks again after the calendar changed on ``day``.

    Only clocks whose counting window holds ``day`` can change. Returns how many due dates moved.
    """
    calendar = current_calendar()
    moved = 0
    clocks = CaseClock.objects.filter(
        state__in=[CaseClock.State.RUNNING, CaseClock.State.PAUSED],
        due_at__isnull=True,
        start_day__lte=day,
        due_on__gte=day,
    ).select_related("case")
    for clock in clocks:
        try:
            rule = rule_for(clock.rule_code, on=clock.start_day)
        except KeyError:
            continue
        due = calendar.add_working_days(clock.start_day, clock.amount, count_start_day=rule.count_start_day)
        if clock.paused_working_days:
            due = calendar.add_working_days(due, clock.paused_working_days)
        if due != clock.due_on:
            clock.due_on = due
            clock.save(update_fields=["due_on"])
            refresh_case_due(clock.case)
            moved += 1
    return moved
