"""Server-side SVG bar charts (no JavaScript, nothing from other hosts): the geometry is computed here and
drawn by the template ``casework/workflow/_bar_chart.html`` with SVG presentation attributes (the CSP allows
no inline styles)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import gettext_lazy as _

LABEL_WIDTH = 190
BAR_WIDTH = 420
ROW_HEIGHT = 26
BAR_HEIGHT = 18
# (attribute of a row, legend, fill colour): finished on time, finished late, running overdue, running.
SERIES = (
    ("on_time", _("on time"), "#2e7d32"),
    ("late", _("late"), "#c62828"),
    ("overdue", _("running, overdue"), "#ef6c00"),
    ("running", _("running, on time"), "#90a4ae"),
)


class Countable(Protocol):
    """A row of counts (``SlaRow``)."""

    @property
    def label(self) -> str: ...

    @property
    def on_time(self) -> int: ...

    @property
    def late(self) -> int: ...

    @property
    def overdue(self) -> int: ...

    @property
    def running(self) -> int: ...


@dataclass(frozen=True)
class Segment:
    """One coloured part of a bar."""

    x: float
    width: float
    fill: str
    count: int
    legend: str


@dataclass(frozen=True)
class Bar:
    """One labelled bar."""

    label: str
    y: int
    text_y: int
    segments: list[Segment]
    total: int


@dataclass(frozen=True)
class BarChart:
    """A horizontal stacked bar chart."""

    bars: list[Bar]
    width: int
    height: int
    label_width: int
    legend: list[tuple[str, str]]
    legend_y: int


def sla_chart(rows: Sequence[Countable]) -> BarChart:
    """Return a stacked bar per row, all scaled to the largest total."""
    largest = max((sum(getattr(r, name) for name, _l, _f in SERIES) for r in rows), default=0) or 1
    bars = []
    for index, row in enumerate(rows):
        x = float(LABEL_WIDTH)
        segments = []
        for name, legend, fill in SERIES:
            count = int(getattr(row, name))
            width = BAR_WIDTH * count / largest
            if count:
                segments.append(
                    Segment(x=round(x, 1), width=round(width, 1), fill=fill, count=count, legend=str(legend))
                )
            x += width
        y = index * ROW_HEIGHT + 4
        bars.append(
            Bar(
                label=row.label, y=y, text_y=y + BAR_HEIGHT - 4, segments=segments, total=sum(s.count for s in segments)
            )
        )
    height = len(rows) * ROW_HEIGHT + 30
    return BarChart(
        bars=bars,
        width=LABEL_WIDTH + BAR_WIDTH + 60,
        height=height,
        label_width=LABEL_WIDTH - 8,
        legend=[(str(legend), fill) for _n, legend, fill in SERIES],
        legend_y=height - 10,
    )
