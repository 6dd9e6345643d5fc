"""Working days (hari kerja) of Indonesian government offices: pure functions, no Django.

A working day is Monday to Friday, not a national holiday (libur nasional) and not collective leave
(cuti bersama). The calendar comes from the ``holidays`` package (country ``ID``, categories ``public`` and
``government``); callers may pass extra holidays and extra working days for SKB revisions and local decisions,
and may leave cuti bersama out (``cuti_bersama_is_leave=False``) where an office treats it as a working day.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

CATEGORIES = ("public", "government")
# Counting never runs further than this: a calendar with no working day left fails instead of looping.
MAX_SEARCH_DAYS = 3 * 366


@lru_cache(maxsize=128)
def _holidays_of(year: int, categories: tuple[str, ...] = CATEGORIES) -> frozenset[date]:
    calendar = holidays.country_holidays("ID", years=year, categories=categories)
    return frozenset(calendar.keys())


@dataclass(frozen=True)
class Calendar:
    """A working-day calendar: the ``holidays`` data plus local overrides.

    ``extra_holidays`` close an office on a day it would open (a local decision, an SKB revision adding leave);
    ``extra_working_days`` open it on a day it would close (an SKB revision cancelling leave, a working
    Saturday). An override wins over the package's data; an extra working day wins over an extra holiday.
    """

    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    cuti_bersama_is_leave: bool = True

    @property
    def categories(self) -> tuple[str, ...]:
        """The ``holidays`` categories that close the office."""
        return CATEGORIES if self.cuti_bersama_is_leave else ("public",)

    def is_working_day(self, day: date) -> bool:
        """Return True when government offices are open on ``day``."""
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays:
            return False
        return day.weekday() < 5 and day not in _holidays_of(day.year, self.categories)

    # Kept per calendar (frozen, compared by value), start and count: every report counts the same few
    # deadlines from the same day, about 130 days looked at each time.
    @lru_cache(maxsize=4096)  # noqa: B019 - bounded; a calendar is a small value object
    def add_working_days(self, start: date, count: int, *, count_start_day: bool = False) -> date:
        """Return the date of the ``count``-th working day after ``start``.

        By default the day after ``start`` is the first candidate (the Inspektorat's own clocks). With
        ``count_start_day`` the start day counts as working day 1 when it is one: the earlier reading, shown to
        reporters for their own deadlines.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        day = start if count_start_day else start + timedelta(days=1)
        seen = 0
        for _step in range(count * 7 + MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                seen += 1
                if seen == count:
                    return day
            day += timedelta(days=1)
        raise ValueError("the calendar has no working days left to count")

    def working_days_between(self, start: date, end: date) -> int:
        """Return how many working days lie after ``start`` up to and including ``end`` (0 if end <= start)."""
        seen = 0
        day = start + timedelta(days=1)
        while day <= end:
            if self.is_working_day(day):
                seen += 1
            day += timedelta(days=1)
        return seen


def _calendar(extra_holidays: Collection[date], extra_working_days: Collection[date]) -> Calendar:
    return Calendar(extra_holidays=frozenset(extra_holidays), extra_working_days=frozenset(extra_working_days))


def is_working_day(
    day: date, *, extra_holidays: Collection[date] = (), extra_working_days: Collection[date] = ()
) -> bool:
    """Return True when government offices are open on ``day`` (cuti bersama counts as leave)."""
    return _calendar(extra_holidays, extra_working_days).is_working_day(day)


def add_working_days(
    start: date,
    count: int,
    *,
    count_start_day: bool = False,
    extra_holidays: Collection[date] = (),
    extra_working_days: Collection[date] = (),
) -> date:
    """Return the date of the ``count``-th working day after ``start`` (see ``Calendar.add_working_days``)."""
    return _calendar(extra_holidays, extra_working_days).add_working_days(start, count, count_start_day=count_start_day)


def working_days_between(
    start: date, end: date, *, extra_holidays: Collection[date] = (), extra_working_days: Collection[date] = ()
) -> int:
    """Return how many working days lie after ``start`` up to and including ``end`` (0 if end <= start)."""
    return _calendar(extra_holidays, extra_working_days).working_days_between(start, end)
