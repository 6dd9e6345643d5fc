"""The recap's figures: counts of cases in a period as suppressed tables, medians, and their charts.

Everything here reads clear metadata only (kind, status, organisation, violation type, gift type, dates,
message times); no sealed content and nothing about reporters. The same ``Recap`` feeds the recap PDF, the
console's statistics page and its CSV download, so the three always agree.

Tables are registered builders (``RECAP_TABLES``); the casework issue (channel, category, outcome, deadline
compliance per rule) adds its tables by appending a builder, without touching the PDF or the page.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import formats
from django.utils.translation import gettext as _

from casework.models import Case, CaseKind, CaseMessage, CaseStatus, GiftType, Organisation, ViolationType
from reports import charts
from reports.periods import Period
from reports.suppression import Position, SuppressedTable, suppress_matrix, suppress_value

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class RecapFilters:
    """What the recap covers: a period, optionally one kind and one organisation."""

    period: Period
    kind: str = ""
    organisation: Organisation | None = None


@dataclass(frozen=True)
class RecapTable:
    """One table of the recap, with its chart (SVG) and a note."""

    key: str
    title: str
    table: SuppressedTable
    chart: str = ""
    note: str = ""


@dataclass(frozen=True)
class MedianFigure:
    """A median duration in days over ``cases`` cases (None when unknown or suppressed)."""

    key: str
    label: str
    days: float | None
    cases: int
    note: str = ""


@dataclass
class Recap:
    """Every figure of the recap for one set of filters."""

    filters: RecapFilters
    min_cell: int
    total: int
    tables: list[RecapTable] = field(default_factory=list)
    medians: list[MedianFigure] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when no case was received in the period (under the filters)."""
        return self.total == 0


@dataclass(frozen=True)
class _Context:
    filters: RecapFilters
    cases: QuerySet[Case]
    kinds: list[CaseKind]
    kind_state: dict[CaseKind, bool]  # kind total hidden?
    total_hidden: bool
    k: int
    months: list[date]

    def fixed_kind_totals(self, rows: int) -> dict[Position, bool]:
        """The totals row of a rows × kinds table: the per-kind counts as published in the first table."""
        fixed: dict[Position, bool] = {(rows, c): self.kind_state[kind] for c, kind in enumerate(self.kinds)}
        if len(self.kinds) > 1:
            fixed[(rows, len(self.kinds))] = self.total_hidden
        return fixed


TableBuilder = Callable[[_Context], RecapTable | None]
RECAP_TABLES: list[TableBuilder] = []


def recap_table(builder: TableBuilder) -> TableBuilder:
    """Register a table builder; tables appear in the order they are registered."""
    RECAP_TABLES.append(builder)
    return builder


def min_cell() -> int:
    """Return the suppression threshold (``PELUIT_MIN_CELL``, at least 1)."""
    return max(1, int(getattr(settings, "PELUIT_MIN_CELL", 5)))


def _case_filters(filters: RecapFilters, prefix: str = "") -> dict[str, Any]:
    lookups: dict[str, Any] = {
        f"{prefix}received_at__gte": filters.period.starts_at,
        f"{prefix}received_at__lt": filters.period.ends_before,
    }
    if filters.kind:
        lookups[f"{prefix}kind"] = filters.kind
    if filters.organisation is not None:
        lookups[f"{prefix}organisation"] = filters.organisation
    return lookups


def cases_for(filters: RecapFilters) -> QuerySet[Case]:
    """Return the cases the recap counts: received in the period (Asia/Jakarta days), under the filters."""
    return Case.objects.filter(**_case_filters(filters)).order_by()


def _by_kind(cases: QuerySet[Case], field_name: str) -> dict[tuple[str, str], int]:
    rows = cases.values_list(field_name, "kind").annotate(n=Count("id")).order_by()
    return {(str(value) if value is not None else "", str(kind)): int(n) for value, kind, n in rows}


def _matrix(counts: dict[tuple[str, str], int], row_keys: list[str], kinds: list[CaseKind]) -> list[list[int]]:
    return [[counts.get((key, kind.value), 0) for kind in kinds] for key in row_keys]


def _kind_labels(kinds: list[CaseKind]) -> list[str]:
    return [str(kind.label) for kind in kinds]


# A bar chart with more bars than this shows the largest ones (the table under it lists every row).
MAX_BARS = 15


def _bar(title: str, table: SuppressedTable) -> str:
    rows = list(zip(table.row_labels, table.row_totals, strict=True))
    if len(rows) > MAX_BARS:
        rows = sorted(rows, key=lambda row: -1 if row[1] is None else row[1], reverse=True)[:MAX_BARS]
    return charts.bar_chart(title, [label for label, _v in rows], [value for _label, value in rows])


def _many_rows_note(table: SuppressedTable) -> str:
    if len(table.row_labels) <= MAX_BARS:
        return ""
    return str(_("The chart shows the %(n)s largest rows; the table lists all of them.") % {"n": MAX_BARS})


@recap_table
def _kinds_table(ctx: _Context) -> RecapTable:
    counts = _by_kind(ctx.cases, "kind")
    matrix = [[counts.get((kind.value, kind.value), 0)] for kind in ctx.kinds]
    fixed: dict[Position, bool] = {(i, 0): ctx.kind_state[kind] for i, kind in enumerate(ctx.kinds)}
    table = suppress_matrix(matrix, k=ctx.k, row_labels=_kind_labels(ctx.kinds), col_labels=[_("Reports")], fixed=fixed)
    title = _("Reports by kind")
    return RecapTable("kind", title, table, chart=_bar(title, table))


@recap_table
def _months_table(ctx: _Context) -> RecapTable:
    # One conditional count per month (boundaries in the site's time zone): the database compares dates in C,
    # which is several times faster than truncating every row's timestamp to its month.
    bounds = [*ctx.months, (ctx.months[-1] + timedelta(days=32)).replace(day=1)]
    tz = ZoneInfo(settings.TIME_ZONE)
    edges = [datetime.combine(day, time.min, tzinfo=tz) for day in bounds]
    counts_by_month = {
        f"m{i}": Count("id", filter=Q(received_at__gte=edges[i], received_at__lt=edges[i + 1]))
        for i in range(len(ctx.months))
    }
    rows = ctx.cases.values("kind").annotate(**counts_by_month).order_by()
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        values = cast(dict[str, Any], row)
        for i, month in enumerate(ctx.months):
            counts[(month.isoformat(), str(values["kind"]))] = int(values[f"m{i}"])
    keys = [m.isoformat() for m in ctx.months]
    labels = [formats.date_format(m, "M Y") for m in ctx.months]
    table = suppress_matrix(
        _matrix(counts, keys, ctx.kinds),
        k=ctx.k,
        row_labels=labels,
        col_labels=_kind_labels(ctx.kinds),
        fixed=ctx.fixed_kind_totals(len(keys)),
    )
    title = _("Reports per month")
    series = [(str(kind.label), table.column(c)) for c, kind in enumerate(ctx.kinds)]
    chart = charts.line_chart(title, [formats.date_format(m, "M y") for m in ctx.months], series)
    return RecapTable("month", title, table, chart=chart)


@recap_table
def _status_table(ctx: _Context) -> RecapTable:
    counts = _by_kind(ctx.cases, "status")
    present = {status for status, _kind in counts}
    keys = [s.value for s in CaseStatus if s.value in present]
    table = suppress_matrix(
        _matrix(counts, keys, ctx.kinds),
        k=ctx.k,
        row_labels=[str(CaseStatus(s).label) for s in keys],
        col_labels=_kind_labels(ctx.kinds),
        fixed=ctx.fixed_kind_totals(len(keys)),
    )
    title = _("Reports by status")
    return RecapTable("status", title, table, chart=_bar(title, table) if keys else "", note=_many_rows_note(table))


@recap_table
def _organisation_table(ctx: _Context) -> RecapTable:
    counts = _by_kind(ctx.cases, "organisation")
    ids = sorted({int(key) for key, _kind in counts if key})
    names = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))
    keys = sorted((str(pk) for pk in ids), key=lambda pk: names.get(int(pk), ""))
    labels = [names.get(int(pk), pk) for pk in keys]
    if any(key == "" for key, _kind in counts):
        keys.append("")
        labels.append(_("Not stated"))
    table = suppress_matrix(
        _matrix(counts, keys, ctx.kinds),
        k=ctx.k,
        row_labels=labels,
        col_labels=_kind_labels(ctx.kinds),
        fixed=ctx.fixed_kind_totals(len(keys)),
    )
    title = _("Reports by organisation concerned")
    chart = _bar(title, table) if keys else ""
    return RecapTable("organisation", title, table, chart=chart, note=_many_rows_note(table))


def _single_kind_table(
    ctx: _Context, *, kind: CaseKind, field_name: str, choices: type[ViolationType] | type[GiftType]
) -> SuppressedTable | None:
    if kind not in ctx.kinds:
        return None
    counts = _by_kind(ctx.cases.filter(kind=kind), field_name)
    keys = [c.value for c in choices]
    labels = [str(c.label) for c in choices]
    if any(key == "" for key, _kind in counts):
        keys.append("")
        labels.append(_("Not stated"))
    matrix = [[counts.get((key, kind.value), 0)] for key in keys]
    return suppress_matrix(
        matrix,
        k=ctx.k,
        row_labels=labels,
        col_labels=[str(kind.label)],
        fixed={(len(keys), 0): ctx.kind_state[kind]},
    )


@recap_table
def _violation_table(ctx: _Context) -> RecapTable | None:
    table = _single_kind_table(ctx, kind=CaseKind.WBS, field_name="violation_type", choices=ViolationType)
    if table is None:
        return None
    title = _("Whistleblowing reports by violation type")
    return RecapTable("violation_type", title, table, chart=_bar(title, table))


@recap_table
def _gift_table(ctx: _Context) -> RecapTable | None:
    kind = CaseKind.GRATIFICATION
    if kind not in ctx.kinds:
        return None
    grt = ctx.cases.filter(kind=kind)
    rows = grt.values_list("gift_type", "is_refusal").annotate(n=Count("id")).order_by()
    counts = {(str(gift), bool(refusal)): int(n) for gift, refusal, n in rows}
    keys = [g.value for g in GiftType]
    labels = [str(g.label) for g in GiftType]
    if any(gift == "" for gift, _refusal in counts):
        keys.append("")
        labels.append(_("Not stated"))
    matrix = [[counts.get((key, False), 0), counts.get((key, True), 0)] for key in keys]
    table = suppress_matrix(
        matrix,
        k=ctx.k,
        row_labels=labels,
        col_labels=[_("Gifts received"), _("Gifts refused")],
        fixed={(len(keys), 2): ctx.kind_state[kind]},
    )
    title = _("Gratification reports by gift type")
    return RecapTable("gift_type", title, table, chart=_bar(title, table))


def _median_days(pairs: Sequence[tuple[Any, Any]], k: int) -> tuple[float | None, int]:
    days = []
    for start, end in pairs:
        if start is None or end is None:
            continue
        delta = end - start
        days.append(delta.total_seconds() / 86400)
    if len(days) < k:
        return None, len(days)
    return round(statistics.median(days), 1), len(days)


def _medians(ctx: _Context) -> list[MedianFigure]:
    # The first message an officer wrote (the automatic acknowledgement has no author), per case; read from
    # the messages side so only answered cases are touched.
    pairs = list(
        CaseMessage.objects.filter(
            **_case_filters(ctx.filters, "case__"), sender=CaseMessage.Sender.INSPECTORATE, author__isnull=False
        )
        .values("case_id")
        .annotate(received=Min("case__received_at"), first_reply=Min("created_at"))
        .order_by()
        .values_list("received", "first_reply")
    )
    days, n = _median_days(pairs, ctx.k)
    return [
        MedianFigure(
            "first_response",
            _("Median time to the inspectorate's first message"),
            days,
            suppress_value(n, k=ctx.k) or 0,
            note=_("Calendar days from receipt to the first message an officer wrote (not the automatic receipt)."),
        ),
        MedianFigure(
            "closure",
            _("Median time to closure"),
            None,
            0,
            note=_("Not derivable yet: status changes are not recorded with their dates before the casework update."),
        ),
    ]


def build_recap(filters: RecapFilters, *, progress: Progress | None = None) -> Recap:
    """Return every figure of the recap for ``filters``; ``progress(percent, step)`` is called as it goes."""
    report = progress or (lambda _percent, _step: None)
    k = min_cell()
    cases = cases_for(filters)
    kinds = [CaseKind(filters.kind)] if filters.kind else list(CaseKind)
    per_kind = dict(cases.values_list("kind").annotate(n=Count("id")).order_by())
    kind_table = suppress_matrix([[int(per_kind.get(kind.value, 0))] for kind in kinds], k=k)
    kind_state = {kind: kind_table.cells[i][0] is None for i, kind in enumerate(kinds)}
    total = sum(int(per_kind.get(kind.value, 0)) for kind in kinds)
    ctx = _Context(
        filters=filters,
        cases=cases,
        kinds=kinds,
        kind_state=kind_state,
        total_hidden=kind_table.total is None,
        k=k,
        months=filters.period.months(),
    )
    recap = Recap(filters=filters, min_cell=k, total=total)
    steps = len(RECAP_TABLES) + 1
    for index, builder in enumerate(RECAP_TABLES):
        report(int(100 * index / steps), builder.__name__.strip("_"))
        table = builder(ctx)
        if table is not None:
            recap.tables.append(table)
    report(int(100 * (steps - 1) / steps), "medians")
    recap.medians = _medians(ctx)
    recap.pending = [
        _("Gift values by value band and the outcome of each report are recorded from the casework update on."),
        _("Reports by channel and category, and deadline compliance per rule, follow the casework update."),
    ]
    report(100, "done")
    return recap


def recap_rows(recap: Recap) -> list[tuple[str, str, str, str]]:
    """Return the recap's tables in long form (table, row, column, count; empty when suppressed) for CSV."""
    rows: list[tuple[str, str, str, str]] = []
    total_label = _("Total")

    def cell(value: int | None) -> str:
        return "" if value is None else str(value)

    for item in recap.tables:
        table = item.table
        for label, cells, row_total in table.rows():
            for column, value in zip(table.col_labels, cells, strict=True):
                rows.append((item.title, label, column, cell(value)))
            if len(table.col_labels) > 1:
                rows.append((item.title, label, total_label, cell(row_total)))
        if len(table.row_labels) > 1:
            for column, value in zip(table.col_labels, table.col_totals, strict=True):
                rows.append((item.title, total_label, column, cell(value)))
            if len(table.col_labels) > 1:
                rows.append((item.title, total_label, total_label, cell(table.total)))
    for median in recap.medians:
        rows.append((median.label, _("Median (days)"), "", "" if median.days is None else f"{median.days:.1f}"))
    return rows
