"""The public transparency figures: which periods are published, the public recap, and its open data.

A published period is a calendar year, cut at the end of the last month that has ended (the current month
appears only after it ends). The figures are the recap's own (``reports.recap``, with ``PUBLIC_TABLES``), so
suppression, charts and counts are one implementation for the console, the PDFs, the page and the data.

Open data is long form: one row per cell (``row``, ``column``, ``value``; an empty value is hidden), with the
tables' totals as the row or column ``total``. ``datapackage.json`` describes every resource of a year as a
Frictionless Data package with a table schema each.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import Case
from reports.periods import Period
from reports.recap import PUBLIC_TABLES, TOTAL_KEY, Recap, RecapFilters, RecapTable, build_recap

SHARE_KEY = "kept_pct"
EXTRA_RESOURCES = ("medians", "satisfaction")
RESOURCES = (*PUBLIC_TABLES, *EXTRA_RESOURCES)


class UnknownPeriod(Exception):
    """The period asked for is not published (not a year, in the future, before the first report, or
    not a single month of it has ended)."""


def licence() -> dict[str, str]:
    """Return the open data's licence as a Frictionless ``licenses`` entry (``PELUIT_OPEN_DATA_LICENSE``)."""
    name = str(getattr(settings, "PELUIT_OPEN_DATA_LICENSE", "CC-BY-4.0"))
    known = {
        "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
        "CC0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
        "ODbL-1.0": ("Open Data Commons Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    }
    title, path = known.get(name, (name, ""))
    entry = {"name": name, "title": title}
    if path:
        entry["path"] = path
    return entry


def _last_ended_day(today: date) -> date:
    return today.replace(day=1) - timedelta(days=1)


def published_years(*, today: date | None = None) -> list[int]:
    """Return the years with published figures, newest first: from the first report's year (or the last ended
    month's year when there is none) to the year of the last ended month."""
    today = today or timezone.localdate()
    last = _last_ended_day(today)
    first_received = Case.objects.aggregate(first=Min("received_at"))["first"]
    first_year = timezone.localdate(first_received).year if first_received else last.year
    return list(range(last.year, min(first_year, last.year) - 1, -1))


def public_period(year: int | str, *, today: date | None = None) -> Period:
    """Return the published period of ``year`` (January to the last ended month), or raise ``UnknownPeriod``."""
    today = today or timezone.localdate()
    try:
        number = int(str(year))
    except ValueError:
        raise UnknownPeriod() from None
    # Exactly the digits: int() also takes " 2026" and "2026\n", which would then reach headers and documents.
    if str(number) != str(year) or number not in published_years(today=today):
        raise UnknownPeriod()
    return Period(date(number, 1, 1), min(date(number, 12, 31), _last_ended_day(today)))


def public_recap(period: Period) -> Recap:
    """Return the public figures of ``period``: the public tables, medians and satisfaction index."""
    return build_recap(RecapFilters(period=period), tables=PUBLIC_TABLES)


def state_property(recap: Recap) -> int | None:
    """Return how many gifts became state property in the period, None when a part of it is hidden."""
    table = recap.table("gift_result")
    if table is None:
        return 0
    from casework.models import KpkDecision

    total = 0
    for key in (KpkDecision.MILIK_NEGARA, KpkDecision.MILIK_NEGARA_KOMPENSASI):
        if key.value not in table.row_keys:
            continue
        value = table.table.row_totals[table.row_keys.index(key.value)]
        if len(table.col_keys) == 1:
            value = table.table.cells[table.row_keys.index(key.value)][0]
        if value is None:
            return None
        total += value
    return total


def published_total(recap: Recap) -> int | None:
    """Return the total of reports as the table of kinds publishes it (None when hidden there)."""
    table = recap.table("kind")
    if table is None:
        return None
    return table.table.total if len(table.row_keys) > 1 else table.table.cells[0][0]


# Open data -------------------------------------------------------------------------------------------------

CELL_FIELDS = ("period", "row", "row_label", "column", "column_label", "value")


def _cell_rows(item: RecapTable, period: str) -> Iterator[dict[str, Any]]:
    table = item.table
    total_label = _("Total")
    several_cols = len(table.col_labels) > 1

    def cell(row: str, row_label: str, column: str, column_label: str, value: int | None) -> dict[str, Any]:
        return dict(zip(CELL_FIELDS, (period, row, row_label, column, column_label, value), strict=True))

    for r, (label, cells, row_total, share) in enumerate(item.rows_with_shares()):
        row = item.row_keys[r]
        for c, value in enumerate(cells):
            yield cell(row, label, item.col_keys[c], table.col_labels[c], value)
        if several_cols:
            yield cell(row, label, TOTAL_KEY, total_label, row_total)
        if item.share_label:
            yield cell(row, label, SHARE_KEY, item.share_label, share)
    if len(table.row_labels) > 1:
        for c, value in enumerate(table.col_totals):
            yield cell(TOTAL_KEY, total_label, item.col_keys[c], table.col_labels[c], value)
        if several_cols:
            yield cell(TOTAL_KEY, total_label, TOTAL_KEY, total_label, table.total)


def _cell_schema(item: RecapTable) -> dict[str, Any]:
    return {
        "fields": [
            {"name": "period", "type": "string", "description": "Calendar year, e.g. 2025"},
            {"name": "row", "type": "string", "description": f"{item.row_heading} (code; 'total' for the totals)"},
            {"name": "row_label", "type": "string"},
            {"name": "column", "type": "string", "description": "Column code ('total' for the row total)"},
            {"name": "column_label", "type": "string"},
            {
                "name": "value",
                "type": "integer",
                "description": "Count (a percentage in the column kept_pct); empty when hidden",
                "constraints": {"minimum": 0},
            },
        ],
        "missingValues": [""],
        "primaryKey": ["period", "row", "column"],
    }


def _median_rows(recap: Recap, period: str) -> Iterator[dict[str, Any]]:
    for median in recap.medians:
        yield {"period": period, "figure": median.key, "label": median.label, "kind": "all", "median_days": median.days}
        for code, _label, days in median.by_kind:
            yield {"period": period, "figure": median.key, "label": median.label, "kind": code, "median_days": days}


MEDIAN_SCHEMA = {
    "fields": [
        {"name": "period", "type": "string"},
        {"name": "figure", "type": "string", "description": "first_response or closure"},
        {"name": "label", "type": "string"},
        {"name": "kind", "type": "string", "description": "all, wbs or gratifikasi"},
        {"name": "median_days", "type": "number", "description": "Calendar days; empty over too few reports"},
    ],
    "missingValues": [""],
    "primaryKey": ["period", "figure", "kind"],
}


def _satisfaction_rows(recap: Recap, period: str) -> Iterator[dict[str, Any]]:
    summary = recap.satisfaction
    if summary is None:
        return
    for row in summary.periods:
        record: dict[str, Any] = {
            "period": period,
            "quarter": row.key,
            "label": row.label,
            "answers": row.answers,
            "ikm": row.index,
            "grade": row.grade,
        }
        for (code, _name), mean in zip(summary.elements, row.element_means, strict=True):
            record[code.lower()] = mean
        yield record


def _satisfaction_schema(recap: Recap) -> dict[str, Any]:
    elements = recap.satisfaction.elements if recap.satisfaction else ()
    return {
        "fields": [
            {"name": "period", "type": "string"},
            {"name": "quarter", "type": "string", "description": "e.g. 2025-Q1, or 'period' for the whole year"},
            {"name": "label", "type": "string"},
            {"name": "answers", "type": "integer", "description": "Empty when too few answers to publish"},
            {"name": "ikm", "type": "number", "description": "Satisfaction index 25-100 (Permenpan RB 14/2017)"},
            {"name": "grade", "type": "string", "description": "Quality category A-D"},
            *(
                {"name": code.lower(), "type": "number", "description": f"Mean score 1-4: {name}"}
                for code, name in elements
            ),
        ],
        "missingValues": [""],
        "primaryKey": ["period", "quarter"],
    }


@dataclass(frozen=True)
class Resource:
    """One open-data resource of a year: its rows, table schema and title."""

    name: str
    title: str
    rows: list[dict[str, Any]]
    schema: dict[str, Any]

    @property
    def fields(self) -> list[str]:
        """The column names, in order."""
        return [f["name"] for f in self.schema["fields"]]


def resource(recap: Recap, name: str, *, period: str) -> Resource | None:
    """Return resource ``name`` of the recap, or None when there is no such resource."""
    if name == "medians":
        return Resource(name, _("Handling times"), list(_median_rows(recap, period)), MEDIAN_SCHEMA)
    if name == "satisfaction":
        title = _("Community satisfaction index (IKM)")
        return Resource(name, title, list(_satisfaction_rows(recap, period)), _satisfaction_schema(recap))
    item = recap.table(name)
    if item is None or name not in PUBLIC_TABLES:
        return None
    return Resource(name, item.title, list(_cell_rows(item, period)), _cell_schema(item))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def as_csv(res: Resource) -> str:
    """Return the resource as CSV (UTF-8, a header line, empty for hidden values)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(res.fields)
    for row in res.rows:
        writer.writerow([_text(row.get(name)) for name in res.fields])
    return out.getvalue()


def as_json(res: Resource) -> list[dict[str, Any]]:
    """Return the resource's rows as JSON-ready records (numbers as numbers, hidden values null)."""
    return [{name: _json_value(row.get(name)) for name in res.fields} for row in res.rows]


def _json_value(value: Any) -> Any:
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value


def datapackage(recap: Recap, *, year: int, base_url: str) -> dict[str, Any]:
    """Return the Frictionless Data package describing the year's resources (CSV, paths relative to it)."""
    period = str(year)
    resources = []
    for name in RESOURCES:
        res = resource(recap, name, period=period)
        if res is None:
            continue
        resources.append(
            {
                "name": name,
                "title": res.title,
                "path": f"{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "profile": "tabular-data-resource",
                "schema": res.schema,
            }
        )
    institution = str(getattr(settings, "PELUIT_INSTITUTION_NAME", ""))
    period_of = recap.filters.period
    return {
        "profile": "tabular-data-package",
        "name": f"peluit-transparansi-{year}",
        "title": _("Whistleblowing and gratification reports %(year)s, %(institution)s")
        % {"year": year, "institution": institution},
        "description": _(
            "Counts of reports received from %(start)s to %(end)s, from the metadata officers see; counts under "
            "%(k)s and counts that would let one be worked out are left empty."
        )
        % {"start": period_of.start.isoformat(), "end": period_of.end.isoformat(), "k": recap.min_cell},
        "homepage": base_url,
        "version": timezone.localdate().isoformat(),
        "created": timezone.now().replace(microsecond=0).isoformat(),
        "licenses": [licence()],
        "sources": [{"title": institution}],
        "resources": resources,
    }
