"""Working days (hari kerja) of Indonesian government offices: pure functions, no Django.

A working day is Monday to Friday, not a national holiday (libur nasional) and not collective leave
(cuti bersama). The calendar comes from the ``holidays`` package (country ``ID``, categories ``public`` and
``government``); callers may pass extra holidays and extra working days for SKB revisions and local decisions.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from functools import lru_cache

import holidays

CATEGORIES = ("public", "government")


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[date]:
    calendar = holidays.country_holidays("ID", years=year, categories=CATEGORIES)
    return frozenset(calendar.keys())


def is_working_day(
    day: date, *, extra_holidays: Collection[date] = (), extra_working_days: Collection[date] = ()
) -> bool:
    """Return True when government offices are open on ``day``."""
    if day in extra_working_days:
        return True
    if day in extra_holidays:
        return False
    return day.weekday() < 5 and day not in _holidays_of(day.year)


def add_working_days(
    start: date,
    count: int,
    *,
    count_start_day: bool = False,
    extra_holidays: Collection[date] = (),
    extra_working_days: Collection[date] = (),
) -> date:
    """Return the date of the ``count``-th working day after ``start``.

    By default the day after ``start`` is the first candidate (the Inspektorat's own clocks). With
    ``count_start_day`` the start day counts as working day 1 when it is one: the earlier reading, shown to
    reporters for their own deadlines.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    options = {"extra_holidays": extra_holidays, "extra_working_days": extra_working_days}
    day = start if count_start_day else start + timedelta(days=1)
    seen = 0
    while True:
        if is_working_day(day, **options):
            seen += 1
            if seen == count:
                return day
        day += timedelta(days=1)


def working_days_between(
    start: date, end: date, *, extra_holidays: Collection[date] = (), extra_working_days: Collection[date] = ()
) -> int:
    """Return how many working days lie after ``start`` up to and including ``end`` (0 if end <= start)."""
    seen = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_working_day(day, extra_holidays=extra_holidays, extra_working_days=extra_working_days):
            seen += 1
        day += timedelta(days=1)
    return seen
