"""Known answers for working days in 2026 (holidays package, ID, public + government categories)."""

from __future__ import annotations

from datetime import date

import pytest

from casework.rules.deadlines import due_date, working_days_for
from casework.rules.working_days import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), False),  # New Year
        (date(2026, 1, 2), True),  # Friday
        (date(2026, 1, 3), False),  # Saturday
        (date(2026, 2, 16), False),  # cuti bersama, Lunar New Year
        (date(2026, 3, 18), False),  # cuti bersama, Nyepi
        (date(2026, 3, 20), False),  # cuti bersama, Idul Fitri
        (date(2026, 3, 23), False),  # cuti bersama, Idul Fitri (Monday)
        (date(2026, 3, 25), True),  # first working day after Lebaran
        (date(2026, 5, 15), False),  # cuti bersama, Ascension
        (date(2026, 12, 24), False),  # cuti bersama, Christmas
        (date(2026, 12, 28), True),
    ],
)
def test_is_working_day_2026(day: date, expected: bool) -> None:
    assert is_working_day(day) is expected


def test_the_day_after_receipt_is_working_day_one() -> None:
    # Received Friday 2 Jan 2026: Mon 5 Jan is day 1; Fri 16 Jan (Isra' Mi'raj) is skipped, so day 14 is Fri 23 Jan.
    assert add_working_days(date(2026, 1, 2), 1) == date(2026, 1, 5)
    assert add_working_days(date(2026, 1, 2), 14) == date(2026, 1, 23)


def test_counting_the_start_day_gives_the_earlier_reading() -> None:
    assert add_working_days(date(2026, 1, 2), 1, count_start_day=True) == date(2026, 1, 2)
    # On a Saturday the start day is no working day, so both readings agree.
    assert add_working_days(date(2026, 1, 3), 5, count_start_day=True) == add_working_days(date(2026, 1, 3), 5)


def test_lebaran_2026_is_skipped() -> None:
    # 18-24 Mar 2026 are Nyepi and Idul Fitri holidays, leave or weekend: from Tue 17 Mar, day 1 is Wed 25 Mar.
    assert add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 25)
    assert add_working_days(date(2026, 3, 17), 10) == date(2026, 4, 8)  # Good Friday 3 Apr skipped


def test_overrides_for_local_decisions() -> None:
    extra_holiday = date(2026, 1, 5)
    assert add_working_days(date(2026, 1, 2), 1, extra_holidays={extra_holiday}) == date(2026, 1, 6)
    saturday = date(2026, 1, 3)
    assert add_working_days(date(2026, 1, 2), 1, extra_working_days={saturday}) == saturday


def test_working_days_between() -> None:
    assert working_days_between(date(2026, 1, 2), date(2026, 1, 9)) == 5
    assert working_days_between(date(2026, 1, 9), date(2026, 1, 2)) == 0


def test_add_working_days_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 2), 0)


def test_deadline_rules_are_effective_dated() -> None:
    assert working_days_for("GRAT_LENGKAPI", on=date(2026, 1, 19)) == 30
    assert working_days_for("GRAT_LENGKAPI", on=date(2026, 1, 20)) == 20
    assert working_days_for("ADUAN_BERKADAR", on=date(2026, 6, 1)) == 60
    with pytest.raises(KeyError):
        working_days_for("NO_SUCH_RULE", on=date(2026, 6, 1))


def test_due_dates_2026() -> None:
    # Received Monday 2 Feb 2026: 14 working days skip 16-17 Feb (Imlek leave + holiday).
    assert due_date("ADUAN_TIDAK_BERKADAR", start=date(2026, 2, 2)) == date(2026, 2, 24)
    # A gift received Wed 1 Jul 2026, counting that day: 30 working days ends Tue 11 Aug.
    assert due_date("GRAT_LAPOR_KPK", start=date(2026, 7, 1), count_start_day=True) == date(2026, 8, 11)


def test_a_counted_deadline_is_kept_per_calendar_start_and_count() -> None:
    # Each report counts the same deadlines from the same day: the second count looks at no day again.
    from casework.rules.working_days import Calendar

    start = date(2026, 2, 2)
    before = Calendar.add_working_days.cache_info()
    first = Calendar().add_working_days(start, 14)
    again = Calendar().add_working_days(start, 14)
    after = Calendar.add_working_days.cache_info()
    assert first == again == date(2026, 2, 24)
    assert after.hits >= before.hits + 1
    # A calendar with another override is another calendar: nothing kept for the first one answers for it.
    assert Calendar(extra_holidays=frozenset({date(2026, 2, 24)})).add_working_days(start, 14) == date(2026, 2, 25)
    assert Calendar(extra_working_days=frozenset({date(2026, 2, 16)})).add_working_days(start, 14) == date(2026, 2, 23)
