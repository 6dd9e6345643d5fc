"""Gratification exemption warnings: the pure check (``casework.rules.gratification``) on the stored thresholds,
worded for the reporter. A warning never blocks a report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from casework.cases.models import GratificationThreshold
from casework.rules.gratification import Gift, Threshold, exemption_findings

__all__ = ["Gift", "Threshold", "exemption_warnings", "gift_warnings", "thresholds_from_db"]


def _rupiah(amount: int) -> str:
    return "Rp" + number_format(amount, decimal_pos=0, use_l10n=True, force_grouping=True)


def exemption_warnings(gift: Gift, thresholds: Iterable[Threshold]) -> list[str]:
    """Return reporter-facing warnings when ``gift`` looks exempt under the thresholds in force on its date."""
    findings = exemption_findings(gift, thresholds)
    warnings: list[str] = []
    if findings.from_family:
        warnings.append(
            _(
                "Gifts from family members need no report when there is no conflict of interest. "
                "If in doubt, report anyway."
            )
        )
    threshold = findings.threshold
    if threshold is not None:
        message = _(
            "This gift may be exempt from reporting: under the rules in force on %(date)s, gifts of the kind "
            "“%(category)s” up to %(limit)s per giver need no report."
        ) % {
            "date": gift.received_on.isoformat(),
            "category": GratificationThreshold.Category(threshold.category).label,
            "limit": _rupiah(threshold.per_giver_limit),
        }
        if threshold.yearly_limit is not None:
            message += " " + _("The same giver may give at most %(limit)s a year.") % {
                "limit": _rupiah(threshold.yearly_limit)
            }
        warnings.append(message + " " + _("Your report has been received all the same."))
    return warnings


def thresholds_from_db() -> Sequence[Threshold]:
    """Return the thresholds stored in the database as plain data."""
    return [
        Threshold(
            category=row.category,
            per_giver_limit=row.per_giver_limit,
            yearly_limit=row.yearly_limit,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            non_cash_only=row.non_cash_only,
        )
        for row in GratificationThreshold.objects.all()
    ]


def gift_warnings(gift: Gift) -> list[str]:
    """Return the exemption warnings for ``gift`` under the stored thresholds."""
    return exemption_warnings(gift, thresholds_from_db())
