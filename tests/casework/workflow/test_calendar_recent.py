"""The deadline rules and calendar a reporter's submission uses are read once per few seconds per process."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from casework.workflow.calendar import deadlines, forget_recent_deadlines, recent_deadlines
from casework.workflow.models import CalendarOverride

pytestmark = pytest.mark.django_db


def test_kept_for_their_lifetime_then_read_again(settings: Any, django_assert_num_queries: Any) -> None:
    settings.PELUIT_RULES_CACHE_SECONDS = 60
    forget_recent_deadlines()
    first = recent_deadlines()
    with django_assert_num_queries(0):
        assert recent_deadlines() is first
    CalendarOverride.objects.create(day=date(2026, 12, 7), kind=CalendarOverride.Kind.HOLIDAY, note="test")
    assert recent_deadlines() is first, "kept for its lifetime"
    forget_recent_deadlines()
    assert date(2026, 12, 7) in recent_deadlines().calendar.extra_holidays
    assert recent_deadlines().calendar == deadlines().calendar


def test_no_lifetime_reads_every_time(settings: Any, django_assert_num_queries: Any) -> None:
    settings.PELUIT_RULES_CACHE_SECONDS = 0
    recent_deadlines()
    with django_assert_num_queries(2):
        recent_deadlines()
