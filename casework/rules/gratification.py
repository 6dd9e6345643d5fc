"""Gratification exemptions (DOMAIN.md §3): which threshold, in force on the gift's date, may cover a gift.

Pure: no Django. The thresholds are data (``casework.GratificationThreshold``, effective-dated by the date
the gift was received); ``casework.cases.gratification`` loads them and words the warnings. The check only
ever warns: a report is never blocked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# Codes of the gratification form's choices that the rules depend on; the model choices
# (``casework.cases.models``) use these same values.
OCCASION_CEREMONY = "pernikahan"
OCCASION_CALAMITY = "musibah"
OCCASION_COLLEAGUE_EVENT = "pisah_sambut"
RELATIONSHIP_FAMILY = "keluarga"
RELATIONSHIP_COLLEAGUE = "rekan_kerja"
# Gift types that count as cash for the "non-cash gift between colleagues" exemption.
CASH_LIKE_GIFT_TYPES = frozenset({"uang", "voucher", "logam_mulia"})

# Threshold categories.
CEREMONY = "ceremony"
COLLEAGUE = "colleague"
COLLEAGUE_OCCASION = "colleague_occasion"
CALAMITY = "calamity"


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


@dataclass(frozen=True)
class Findings:
    """Why a gift may need no report: it came from family, and/or it is within ``threshold``."""

    from_family: bool
    threshold: Threshold | None

    @property
    def looks_exempt(self) -> bool:
        """True when anything suggests the gift may be exempt."""
        return self.from_family or self.threshold is not None


def categories(gift: Gift) -> list[str]:
    """Return the threshold categories that may cover the gift, most specific first."""
    if gift.occasion == OCCASION_CEREMONY:
        return [CEREMONY]
    if gift.occasion == OCCASION_CALAMITY:
        return [CALAMITY]
    if gift.relationship == RELATIONSHIP_COLLEAGUE:
        if gift.occasion == OCCASION_COLLEAGUE_EVENT:
            return [COLLEAGUE_OCCASION, COLLEAGUE]
        return [COLLEAGUE]
    return []


def exemption_findings(gift: Gift, thresholds: Iterable[Threshold]) -> Findings:
    """Return whether ``gift`` looks exempt under the thresholds in force on the day it was received.

    The first matching threshold of the most specific category wins. A threshold for non-cash gifts never
    covers cash-like gifts, and only gifts valued in rupiah are compared with the limits.
    """
    in_force = [t for t in thresholds if t.in_force_on(gift.received_on)]
    found = None
    for category in categories(gift):
        for threshold in (t for t in in_force if t.category == category):
            if threshold.non_cash_only and gift.gift_type in CASH_LIKE_GIFT_TYPES:
                continue
            if gift.currency != "IDR" or gift.value > threshold.per_giver_limit:
                continue
            found = threshold
            break
        if found is not None:
            break
    return Findings(from_family=gift.relationship == RELATIONSHIP_FAMILY, threshold=found)
