"""The satisfaction index (IKM) of a period: per ended calendar quarter and for the whole period, with the mean
score of each element, its quality category and a chart; small groups of answers are never shown.

The finest groups are the answers of one quarter and one service. A figure is shown only when it covers at least
``min_answers()`` answers *and* every such group inside it is either empty or that large: then no difference
between two figures (a year and its quarters, both services and one of them, a page before and after an answer)
can describe fewer answers than the minimum. A quarter is counted only after it has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from casework.models import CaseKind
from casework.rules import satisfaction as rules
from casework.survey.selectors import (
    Cell,
    answer_cells,
    ended_quarters_within,
    quality_intervals,
    survey_elements,
)
from reports import charts
from reports.periods import Period

ROMAN = ("I", "II", "III", "IV")


def min_answers() -> int:
    """Return the fewest answers a figure may describe (``PELUIT_SKM_MIN_ANSWERS``, never under the cell minimum)."""
    return max(int(getattr(settings, "PELUIT_SKM_MIN_ANSWERS", 10)), int(getattr(settings, "PELUIT_MIN_CELL", 5)), 1)


def quarter_key(quarter: date) -> str:
    """Return a quarter's stable code, e.g. ``2026-Q1``."""
    return f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}"


def quarter_label(quarter: date) -> str:
    """Return a quarter's name, e.g. "Triwulan I 2026" / "Quarter I 2026"."""
    return _("Quarter %(n)s %(year)s") % {"n": ROMAN[(quarter.month - 1) // 3], "year": quarter.year}


@dataclass(frozen=True)
class SatisfactionRow:
    """The index of one quarter (or of the whole period): None everywhere when it is not shown."""

    key: str
    label: str
    answers: int | None
    index: Decimal | None
    grade: str
    performance: str
    element_means: tuple[Decimal | None, ...]

    @property
    def shown(self) -> bool:
        """True when the row's figures are published."""
        return self.index is not None


@dataclass(frozen=True)
class SatisfactionSummary:
    """The IKM of a period: one row per ended quarter wholly in it, then the period."""

    service_label: str
    elements: tuple[tuple[str, str], ...]  # (code, short name)
    periods: tuple[SatisfactionRow, ...]
    min_answers: int
    chart: str

    @property
    def any_shown(self) -> bool:
        """True when at least one figure is published."""
        return any(row.shown for row in self.periods)

    def csv_rows(self) -> list[tuple[str, str, str, str]]:
        """Return the figures in the long form of the statistics CSV (table, row, column, value)."""
        title = _("Community satisfaction index (IKM)")
        rows: list[tuple[str, str, str, str]] = []
        for row in self.periods:

            def text(value: object) -> str:
                return "" if value is None else str(value)

            rows.append((title, row.label, _("Answers"), text(row.answers)))
            rows.append((title, row.label, _("IKM"), text(row.index)))
            rows.append((title, row.label, _("Quality"), row.grade))
            for (_code, name), mean in zip(self.elements, row.element_means, strict=True):
                rows.append((title, row.label, name, text(mean)))
        return rows


def _row(
    key: str, label: str, cells: list[Cell], codes: list[str], threshold: int, intervals: list[rules.QualityInterval]
) -> SatisfactionRow:
    merged = Cell()
    for cell in cells:
        merged.merge(cell)
    publishable = merged.answers >= threshold and all(c.answers == 0 or c.answers >= threshold for c in cells)
    if not publishable:
        return SatisfactionRow(key, label, None, None, "", "", tuple(None for _c in codes))
    means = {code: Decimal(merged.sums[code]) / merged.counts[code] for code in codes if merged.counts.get(code)}
    value = rules.index(means)
    category = rules.category(value, intervals) if value is not None else None
    rounded = tuple(means[code].quantize(Decimal("0.01")) if code in means else None for code in codes)
    return SatisfactionRow(
        key,
        label,
        merged.answers,
        value,
        category.grade if category else "",
        category.label if category else "",
        rounded,
    )


def satisfaction_summary(*, period: Period, kind: str = "", today: date | None = None) -> SatisfactionSummary:
    """Return the IKM of ``period`` (one kind of report, or both) per ended quarter and in total."""
    threshold = min_answers()
    elements = survey_elements()
    codes = [e.code for e in elements]
    intervals = quality_intervals()
    quarters = ended_quarters_within(period.start, period.end, today=today)
    cells = answer_cells(quarters=quarters, service=kind)
    services = [kind] if kind else [k.value for k in CaseKind]
    rows = []
    for quarter in quarters:
        group = [cells.get((quarter, service), Cell()) for service in services]
        rows.append(_row(quarter_key(quarter), quarter_label(quarter), group, codes, threshold, intervals))
    if len(quarters) > 1:
        everything = [cells.get((q, s), Cell()) for q in quarters for s in services]
        rows.append(_row("period", _("Whole period"), everything, codes, threshold, intervals))
    title = _("Community satisfaction index (IKM)")
    chart = ""
    if any(row.shown for row in rows):
        values = [None if row.index is None else int(row.index.to_integral_value()) for row in rows]
        texts = ["" if row.index is None else f"{row.index} ({row.grade})" for row in rows]
        chart = charts.bar_chart(title, [row.label for row in rows], values, value_labels=texts, scale_max=100)
    return SatisfactionSummary(
        service_label=str(CaseKind(kind).label) if kind else _("All reports"),
        elements=tuple((e.code, e.name) for e in elements),
        periods=tuple(rows),
        min_answers=threshold,
        chart=chart,
    )
