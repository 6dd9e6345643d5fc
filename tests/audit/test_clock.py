"""Reporter-caused times are stored coarse (audit/clock.py); staff times exact; the log's time never runs back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.checks import run_checks
from django.db import transaction
from django.utils import timezone

from audit import clock
from audit.actions import Action
from audit.models import AuditEvent
from audit.services import record

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(hour: int, minute: int, second: int, micro: int = 0, *, day: int = 4) -> datetime:
    return datetime(2030, 12, day, hour, minute, second, micro, tzinfo=JAKARTA)  # after any real event


@pytest.mark.parametrize(
    ("moment", "seconds", "expected"),
    [
        (at(10, 41, 7, 123), 3600, at(10, 0, 0)),
        (at(10, 0, 0), 3600, at(10, 0, 0)),
        (at(23, 59, 59, 999_999), 3600, at(23, 0, 0)),
        (at(0, 0, 1), 3600, at(0, 0, 0)),
        (at(10, 41, 7), 900, at(10, 30, 0)),
        (at(10, 41, 7), 1, at(10, 41, 7)),
        (at(23, 59, 59), 86_400, at(0, 0, 0)),
    ],
)
def test_coarse_rounds_down_from_local_midnight(moment: datetime, seconds: int, expected: datetime) -> None:
    assert clock.coarse(moment, seconds=seconds) == expected


def test_a_day_granularity_keeps_the_local_date_that_working_days_count_from() -> None:
    # 03:00 in Jakarta on 5 December is still 4 December in UTC: rounding in UTC would move the date back a day.
    moment = at(3, 0, 0, day=5)
    assert moment.astimezone(UTC).date().day == 4
    rounded = clock.coarse(moment, seconds=86_400)
    assert timezone.localdate(rounded) == timezone.localdate(moment) == moment.date()


@pytest.mark.parametrize("seconds", [0, 7, 7200 * 13, 86_401, -3600])
def test_a_granularity_that_does_not_divide_a_day_is_refused(seconds: int) -> None:
    with pytest.raises(ValueError, match="divide a day"):
        clock.coarse(at(10, 0, 0), seconds=seconds)


def test_the_system_check_names_a_bad_granularity(settings: pytest.FixtureRequest) -> None:
    settings.PELUIT_REPORTER_TIME_GRANULARITY = 7000  # type: ignore[attr-defined]
    assert [m.id for m in run_checks() if m.id and m.id.startswith("audit.")] == ["audit.E003"]


def test_now_is_coarse_only_inside_reporter_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: at(10, 41, 7, 5))
    assert clock.now() == at(10, 41, 7, 5)
    with clock.reporter_time():
        assert clock.in_reporter_time()
        assert clock.now() == at(10, 0, 0)
    assert not clock.in_reporter_time() and clock.now() == at(10, 41, 7, 5)


def test_to_us_counts_microseconds_since_1970() -> None:
    assert clock.to_us(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == 1_000_005
    assert clock.to_us(at(10, 0, 0)) == int(at(10, 0, 0).timestamp()) * 1_000_000


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the time the audit log reads."""

    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


@pytest.mark.django_db
def test_reporter_events_are_stored_rounded_to_the_hour_and_staff_events_exactly(
    frozen: Callable[[datetime], None], make_staff
) -> None:
    staff = make_staff()
    frozen(at(9, 12, 30, 111))
    with transaction.atomic():
        early = record(action=Action.LOGOUT, actor=staff)
    frozen(at(10, 41, 7, 222))
    with transaction.atomic():
        reporter = record(action=Action.REPORT_SUBMITTED, actor="reporter")
    frozen(at(10, 42, 0, 333))
    with transaction.atomic():
        later = record(action=Action.LOGOUT, actor=staff)
    assert early.at == at(9, 12, 30, 111)
    assert reporter.at == at(10, 0, 0)  # nothing finer than the hour
    assert later.at == at(10, 42, 0, 333)


@pytest.mark.django_db
def test_a_reporter_event_is_never_dated_before_the_event_preceding_it(
    frozen: Callable[[datetime], None], make_staff
) -> None:
    """The log's time never runs back: a rounded time earlier than the previous event's is raised to it."""
    staff = make_staff()
    frozen(at(10, 20, 5, 1))
    with transaction.atomic():
        staff_event = record(action=Action.LOGOUT, actor=staff)
    frozen(at(10, 41, 7))
    with transaction.atomic():
        reporter = record(action=Action.FOLLOWUP_LOGIN, actor="reporter")
    assert reporter.at == staff_event.at == at(10, 20, 5, 1)
    times = list(AuditEvent.objects.order_by("seq").values_list("at_us", flat=True))
    assert times == sorted(times)


@pytest.mark.django_db
def test_every_event_written_in_reporter_time_is_coarse(frozen: Callable[[datetime], None]) -> None:
    """The system events of a reporter's request (e.g. the vault's intake grants) must not give its time away."""
    frozen(at(14, 3, 9))
    with clock.reporter_time(), transaction.atomic():
        system = record(action=Action.CASE_GRANTED, actor="system", details={"via": "intake"})
    assert system.at == at(14, 0, 0)


@pytest.mark.django_db
def test_a_server_clock_running_back_does_not_date_an_event_before_its_predecessor(
    frozen: Callable[[datetime], None],
) -> None:
    frozen(at(12, 0, 0))
    with transaction.atomic():
        first = record(action=Action.LOGOUT, actor="system")
    frozen(at(12, 0, 0) - timedelta(minutes=5))
    with transaction.atomic():
        second = record(action=Action.LOGOUT, actor="system")
    assert second.at_us == first.at_us


def _coarse_as_computed(moment: datetime, step: int) -> datetime:
    """``coarse`` worked out afresh (what it returns without the window it keeps)."""
    local = timezone.localtime(moment)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((local - midnight).total_seconds())
    return midnight + timedelta(seconds=elapsed - elapsed % step)


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Europe/Berlin", "America/Santiago"])
@pytest.mark.parametrize("step", [1, 900, 3600, 7200, 86_400])
def test_the_kept_window_gives_what_coarse_works_out_also_across_daylight_saving(zone: str, step: int) -> None:
    """Moments around Berlin's and Santiago's clock changes, forwards and backwards in time, alternating steps
    and zones: each call returns the same time and offset as working it out afresh."""
    import random

    chooser = random.Random(f"{zone}-{step}")
    starts = [datetime(2026, 3, 28, 20, tzinfo=UTC), datetime(2026, 10, 24, 20, tzinfo=UTC)]
    starts += [datetime(2026, 4, 4, 20, tzinfo=UTC), datetime(2026, 9, 5, 20, tzinfo=UTC)]  # Santiago's
    moments = [start + timedelta(seconds=chooser.randrange(0, 3 * 86_400)) for start in starts for _ in range(150)]
    chooser.shuffle(moments)
    # And in order, every 2 minutes over the changes: consecutive moments share a kept window.
    moments += [start + timedelta(seconds=s) for start in starts for s in range(0, 2 * 86_400, 120)]
    with timezone.override(ZoneInfo(zone)):
        for moment in moments:
            ours = clock.coarse(moment, seconds=step)
            expected = _coarse_as_computed(moment, step)
            assert ours == expected and ours.utcoffset() == expected.utcoffset(), moment


def test_a_changed_zone_or_granularity_is_never_answered_from_the_kept_window(settings: pytest.FixtureRequest) -> None:
    moment = datetime(2026, 6, 1, 10, 17, tzinfo=UTC)
    assert clock.coarse(moment) == datetime(2026, 6, 1, 17, tzinfo=ZoneInfo("Asia/Jakarta"))
    with timezone.override(ZoneInfo("Asia/Jayapura")):
        assert clock.coarse(moment).hour == 19 and clock.coarse(moment).utcoffset() == timedelta(hours=9)
    settings.PELUIT_REPORTER_TIME_GRANULARITY = 900  # type: ignore[attr-defined]
    assert clock.coarse(moment) == datetime(2026, 6, 1, 17, 15, tzinfo=ZoneInfo("Asia/Jakarta"))
