"""The working-day calendar and the deadline rules as the database holds them.

The pure functions (``casework.rules``) do the counting; this module feeds them the administrator's overrides
(``CalendarOverride``), the setting ``PELUIT_CUTI_BERSAMA_IS_LEAVE`` and the rules table (``DeadlineRule``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from casework.recent import Recent
from casework.rules import deadlines as pure
from casework.rules.working_days import Calendar
from casework.workflow.models import CalendarOverride, DeadlineRule


def current_calendar() -> Calendar:
    """Return the calendar in force: ``holidays`` (ID), the overrides, and whether cuti bersama is leave."""
    holidays: set[date] = set()
    working: set[date] = set()
    for day, kind in CalendarOverride.objects.values_list("day", "kind"):
        (holidays if kind == CalendarOverride.Kind.HOLIDAY else working).add(day)
    return Calendar(
        extra_holidays=frozenset(holidays),
        extra_working_days=frozenset(working),
        cuti_bersama_is_leave=bool(getattr(settings, "PELUIT_CUTI_BERSAMA_IS_LEAVE", True)),
    )


def deadline_rules() -> list[pure.DeadlineRule]:
    """Return the deadline rules of the table (the seed ``DEFAULT_RULES`` when the table is empty)."""
    rows = [row.as_rule() for row in DeadlineRule.objects.all()]
    return rows or list(pure.DEFAULT_RULES)


def rule_codes() -> set[str]:
    """Return every rule code the table knows."""
    return {rule.code for rule in deadline_rules()}


@dataclass(frozen=True)
class Deadlines:
    """The deadline rules and the calendar in force, read once: for a use case that needs several due dates
    (a new case's clocks and acknowledgement) without reading the tables again for each."""

    rules: tuple[pure.DeadlineRule, ...]
    calendar: Calendar

    def rule_for(self, code: str, *, on: date) -> pure.DeadlineRule:
        """Return the version of rule ``code`` in force on ``on``; ``KeyError`` when there is none."""
        return pure.rule_for(code, on=on, rules=self.rules)

    def working_days_for(self, code: str, *, on: date) -> int:
        """Return the working days (or hours) rule ``code`` gives for an event on ``on``."""
        return self.rule_for(code, on=on).amount

    def due_date(self, code: str, *, start: date, count_start_day: bool | None = None) -> date:
        """Return the due date of rule ``code`` for an event on ``start``."""
        return pure.due_date(
            code, start=start, count_start_day=count_start_day, rules=self.rules, calendar=self.calendar
        )


def deadlines() -> Deadlines:
    """Return the deadline rules and calendar in force now (two queries)."""
    return Deadlines(rules=tuple(deadline_rules()), calendar=current_calendar())


_recent: Recent[Deadlines] = Recent()


def recent_deadlines() -> Deadlines:
    """Return the deadline rules and calendar, read at most ``PELUIT_RULES_CACHE_SECONDS`` ago in this process.

    For a reporter's submission, which needs them for its clocks and acknowledgement: a flood of reports then
    reads the two tables once every few seconds, not twice per report. A change of the rules or the calendar
    reaches new submissions within that time (2 s by default); the console reads them fresh (``deadlines``).
    """
    return _recent.get(deadlines, ttl=float(getattr(settings, "PELUIT_RULES_CACHE_SECONDS", 2.0)))


def forget_recent_deadlines() -> None:
    """Drop the kept rules and calendar (tests; a change that must reach intake at once)."""
    _recent.forget()


def rule_for(code: str, *, on: date) -> pure.DeadlineRule:
    """Return the version of rule ``code`` in force on ``on``; ``KeyError`` when there is none."""
    return pure.rule_for(code, on=on, rules=deadline_rules())


def working_days_for(code: str, *, on: date) -> int:
    """Return the working days (or hours) rule ``code`` gives for an event on ``on``."""
    return rule_for(code, on=on).amount


def due_date(code: str, *, start: date, count_start_day: bool | None = None) -> date:
    """Return the due date of rule ``code`` for an event on ``start``, with the calendar in force."""
    return deadlines().due_date(code, start=start, count_start_day=count_start_day)
