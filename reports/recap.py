"""The recap's figures: counts of cases in a period as suppressed tables, medians, and their charts.

Everything here reads clear metadata only (kind, status, channel, organisation, violation or gift type, value
band, outcome, KPK decision, dates, deadline clocks, message times); no sealed content and nothing about
reporters. The same ``Recap`` feeds the recap PDF, the console's statistics page and its CSV download, the public
transparency page and its open data, so they always agree.

Tables are registered builders (``RECAP_TABLES``, each under a stable key); the PDF, the page and the CSV show
every table, the public transparency page a fixed selection (``PUBLIC_TABLES``). Every table by kind partitions
the cases of each kind exactly once and has the per-kind totals of the first table as its bottom line (passed as
``fixed`` to the suppression), so no two tables publish the same margin differently; the deadline table counts
clocks instead of cases.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import formats
from django.utils.translation import gettext as _

from casework.models import (
    Case,
    CaseClock,
    CaseKind,
    CaseMessage,
    CaseStatus,
    Channel,
    GiftType,
    GiftValueBand,
    KpkDecision,
    Organisation,
    Outcome,
    ViolationType,
)
from casework.workflow.clocks import INITIAL_CLOCKS
from casework.workflow.selectors import clock_outcomes
from reports import charts
from reports.periods import Period
from reports.rule_texts import rule_label
from reports.satisfaction import SatisfactionSummary, satisfaction_summary
from reports.suppression import Position, SuppressedTable, suppress_matrix, suppress_value

Progress = Callable[[int, str], None]
TOTAL_KEY = "total"
NOT_STATED_KEY = ""


@dataclass(frozen=True)
class RecapFilters:
    """What the recap covers: a period, optionally one kind and one organisation."""

    period: Period
    kind: str = ""
    organisation: Organisation | None = None


@dataclass(frozen=True)
class RecapTable:
    """One table of the recap, with its chart (SVG) and a note.

    ``row_keys`` and ``col_keys`` are stable codes of the rows and columns (for open data: a month ``2026-01``, a
    channel ``web``, a kind ``wbs``; ``""`` is "not stated"); the labels are in the language of the request.
    """

    key: str
    title: str
    table: SuppressedTable
    row_keys: tuple[str, ...]
    col_keys: tuple[str, ...]
    row_heading: str
    chart: str = ""
    note: str = ""
    # An extra column of whole percentages per row (the share of deadlines kept), None where it would reveal a
    # hidden count or has nothing to count.
    share_label: str = ""
    shares: tuple[int | None, ...] = ()

    def rows_with_shares(self) -> list[tuple[str, tuple[int | None, ...], int | None, int | None]]:
        """Return (label, cells, row total, share) for each row, for templates."""
        shares = self.shares or (None,) * len(self.table.row_labels)
        return [
            (label, cells, total, share) for (label, cells, total), share in zip(self.table.rows(), shares, strict=True)
        ]


@dataclass(frozen=True)
class MedianFigure:
    """A median duration in days over ``cases`` cases (None when unknown or over fewer than the minimum)."""

    key: str
    label: str
    days: float | None
    cases: int
    note: str = ""
    # (kind code, kind label, median days or None) per kind, when the recap covers more than one kind.
    by_kind: tuple[tuple[str, str, float | None], ...] = ()


@dataclass
class Recap:
    """Every figure of the recap for one set of filters."""

    filters: RecapFilters
    min_cell: int
    total: int
    tables: list[RecapTable] = field(default_factory=list)
    medians: list[MedianFigure] = field(default_factory=list)
    satisfaction: SatisfactionSummary | None = None
    pending: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when no case was received in the period (under the filters)."""
        return self.total == 0

    def table(self, key: str) -> RecapTable | None:
        """Return the table registered under ``key``, if the recap has it."""
        return next((t for t in self.tables if t.key == key), None)


@dataclass(frozen=True)
class _Context:
    filters: RecapFilters
    cases: QuerySet[Case]
    kinds: list[CaseKind]
    per_kind: dict[CaseKind, int]
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
RECAP_TABLES: dict[str, TableBuilder] = {}
# The tables the public transparency page and its open data publish. Not the status (internal steps) and not the
# organisation concerned (a named office with a handful of reports is too close to a person).
PUBLIC_TABLES = ("kind", "month", "channel", "violation_type", "outcome", "gift_type", "gift_result", "deadlines")


def recap_table(key: str) -> Callable[[TableBuilder], TableBuilder]:
    """Register a table builder under ``key``; tables appear in the order they are registered."""

    def register(builder: TableBuilder) -> TableBuilder:
        RECAP_TABLES[key] = builder
        return builder

    return register


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


def _matrix(counts: dict[tuple[str, str], int], row_keys: Sequence[str], kinds: list[CaseKind]) -> list[list[int]]:
    return [[counts.get((key, kind.value), 0) for kind in kinds] for key in row_keys]


def _kind_labels(kinds: list[CaseKind]) -> list[str]:
    return [str(kind.label) for kind in kinds]


def _kind_keys(kinds: list[CaseKind]) -> tuple[str, ...]:
    return tuple(kind.value for kind in kinds)


def _rows(
    choices: Iterable[tuple[str, object]], present: Iterable[str], *, not_stated: str | None = None
) -> tuple[list[str], list[str]]:
    """Return the row keys and labels: every choice (zeros are shown), then values found but not in the choices
    (e.g. a channel added later), then "not stated" when empty values were found."""
    keys = [str(key) for key, _label in choices]
    labels = [str(label) for _key, label in choices]
    found = set(present)
    for extra in sorted(value for value in found if value and value not in keys):
        keys.append(extra)
        labels.append(extra)
    if NOT_STATED_KEY in found:
        keys.append(NOT_STATED_KEY)
        labels.append(not_stated or _("Not stated"))
    return keys, labels


def _by_kinds_table(
    ctx: _Context,
    *,
    key: str,
    title: str,
    row_heading: str,
    counts: dict[tuple[str, str], int],
    keys: list[str],
    labels: list[str],
    note: str = "",
) -> RecapTable:
    """A rows × kinds table whose bottom line is the published per-kind totals."""
    table = suppress_matrix(
        _matrix(counts, keys, ctx.kinds),
        k=ctx.k,
        row_labels=labels,
        col_labels=_kind_labels(ctx.kinds),
        fixed=ctx.fixed_kind_totals(len(keys)),
    )
    return RecapTable(
        key,
        title,
        table,
        row_keys=tuple(keys),
        col_keys=_kind_keys(ctx.kinds),
        row_heading=row_heading,
        chart=_bar(title, table) if keys else "",
        note=note or _many_rows_note(table),
    )


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


@recap_table("kind")
def _kinds_table(ctx: _Context) -> RecapTable:
    matrix = [[ctx.per_kind[kind]] for kind in ctx.kinds]
    fixed: dict[Position, bool] = {(i, 0): ctx.kind_state[kind] for i, kind in enumerate(ctx.kinds)}
    table = suppress_matrix(matrix, k=ctx.k, row_labels=_kind_labels(ctx.kinds), col_labels=[_("Reports")], fixed=fixed)
    title = _("Reports by kind")
    return RecapTable(
        "kind",
        title,
        table,
        row_keys=_kind_keys(ctx.kinds),
        col_keys=("reports",),
        row_heading=_("Kind"),
        chart=_bar(title, table),
    )


@recap_table("month")
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
    return RecapTable(
        "month",
        title,
        table,
        row_keys=tuple(m.strftime("%Y-%m") for m in ctx.months),
        col_keys=_kind_keys(ctx.kinds),
        row_heading=_("Month"),
        chart=chart,
    )


@recap_table("channel")
def _channel_table(ctx: _Context) -> RecapTable:
    counts = _by_kind(ctx.cases, "channel")
    keys, labels = _rows(Channel.choices, (value for value, _kind in counts))
    return _by_kinds_table(
        ctx,
        key="channel",
        title=_("Reports by channel"),
        row_heading=_("Channel"),
        counts=counts,
        keys=keys,
        labels=labels,
    )


@recap_table("status")
def _status_table(ctx: _Context) -> RecapTable:
    counts = _by_kind(ctx.cases, "status")
    present = {status for status, _kind in counts}
    keys = [s.value for s in CaseStatus if s.value in present]
    labels = [str(CaseStatus(s).label) for s in keys]
    return _by_kinds_table(
        ctx,
        key="status",
        title=_("Reports by status"),
        row_heading=_("Status"),
        counts=counts,
        keys=keys,
        labels=labels,
    )


@recap_table("organisation")
def _organisation_table(ctx: _Context) -> RecapTable:
    counts = _by_kind(ctx.cases, "organisation")
    ids = sorted({int(key) for key, _kind in counts if key})
    rows = {
        pk: (code, name) for pk, code, name in Organisation.objects.filter(pk__in=ids).values_list("pk", "code", "name")
    }
    ordered = sorted(ids, key=lambda pk: rows.get(pk, ("", ""))[1])
    keys = [str(pk) for pk in ordered]
    labels = [rows.get(pk, ("", str(pk)))[1] for pk in ordered]
    if any(key == "" for key, _kind in counts):
        keys.append("")
        labels.append(_("Not stated"))
    table = _by_kinds_table(
        ctx,
        key="organisation",
        title=_("Reports by organisation concerned"),
        row_heading=_("Organisation"),
        counts=counts,
        keys=keys,
        labels=labels,
    )
    # Open data names an organisation by its code, not by the database id.
    codes = tuple(rows.get(int(key), (key, ""))[0] if key else "" for key in keys)
    return replace(table, row_keys=codes)


def _single_kind_table(
    ctx: _Context,
    *,
    kind: CaseKind,
    key: str,
    title: str,
    row_heading: str,
    counts: dict[str, int],
    keys: list[str],
    labels: list[str],
) -> RecapTable:
    """A table of one kind's cases in one column, whose total is that kind's published total."""
    table = suppress_matrix(
        [[counts.get(row, 0)] for row in keys],
        k=ctx.k,
        row_labels=labels,
        col_labels=[str(kind.label)],
        fixed={(len(keys), 0): ctx.kind_state[kind]},
    )
    return RecapTable(
        key,
        title,
        table,
        row_keys=tuple(keys),
        col_keys=(kind.value,),
        row_heading=row_heading,
        chart=_bar(title, table),
    )


@recap_table("violation_type")
def _violation_table(ctx: _Context) -> RecapTable | None:
    kind = CaseKind.WBS
    if kind not in ctx.kinds:
        return None
    counts = {value: n for (value, _kind), n in _by_kind(ctx.cases.filter(kind=kind), "violation_type").items()}
    keys, labels = _rows(ViolationType.choices, counts)
    return _single_kind_table(
        ctx,
        kind=kind,
        key="violation_type",
        title=_("Whistleblowing reports by violation type"),
        row_heading=_("Violation type"),
        counts=counts,
        keys=keys,
        labels=labels,
    )


# The outcomes a whistleblowing case is closed with (the officer chooses among them, docs/workflow.md).
WBS_OUTCOMES = (Outcome.TERBUKTI, Outcome.TIDAK_TERBUKTI, Outcome.TIDAK_DAPAT_DITINDAKLANJUTI, Outcome.DITERUSKAN)
IN_PROGRESS_KEY = "in_progress"


@recap_table("outcome")
def _outcome_table(ctx: _Context) -> RecapTable | None:
    kind = CaseKind.WBS
    if kind not in ctx.kinds:
        return None
    wbs = ctx.cases.filter(kind=kind)
    counts: dict[str, int] = {
        str(outcome): int(n)
        for outcome, n in wbs.filter(closed_at__isnull=False).values_list("outcome").annotate(n=Count("id")).order_by()
    }
    counts[IN_PROGRESS_KEY] = wbs.filter(closed_at__isnull=True).count()
    choices = [(o.value, o.label) for o in WBS_OUTCOMES]
    choices += [(o.value, o.label) for o in Outcome if o not in WBS_OUTCOMES and counts.get(o.value)]
    keys, labels = _rows(choices, (key for key in counts if key != IN_PROGRESS_KEY))
    keys.append(IN_PROGRESS_KEY)
    labels.append(_("Still being handled"))
    return _single_kind_table(
        ctx,
        kind=kind,
        key="outcome",
        title=_("Whistleblowing reports by outcome"),
        row_heading=_("Outcome"),
        counts=counts,
        keys=keys,
        labels=labels,
    )


@recap_table("gift_type")
def _gift_table(ctx: _Context) -> RecapTable | None:
    kind = CaseKind.GRATIFICATION
    if kind not in ctx.kinds:
        return None
    grt = ctx.cases.filter(kind=kind)
    rows = grt.values_list("gift_type", "is_refusal").annotate(n=Count("id")).order_by()
    counts = {(str(gift), bool(refusal)): int(n) for gift, refusal, n in rows}
    keys, labels = _rows(GiftType.choices, (gift for gift, _refusal in counts))
    matrix = [[counts.get((key, False), 0), counts.get((key, True), 0)] for key in keys]
    table = suppress_matrix(
        matrix,
        k=ctx.k,
        row_labels=labels,
        col_labels=[_("Gifts received"), _("Gifts refused")],
        fixed={(len(keys), 2): ctx.kind_state[kind]},
    )
    title = _("Gratification reports by gift type")
    return RecapTable(
        "gift_type",
        title,
        table,
        row_keys=tuple(keys),
        col_keys=("received", "refused"),
        row_heading=_("Gift type"),
        chart=_bar(title, table),
    )


# The result of a gratification report: the KPK's decision when there is one, else how it was closed, else
# still in progress. Each report has exactly one, so the table partitions the kind.
STATE_PROPERTY = (KpkDecision.MILIK_NEGARA.value, KpkDecision.MILIK_NEGARA_KOMPENSASI.value)


def _gift_result_choices() -> list[tuple[str, str]]:
    choices = [(d.value, str(d.label)) for d in KpkDecision]
    for outcome in (Outcome.TIDAK_DAPAT_DITINDAKLANJUTI, Outcome.DIKEMBALIKAN):
        choices.append((outcome.value, str(outcome.label)))
    return choices


@recap_table("gift_result")
def _gift_result_table(ctx: _Context) -> RecapTable | None:
    kind = CaseKind.GRATIFICATION
    if kind not in ctx.kinds:
        return None
    rows = (
        ctx.cases.filter(kind=kind)
        .values_list("gratification__kpk_decision", "outcome", "gift_value_band")
        .annotate(n=Count("id"), still_open=Count("id", filter=Q(closed_at__isnull=True)))
        .order_by()
    )
    counts: dict[tuple[str, str], int] = {}

    def add(result: str, band: str, n: int) -> None:
        if n:
            counts[(result, band)] = counts.get((result, band), 0) + n

    for decision, outcome, band, n, still_open in rows:
        if decision:
            add(str(decision), band or "", int(n))
        else:
            add(IN_PROGRESS_KEY, band or "", int(still_open))
            add(str(outcome or NOT_STATED_KEY), band or "", int(n) - int(still_open))
    present = {result for result, _band in counts}
    keys, labels = _rows(_gift_result_choices(), (r for r in present if r != IN_PROGRESS_KEY))
    keys.append(IN_PROGRESS_KEY)
    labels.append(_("Still being handled"))
    bands, band_labels = _rows(GiftValueBand.choices, (band for _result, band in counts))
    matrix = [[counts.get((key, band), 0) for band in bands] for key in keys]
    table = suppress_matrix(
        matrix,
        k=ctx.k,
        row_labels=labels,
        col_labels=band_labels,
        fixed={(len(keys), len(bands)): ctx.kind_state[kind]},
    )
    title = _("Gratification reports by result and value of the gift")
    note = _(
        "The result is the KPK's decision where there is one, otherwise how the report was closed. Gifts that "
        "became state property are the rows “%(state)s” and “%(compensation)s”. Values are shown as bands; the "
        "exact values stay in the sealed reports."
    ) % {"state": KpkDecision.MILIK_NEGARA.label, "compensation": KpkDecision.MILIK_NEGARA_KOMPENSASI.label}
    return RecapTable(
        "gift_result",
        title,
        table,
        row_keys=tuple(keys),
        col_keys=tuple(bands),
        row_heading=_("Result"),
        chart=_bar(title, table),
        note=note,
    )


def _rule_kind(code: str) -> CaseKind | None:
    """Return the kind whose every case starts rule ``code`` at intake (its count is that kind's total)."""
    return next((kind for kind, codes in INITIAL_CLOCKS.items() if code in codes), None)


DEADLINE_STATES = ("on_time", "late", "overdue", "running")


@recap_table("deadlines")
def _deadlines_table(ctx: _Context) -> RecapTable:
    counts = clock_outcomes(CaseClock.objects.filter(case__in=ctx.cases), "rule_code")
    keys = sorted(str(code) for code in counts)
    matrix = [[counts[code][state] for state in DEADLINE_STATES] for code in keys]
    # A rule every case of a kind starts at intake counts that kind's cases: its row total is then the kind
    # total published in the first table, and keeps that state here.
    fixed: dict[Position, bool] = {}
    for r, code in enumerate(keys):
        kind = _rule_kind(code)
        if kind in ctx.kinds and sum(matrix[r]) == ctx.per_kind.get(kind, -1):
            fixed[(r, len(DEADLINE_STATES))] = ctx.kind_state[kind]
    table = suppress_matrix(
        matrix,
        k=ctx.k,
        row_labels=[rule_label(code) for code in keys],
        col_labels=[_("Kept"), _("Missed"), _("Running, overdue"), _("Running, in time")],
        fixed=fixed,
    )
    shares: list[int | None] = []
    for r in range(len(keys)):
        kept, missed, overdue = table.cells[r][0], table.cells[r][1], table.cells[r][2]
        if kept is None or missed is None or overdue is None or kept + missed + overdue == 0:
            shares.append(None)  # a share next to a hidden count would give it back
        else:
            shares.append(round(100 * kept / (kept + missed + overdue)))
    title = _("Deadlines kept, per legal time limit")
    chart = charts.bar_chart(_("Share of deadlines kept (%)"), list(table.row_labels), shares) if keys else ""
    return RecapTable(
        "deadlines",
        title,
        table,
        row_keys=tuple(keys),
        col_keys=DEADLINE_STATES,
        row_heading=_("Time limit"),
        chart=chart,
        note=_(
            "Clocks of the reports received in the period. Kept: stopped before the limit; missed: stopped after "
            "it; still running past the limit counts as missed in the share. The share leaves out clocks still "
            "running in time."
        ),
        share_label=_("Kept (%)"),
        shares=tuple(shares),
    )


def _median_days(pairs: Iterable[tuple[Any, Any]], k: int) -> tuple[float | None, int]:
    days = []
    for start, end in pairs:
        if start is None or end is None:
            continue
        delta = end - start
        days.append(delta.total_seconds() / 86400)
    if len(days) < k:
        return None, len(days)
    return round(statistics.median(days), 1), len(days)


def _median_figure(
    ctx: _Context, *, key: str, label: str, note: str, pairs: Sequence[tuple[str, Any, Any]]
) -> MedianFigure:
    """A median over (kind, start, end) triples, overall and per kind."""
    days, n = _median_days(((start, end) for _kind, start, end in pairs), ctx.k)
    by_kind: tuple[tuple[str, str, float | None], ...] = ()
    if len(ctx.kinds) > 1:
        by_kind = tuple(
            (kind.value, str(kind.label), _median_days(((s, e) for k, s, e in pairs if k == kind.value), ctx.k)[0])
            for kind in ctx.kinds
        )
    return MedianFigure(key, label, days, suppress_value(n, k=ctx.k) or 0, note=note, by_kind=by_kind)


def _medians(ctx: _Context) -> list[MedianFigure]:
    # The first message an officer wrote (the automatic acknowledgement has no author), per case; read from
    # the messages side so only answered cases are touched.
    first = list(
        CaseMessage.objects.filter(
            **_case_filters(ctx.filters, "case__"), sender=CaseMessage.Sender.INSPECTORATE, author__isnull=False
        )
        .values("case_id")
        .annotate(received=Min("case__received_at"), first_reply=Min("created_at"))
        .order_by()
        .values_list("case__kind", "received", "first_reply")
    )
    closed = list(ctx.cases.filter(closed_at__isnull=False).values_list("kind", "received_at", "closed_at"))
    return [
        _median_figure(
            ctx,
            key="first_response",
            label=_("Median time to the inspectorate's first message"),
            note=_("Calendar days from receipt to the first message an officer wrote (not the automatic receipt)."),
            pairs=first,
        ),
        _median_figure(
            ctx,
            key="closure",
            label=_("Median time to closure"),
            note=_("Calendar days from receipt to closure, over the reports of the period that are closed."),
            pairs=closed,
        ),
    ]


def build_recap(
    filters: RecapFilters, *, progress: Progress | None = None, tables: Sequence[str] | None = None
) -> Recap:
    """Return every figure of the recap for ``filters``; ``progress(percent, step)`` is called as it goes.

    ``tables`` limits the tables to those keys (the public page); the table of kinds is always computed first,
    because its per-kind totals are the bottom line of the others.
    """
    report = progress or (lambda _percent, _step: None)
    k = min_cell()
    cases = cases_for(filters)
    kinds = [CaseKind(filters.kind)] if filters.kind else list(CaseKind)
    counted = dict(cases.values_list("kind").annotate(n=Count("id")).order_by())
    per_kind = {kind: int(counted.get(kind.value, 0)) for kind in kinds}
    kind_table = suppress_matrix([[per_kind[kind]] for kind in kinds], k=k)
    ctx = _Context(
        filters=filters,
        cases=cases,
        kinds=kinds,
        per_kind=per_kind,
        kind_state={kind: kind_table.cells[i][0] is None for i, kind in enumerate(kinds)},
        total_hidden=kind_table.total is None,
        k=k,
        months=filters.period.months(),
    )
    recap = Recap(filters=filters, min_cell=k, total=sum(per_kind.values()))
    builders = [(key, builder) for key, builder in RECAP_TABLES.items() if tables is None or key in tables]
    steps = len(builders) + 2
    for index, (key, builder) in enumerate(builders):
        report(int(100 * index / steps), key)
        table = builder(ctx)
        if table is not None:
            recap.tables.append(table)
    report(int(100 * (steps - 2) / steps), "medians")
    recap.medians = _medians(ctx)
    report(int(100 * (steps - 1) / steps), "satisfaction")
    if filters.organisation is None:
        # Answers to the survey are not linked to a case, so they cannot be counted per organisation.
        recap.satisfaction = satisfaction_summary(period=filters.period, kind=filters.kind)
    report(100, "done")
    return recap


def recap_rows(recap: Recap) -> list[tuple[str, str, str, str]]:
    """Return the recap's figures in long form (table, row, column, value; empty when hidden) for CSV."""
    rows: list[tuple[str, str, str, str]] = []
    total_label = _("Total")

    def cell(value: int | float | None) -> str:
        return "" if value is None else str(value)

    for item in recap.tables:
        table = item.table
        for label, cells, row_total, share in item.rows_with_shares():
            for column, value in zip(table.col_labels, cells, strict=True):
                rows.append((item.title, label, column, cell(value)))
            if len(table.col_labels) > 1:
                rows.append((item.title, label, total_label, cell(row_total)))
            if item.share_label:
                rows.append((item.title, label, item.share_label, cell(share)))
        if len(table.row_labels) > 1:
            for column, value in zip(table.col_labels, table.col_totals, strict=True):
                rows.append((item.title, total_label, column, cell(value)))
            if len(table.col_labels) > 1:
                rows.append((item.title, total_label, total_label, cell(table.total)))
    median_label = _("Median (days)")
    for median in recap.medians:
        rows.append((median.label, median_label, _("All reports"), cell(median.days)))
        for _code, kind_label, days in median.by_kind:
            rows.append((median.label, median_label, kind_label, cell(days)))
    if recap.satisfaction is not None:
        rows.extend(recap.satisfaction.csv_rows())
    return rows
