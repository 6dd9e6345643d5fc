"""Charts as SVG drawn on the server (pure; no Django, no JavaScript, nothing fetched).

The same SVG goes into the PDF (WeasyPrint draws it) and inline into the console's statistics page. Only
presentation attributes are used (``fill``, ``stroke``), never ``style``, so the page's strict
Content-Security-Policy holds. Suppressed values (None) are drawn as gaps and marked "•".
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

FONT = "DejaVu Sans, sans-serif"
# Colour-blind-safe palette (Okabe-Ito), dark enough for text contrast on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
SUPPRESSED_MARK = "•"


def _nice_max(value: int) -> int:
    """Return a round axis maximum ≥ ``value`` (1, 2, 4, 5 × 10^n; at least 4 so ticks are whole numbers)."""
    if value <= 4:
        return 4
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 11, weight: str = "normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family={quoteattr(FONT)} font-size="{size}" '
        f'font-weight="{weight}" text-anchor="{anchor}" fill="#222">{escape(content)}</text>'
    )


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label={quoteattr(title)}><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[int | None],
    *,
    width: int = 640,
    value_labels: Sequence[str] | None = None,
    scale_max: int | None = None,
) -> str:
    """Return horizontal bars, one per label, with the count (or ``value_labels``) at the end of each bar.

    ``scale_max`` fixes the length of a full bar (e.g. 100 for an index); by default a round number above the
    largest value.
    """
    if len(labels) != len(values) or (value_labels is not None and len(value_labels) != len(values)):
        raise ValueError("one value per label")
    row, top, label_width = 22, 6, 230
    height = top + row * max(len(labels), 1) + 10
    plot = width - label_width - 90
    scale_max = scale_max or _nice_max(max((v for v in values if v is not None), default=0))
    body: list[str] = []
    if not labels:
        body.append(_text(0, top + 14, "–"))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        shown = label if len(label) <= 36 else label[:35] + "…"
        body.append(_text(label_width - 6, y + 14, shown, anchor="end"))
        if value is None:
            body.append(_text(label_width + 4, y + 14, SUPPRESSED_MARK))
            continue
        length = plot * value / scale_max
        colour = PALETTE[0]
        body.append(f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 7}" fill="{colour}"/>')
        text = value_labels[i] if value_labels is not None else f"{value:,}".replace(",", ".")
        body.append(_text(label_width + length + 4, y + 14, text))
    return _svg(width, height, title, body)


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
    *,
    width: int = 640,
    height: int = 260,
) -> str:
    """Return one line per series over ``x_labels`` (e.g. months); None values break the line."""
    left, right, top, bottom = 48, 16, 10, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((v for _name, values in series for v in values if v is not None), default=0)
    scale_max = _nice_max(peak)
    n = max(len(x_labels), 1)
    step = plot_w / max(n - 1, 1)

    def x_at(i: int) -> float:
        return left + (i * step if n > 1 else plot_w / 2)

    def y_at(v: int) -> float:
        return top + plot_h - plot_h * v / scale_max

    body: list[str] = []
    ticks = min(scale_max, 4)  # counts: whole numbers only
    for tick in range(ticks + 1):
        tick_value = scale_max * tick // ticks
        y = y_at(tick_value)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
        body.append(_text(left - 6, y + 4, f"{tick_value:,}".replace(",", "."), anchor="end", size=10))
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#666"/>')
    for i, label in enumerate(x_labels):
        body.append(_text(x_at(i), top + plot_h + 16, label, anchor="middle", size=10))
    for index, (name, values) in enumerate(series):
        if len(values) != len(x_labels):
            raise ValueError("one value per x label in every series")
        colour = PALETTE[index % len(PALETTE)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, value in enumerate(values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                body.append(_text(x_at(i), top + plot_h - 4, SUPPRESSED_MARK, anchor="middle", size=10))
                continue
            segment.append(f"{x_at(i):.1f},{y_at(value):.1f}")
            body.append(f'<circle cx="{x_at(i):.1f}" cy="{y_at(value):.1f}" r="2.5" fill="{colour}"/>')
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) > 1:
                body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        legend_x = left + index * 200
        legend_y = height - 12
        body.append(f'<rect x="{legend_x}" y="{legend_y - 9}" width="12" height="4" fill="{colour}"/>')
        body.append(_text(legend_x + 16, legend_y - 4, name, size=10))
    return _svg(width, height, title, body)
