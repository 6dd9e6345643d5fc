"""The rows of a case list, written in Python: the same markup as a template loop, several times cheaper.

A list page shows 50 rows of 10 cells; through Django's template engine they were about a third of the page's
time (variable lookups and escaping per cell). Each value is still escaped (``format_html``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from casework.cases.selectors import CaseRow

register = template.Library()

# The data-label of each cell lets the narrow-screen stylesheet show the column name beside the value (360 px).
_ROW = (
    '<tr class="case-row{}">\n<td class="number"><a href="{}">{}</a></td>\n'
    '<td data-label="%(kind)s">{}<br><small class="muted channel">{}</small></td>\n'
    '<td data-label="%(received)s">{}</td>\n'
    '<td class="status" data-label="%(status)s">{}<br><small class="muted">{}</small></td>\n'
    '<td data-label="%(organisation)s">{}</td>\n<td data-label="%(type)s">{}</td>\n<td data-label="%(due)s">{}</td>\n'
    '<td class="unread">{}</td>\n</tr>'
)


def _due(row: CaseRow, overdue: str) -> SafeString:
    if not row.due:
        return mark_safe("")
    if row.overdue:
        return format_html('<span class="error">{} ({})</span>', row.due, overdue)
    return format_html("<span>{}</span>", row.due)


def _unread(row: CaseRow) -> SafeString:
    return format_html("<strong>{}</strong>", row.unread) if row.unread else mark_safe("0")


@register.simple_tag
def case_table_rows(rows: Iterable[CaseRow]) -> SafeString:
    """Return the ``<tr>`` of each row of a case list (metadata only, escaped)."""
    overdue = gettext("overdue")
    labels = {
        key: conditional_escape(gettext(text)).replace("{", "{{").replace("}", "}}")
        for key, text in (
            ("kind", "Kind"),
            ("received", "Received"),
            ("status", "Status"),
            ("organisation", "Organisation"),
            ("type", "Type"),
            ("due", "Due"),
        )
    }
    return format_html_join(
        "",
        _ROW % labels,
        (
            (
                " overdue" if row.overdue else "",
                row.url,
                row.case.number,
                row.kind_label,
                row.channel_label,
                row.received,
                row.public_status_label,
                row.status_label,
                row.case.organisation.name if row.case.organisation is not None else "",
                row.type_label,
                _due(row, overdue),
                _unread(row),
            )
            for row in rows
        ),
    )
