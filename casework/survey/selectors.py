"""Reads of the satisfaction survey: the elements to ask, the categories, whether a case may answer, and the
answers counted per calendar quarter and service (never per case: an answer does not know its case)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from casework.cases.models import Case
from casework.rules import satisfaction as rules
from casework.survey.models import SatisfactionCategory, SurveyElement, SurveyResponse


def quarter_of(day: date) -> date:
    """Return the first day of the calendar quarter that holds ``day``."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(quarter: date) -> date:
    """Return the last day of the quarter starting on ``quarter``."""
    month = quarter.month + 3
    following = date(quarter.year + (month > 12), (month - 1) % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def ended_quarters_within(start: date, end: date, *, today: date | None = None) -> list[date]:
    """Return the quarters lying wholly between ``start`` and ``end`` that have ended before ``today``.

    Answers are dated by quarter only, so a period counts whole quarters; a quarter still running is never
    counted, because each new answer would change its figures and the change would show that one answer.
    """
    today = today or timezone.localdate()
    quarters = []
    first = quarter_of(start)
    if first < start:
        first = quarter_of(date.fromordinal(quarter_end(first).toordinal() + 1))
    while quarter_end(first) <= end and quarter_end(first) < today:
        quarters.append(first)
        first = date.fromordinal(quarter_end(first).toordinal() + 1)
    return quarters


def survey_elements() -> list[SurveyElement]:
    """Return the elements asked now, in order."""
    return list(SurveyElement.objects.filter(active=True).order_by("position", "code"))


def quality_intervals() -> list[rules.QualityInterval]:
    """Return the quality categories of the index, lowest first."""
    return [row.as_interval() for row in SatisfactionCategory.objects.order_by("lower")]


def survey_open_for(case: Case) -> bool:
    """True when the case's reporter may answer the survey now: closed, not destroyed, not yet answered."""
    return case.closed_at is not None and case.shredded_at is None and not case.survey_answered


@dataclass
class Cell:
    """The answers of one quarter and one service: how many, and the score sums per element code."""

    answers: int = 0
    sums: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, scores: dict[str, object]) -> None:
        """Count one answer."""
        self.answers += 1
        for code, score in scores.items():
            if rules.valid_score(score):
                self.sums[code] = self.sums.get(code, 0) + score
                self.counts[code] = self.counts.get(code, 0) + 1

    def merge(self, other: Cell) -> None:
        """Add another cell's answers to this one."""
        self.answers += other.answers
        for code, total in other.sums.items():
            self.sums[code] = self.sums.get(code, 0) + total
            self.counts[code] = self.counts.get(code, 0) + other.counts.get(code, 0)


def answer_cells(*, quarters: Sequence[date], service: str = "") -> dict[tuple[date, str], Cell]:
    """Return the answers per (quarter, service) for the given quarters (one service, or all)."""
    rows = SurveyResponse.objects.filter(quarter__in=list(quarters))
    if service:
        rows = rows.filter(service=service)
    cells: dict[tuple[date, str], Cell] = {}
    for quarter, kind, scores in rows.values_list("quarter", "service", "scores").order_by():
        cells.setdefault((quarter, str(kind)), Cell()).add(dict(scores or {}))
    return cells
