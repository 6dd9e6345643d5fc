"""Gratification exemption thresholds: a pure check of one gift against the thresholds in force then.

The thresholds are data (``casework.GratificationThreshold``, filled by a migration), effective-dated by the
date the gift was received. The check only ever *warns*: a report is never blocked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from casework.models import CASH_LIKE_GIFT_TYPES, GiftOccasion, GiverRelationship, GratificationThreshold

Category = GratificationThreshold.Category


@dataclass(frozen=True)
class Threshold:
    """One exemption threshold, as plain data."""

    category: str
    per_giver_limit: int
    yearly_limit: int | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    non_cash_only: bool = False

    def in_force_on(self, day: date) -> bool:
        """Return True when the threshold applies to a gift received on ``day``."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@dataclass(frozen=True)
class Gift:
    """What the check needs to know about a gift."""

    received_on: date
    value: Decimal
    currency: str
    gift_type: str
    occasion: str
    relationship: str


def _categories(gift: Gift) -> list[str]:
    """Return the threshold categories that may cover the gift, most specific first."""
    if gift.occasion == GiftOccasion.PERNIKAHAN:
        return [Category.CEREMONY]
    if gift.occasion == GiftOccasion.MUSIBAH:
        return [Category.CALAMITY]
    if gift.relationship == GiverRelationship.REKAN_KERJA:
        if gift.occasion == GiftOccasion.PISAH_SAMBUT:
            return [Category.COLLEAGUE_OCCASION, Category.COLLEAGUE]
        return [Category.COLLEAGUE]
    return []


def _rupiah(amount: int) -> str:
    return "Rp" + number_format(amount, decimal_pos=0, use_l10n=True, force_grouping=True)


def exemption_warnings(gift: Gift, thresholds: Iterable[Threshold]) -> list[str]:
    """Return reporter-facing warnings when ``gift`` looks exempt under the thresholds in force on its date."""
    warnings: list[str] = []
    if gift.relationship == GiverRelationship.KELUARGA:
        warnings.append(
            _(
                "Gifts from family members need no report when there is no conflict of interest. "
                "If in doubt, report anyway."
            )
        )
    in_force = [t for t in thresholds if t.in_force_on(gift.received_on)]
    for category in _categories(gift):
        for threshold in (t for t in in_force if t.category == category):
            if threshold.non_cash_only and gift.gift_type in CASH_LIKE_GIFT_TYPES:
                continue
            if gift.currency != "IDR" or gift.value > threshold.per_giver_limit:
                continue
            message = _(
                "This gift may be exempt from reporting: under the rules in force on %(date)s, gifts of the kind "
                "“%(category)s” up to %(limit)s per giver need no report."
            ) % {
                "date": gift.received_on.isoformat(),
                "category": Category(category).label,
                "limit": _rupiah(threshold.per_giver_limit),
            }
            if threshold.yearly_limit is not None:
                message += " " + _("The same giver may give at most %(limit)s a year.") % {
                    "limit": _rupiah(threshold.yearly_limit)
                }
            warnings.append(message + " " + _("Your report has been received all the same."))
            return warnings
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
