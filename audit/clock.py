"""The times Peluit stores: exact for staff and the system, coarse for what a reporter caused.

A copy of the database or of the audit log must not be matchable against a network log to the second, so
every time a reporter's request writes (a case received, a reporter's message or file, the audit events of
that request, the vault rows made for it) is stored rounded down to ``PELUIT_REPORTER_TIME_GRANULARITY``
seconds (default 3600). The rounding counts from local midnight (``TIME_ZONE``) and the granularity divides a
day, so a rounded time keeps its local date: the working-day clocks, which count from the date, are unaffected.

Code that serves a reporter's request wraps its writes in ``reporter_time()``; inside it ``now()`` is coarse,
and ``audit.services.record`` stores coarse times. Model fields that record when a row was made use
``now`` as their default, so rows made for a reporter are coarse without each writer remembering it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

DEFAULT_GRANULARITY = 3600
DAY_SECONDS = 86_400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_REPORTER_TIME: ContextVar[bool] = ContextVar("peluit_reporter_time", default=False)


def granularity() -> int:
    """Return the configured granularity of reporter times in seconds (a divisor of one day)."""
    return int(getattr(settings, "PELUIT_REPORTER_TIME_GRANULARITY", DEFAULT_GRANULARITY))


def valid_granularity(seconds: int) -> bool:
    """Return True for a granularity the rounding supports: 1 second to 1 day, dividing a day evenly."""
    return 1 <= seconds <= DAY_SECONDS and DAY_SECONDS % seconds == 0


def coarse(moment: datetime, *, seconds: int | None = None) -> datetime:
    """Return ``moment`` rounded down to ``seconds`` (default: the setting), counted from local midnight.

    The result is aware and in the current time zone; its local date is the date of ``moment``.
    """
    step = granularity() if seconds is None else seconds
    if not valid_granularity(step):
        raise ValueError(f"the reporter time granularity must divide a day (1 to {DAY_SECONDS} s), not {step}")
    zone = timezone.get_current_timezone()
    kept = _last_window
    if kept is not None and kept[0] == step and kept[1] is zone and kept[2] <= moment < kept[3]:
        return kept[4]
    local = timezone.localtime(moment, zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((local - midnight).total_seconds())
    rounded = midnight + timedelta(seconds=elapsed - elapsed % step)
    ends = rounded + timedelta(seconds=step)
    # Every moment of [rounded, ends) rounds to ``rounded`` when the zone's offset does not change inside it
    # (no daylight-saving switch): kept for the next call, as a request asks several times (its rows' times).
    if rounded.utcoffset() == timezone.localtime(ends, zone).utcoffset():
        _remember((step, zone, rounded.astimezone(UTC), ends.astimezone(UTC), rounded))
    return rounded


# The last window ``coarse`` worked out: (step, zone, start and end in UTC, the rounded time). One tuple,
# replaced whole, so threads never see half of one.
_last_window: tuple[int, object, datetime, datetime, datetime] | None = None


def _remember(window: tuple[int, object, datetime, datetime, datetime]) -> None:
    global _last_window
    _last_window = window


@contextmanager
def reporter_time() -> Iterator[None]:
    """Store coarse times for everything written inside the block (a reporter's request)."""
    token = _REPORTER_TIME.set(True)
    try:
        yield
    finally:
        _REPORTER_TIME.reset(token)


def in_reporter_time() -> bool:
    """Return True inside ``reporter_time()``."""
    return _REPORTER_TIME.get()


def now() -> datetime:
    """Return the time to store for a row made now: coarse inside ``reporter_time()``, exact otherwise."""
    moment = timezone.now()
    return coarse(moment) if in_reporter_time() else moment


def to_us(moment: datetime) -> int:
    """Return ``moment`` as whole microseconds since 1970-01-01 UTC."""
    delta = moment - _EPOCH
    return (delta.days * DAY_SECONDS + delta.seconds) * 1_000_000 + delta.microseconds
