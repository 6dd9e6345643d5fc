"""Deadline rules of DOMAIN.md §4 as data, and the due dates they give."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from casework.rules.working_days import add_working_days


@dataclass(frozen=True)
class DeadlineRule:
    """A deadline in working days, in force for events on or after ``valid_from`` (None: always)."""

    code: str
    working_days: int
    valid_from: date | None = None


DEADLINE_RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule("GRAT_LAPOR_KPK", 30),
    DeadlineRule("GRAT_LAPOR_UPG", 10),
    DeadlineRule("GRAT_UPG_TERUSKAN", 10),
    DeadlineRule("GRAT_LENGKAPI", 30),
    DeadlineRule("GRAT_LENGKAPI", 20, valid_from=date(2026, 1, 20)),
    DeadlineRule("KPK_PENETAPAN", 30),
    DeadlineRule("SK_KIRIM", 7),
    DeadlineRule("ADUAN_TIDAK_BERKADAR", 14),
    DeadlineRule("ADUAN_BERKADAR", 60),
)


def working_days_for(code: str, *, on: date) -> int:
    """Return the number of working days rule ``code`` gives for an event on ``on``."""
    candidates = [r for r in DEADLINE_RULES if r.code == code and (r.valid_from is None or r.valid_from <= on)]
    if not candidates:
        raise KeyError(code)
    return max(candidates, key=lambda r: r.valid_from or date.min).working_days


def due_date(code: str, *, start: date, count_start_day: bool = False) -> date:
    """Return the due date of rule ``code`` for an event on ``start``."""
    return add_working_days(start, working_days_for(code, on=start), count_start_day=count_start_day)
