"""The community satisfaction index (IKM) of Permenpan RB 14/2017, as pure arithmetic. No Django.

Each answer gives every element (unsur) a score from 1 to 4. The mean score of an element over the answers is
its NRR (nilai rata-rata); the IKM of the unit is the mean of the element NRRs (each weighted 1/9 for nine
elements) times 25, a value from 25 to 100. Its quality category (mutu pelayanan A-D, with the unit's
performance: sangat baik, baik, kurang baik, tidak baik) comes from intervals of that converted value, which
the inspectorate keeps as data (the seed values are the regulation's).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeGuard

MIN_SCORE = 1
MAX_SCORE = 4
CONVERSION = 25


@dataclass(frozen=True)
class QualityInterval:
    """A quality category: IKM values from ``lower`` to ``upper`` (both included, two decimals)."""

    lower: Decimal
    upper: Decimal
    grade: str
    label: str


# Permenpan RB 14/2017, Lampiran: nilai interval konversi (IKM) → mutu pelayanan, kinerja unit pelayanan.
DEFAULT_INTERVALS: tuple[tuple[str, str, str, str], ...] = (
    ("25.00", "64.99", "D", "Tidak baik"),
    ("65.00", "76.60", "C", "Kurang baik"),
    ("76.61", "88.30", "B", "Baik"),
    ("88.31", "100.00", "A", "Sangat baik"),
)


def valid_score(value: object) -> TypeGuard[int]:
    """True for a whole number from 1 to 4 (not a bool, not a float)."""
    return isinstance(value, int) and not isinstance(value, bool) and MIN_SCORE <= value <= MAX_SCORE


def element_means(answers: Iterable[Mapping[str, int]], codes: Sequence[str]) -> dict[str, Decimal]:
    """Return the mean score (NRR) of each element code over the answers that scored it."""
    totals = {code: 0 for code in codes}
    counts = {code: 0 for code in codes}
    for answer in answers:
        for code in codes:
            score = answer.get(code)
            if valid_score(score):
                totals[code] += score
                counts[code] += 1
    return {code: Decimal(totals[code]) / counts[code] for code in codes if counts[code]}


def index(means: Mapping[str, Decimal]) -> Decimal | None:
    """Return the IKM (mean of the element means × 25), rounded to two decimals; None without elements."""
    if not means:
        return None
    value = sum(means.values(), Decimal(0)) / len(means) * CONVERSION
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def category(value: Decimal, intervals: Sequence[QualityInterval]) -> QualityInterval | None:
    """Return the interval ``value`` (two decimals) falls in, or None when it falls in none."""
    rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return next((i for i in intervals if i.lower <= rounded <= i.upper), None)


def check_intervals(intervals: Sequence[QualityInterval]) -> list[str]:
    """Return what is wrong with a set of intervals (empty when they cover 25-100 without gaps or overlaps)."""
    problems = []
    ordered = sorted(intervals, key=lambda i: i.lower)
    if not ordered:
        return ["no intervals"]
    if ordered[0].lower > Decimal(MIN_SCORE * CONVERSION):
        problems.append(f"nothing covers {MIN_SCORE * CONVERSION}")
    if ordered[-1].upper < Decimal(MAX_SCORE * CONVERSION):
        problems.append(f"nothing covers {MAX_SCORE * CONVERSION}")
    for before, after in itertools.pairwise(ordered):
        if after.lower <= before.upper:
            problems.append(f"{before.grade} and {after.grade} overlap")
        elif after.lower - before.upper > Decimal("0.01"):
            problems.append(f"a gap between {before.grade} and {after.grade}")
    return problems
