"""Deadline rules of DOMAIN.md §4 as data, and the due dates they give.

``DEFAULT_RULES`` is the seed the database table (``casework.DeadlineRule``) was filled with; the console reads
the table, so the inspectorate can change a rule without code. Every function takes the rules and the
calendar it should use and falls back to the seed and the plain ``holidays`` calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from casework.rules.working_days import Calendar

WORKING_DAYS = "working_days"
HOURS = "hours"


@dataclass(frozen=True)
class DeadlineRule:
    """A deadline of ``amount`` working days (or hours), in force for events on or after ``valid_from``.

    ``count_start_day``: the day of the event is working day 1 when it is one (the reading of the law for a
    recipient's own KPK deadline); otherwise the day after is (the Inspektorat's own clocks).
    """

    code: str
    amount: int
    valid_from: date | None = None
    unit: str = WORKING_DAYS
    count_start_day: bool = False

    @property
    def working_days(self) -> int:
        """The amount, for rules counted in working days."""
        return self.amount


DEFAULT_RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule("GRAT_LAPOR_KPK", 30, count_start_day=True),
    DeadlineRule("GRAT_LAPOR_UPG", 10, count_start_day=True),
    DeadlineRule("GRAT_UPG_TERUSKAN", 10),
    DeadlineRule("GRAT_LENGKAPI", 30),
    DeadlineRule("GRAT_LENGKAPI", 20, valid_from=date(2026, 1, 20)),
    DeadlineRule("KPK_PENETAPAN", 30),
    DeadlineRule("SK_KIRIM", 7),
    DeadlineRule("ADUAN_TIDAK_BERKADAR", 14),
    DeadlineRule("ADUAN_BERKADAR", 60),
    DeadlineRule("PDP_BREACH", 72, unit=HOURS),
)
# Kept for callers written before the rules became a table.
DEADLINE_RULES = DEFAULT_RULES


def rule_for(code: str, *, on: date, rules: Sequence[DeadlineRule] = DEFAULT_RULES) -> DeadlineRule:
    """Return the version of rule ``code`` in force for an event on ``on``; ``KeyError`` when there is none."""
    candidates = [r for r in rules if r.code == code and (r.valid_from is None or r.valid_from <= on)]
    if not candidates:
        raise KeyError(code)
    return max(candidates, key=lambda r: r.valid_from or date.min)


def working_days_for(code: str, *, on: date, rules: Sequence[DeadlineRule] = DEFAULT_RULES) -> int:
    """Return the number of working days (or hours) rule ``code`` gives for an event on ``on``."""
    return rule_for(code, on=on, rules=rules).amount


def due_date(
    code: str,
    *,
    start: date,
    count_start_day: bool | None = None,
    rules: Sequence[DeadlineRule] = DEFAULT_RULES,
    calendar: Calendar | None = None,
) -> date:
    """Return the due date of working-day rule ``code`` for an event on ``start``.

    ``count_start_day`` overrides the rule's own reading when given.
    """
    rule = rule_for(code, on=start, rules=rules)
    if rule.unit == HOURS:
        raise ValueError(f"{code} is counted in hours; use due_at")
    first_day = rule.count_start_day if count_start_day is None else count_start_day
    return (calendar or Calendar()).add_working_days(start, rule.amount, count_start_day=first_day)


def due_at(rule: DeadlineRule, *, started_at: datetime) -> datetime:
    """Return when an hour-counted rule started at ``started_at`` runs out (hours run on every day)."""
    if rule.unit != HOURS:
        raise ValueError(f"{rule.code} is counted in working days; use due_date")
    return started_at + timedelta(hours=rule.amount)
