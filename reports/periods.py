"""A reporting period: two inclusive days in the site's time zone (Asia/Jakarta)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from reports.exceptions import ReportInputError

# A PDF or statistics page covers at most this many days (ten years), so a typo cannot ask for millennia.
MAX_DAYS = 3660


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included."""

    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        """The first moment of the period (aware, site time zone)."""
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def ends_before(self) -> datetime:
        """The first moment after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def months(self) -> list[date]:
        """Return the first day of every month the period touches, in order."""
        first = self.start.replace(day=1)
        months = []
        while first <= self.end:
            months.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return months

    def __str__(self) -> str:
        return f"{self.start:%d-%m-%Y} – {self.end:%d-%m-%Y}"


def parse_day(value: str | date | None, *, field: str) -> date | None:
    """Return ``value`` as a date (ISO ``YYYY-MM-DD``), None when empty; raise ``ReportInputError`` otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ReportInputError(
            _("%(field)s must be a date written as YYYY-MM-DD, not %(value)r.") % {"field": field, "value": value}
        ) from None


def make_period(start: str | date | None, end: str | date | None) -> Period:
    """Return the period from ``start`` to ``end``; both default to this year so far (Asia/Jakarta).

    Raises ``ReportInputError`` for unreadable or inverted dates and for periods longer than ten years.
    """
    today = timezone.localdate()
    first = parse_day(start, field=_("The start date"))
    last = parse_day(end, field=_("The end date"))
    if first is None:
        first = (last or today).replace(month=1, day=1)
    if last is None:
        last = max(first, today)
    if last < first:
        raise ReportInputError(
            _("The period ends (%(end)s) before it starts (%(start)s).")
            % {"start": first.isoformat(), "end": last.isoformat()}
        )
    if (last - first).days > MAX_DAYS:
        raise ReportInputError(_("A period can cover at most ten years."))
    return Period(first, last)
