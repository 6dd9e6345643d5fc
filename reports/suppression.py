"""Small-cell suppression for statistics tables (pure; no Django).

A count under the minimum (``k``, ``PELUIT_MIN_CELL``, default 5) could identify a reporter or a reported
person, so it is never shown. Hiding it is not enough when a total is shown: the total minus the visible cells
gives it back. So, for every line of a table (each row with its row total, each column with its column total,
and the line of totals), this module applies one rule until nothing changes:

    in a line whose total is known, the hidden cells are either none, or at least two whose sum is at least k;
    in a line whose total is hidden (and not zero), at least one cell is hidden too.

With zeros always shown (a zero identifies nobody) every hidden cell is then known only to lie between 1 and
(sum - 1) ≥ k - 1, so no small count can be worked out from the line. Cells hidden to protect others
("secondary" suppression) are chosen smallest first, so as little as possible is hidden. Totals published in
another table (e.g. the count per kind, which is the bottom line of every table by kind) are passed as
``fixed``: they keep the state they have there, and the rule never hides them to fix a line. The second rule
matters for such totals: a kind total hidden in the table of kinds (to protect the other kind's small count)
would otherwise come back in a table by violation type as the sum of its shown rows.

This is the classic heuristic of statistical offices (primary suppression, then complementary suppression per
line), not an optimal solver; it is exact for the one- and two-way tables the recap publishes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Position = tuple[int, int]


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts with its totals, each either a number or None (suppressed)."""

    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    col_totals: tuple[int | None, ...]
    total: int | None
    # How many cells (totals included) are hidden; the recap says so under the table.
    hidden: int

    def rows(self) -> list[tuple[str, tuple[int | None, ...], int | None]]:
        """Return (label, cells, row total) for each row, for templates."""
        return list(zip(self.row_labels, self.cells, self.row_totals, strict=True))

    def column(self, index: int) -> list[int | None]:
        """Return one column's cells, top to bottom."""
        return [row[index] for row in self.cells]


def _lines(rows: int, cols: int) -> list[tuple[list[Position], Position]]:
    """Return every (parts, total) line of the extended matrix (totals in the last row and column)."""
    lines: list[tuple[list[Position], Position]] = []
    has_total_col, has_total_row = cols > 1, rows > 1
    width = cols + (1 if has_total_col else 0)
    height = rows + (1 if has_total_row else 0)
    if has_total_col:
        for r in range(height):
            lines.append(([(r, c) for c in range(cols)], (r, cols)))
    if has_total_row:
        for c in range(width):
            lines.append(([(r, c) for r in range(rows)], (rows, c)))
    return lines


def suppress_matrix(
    matrix: Sequence[Sequence[int]],
    *,
    k: int,
    row_labels: Sequence[str] = (),
    col_labels: Sequence[str] = (),
    fixed: Mapping[Position, bool] | None = None,
) -> SuppressedTable:
    """Return ``matrix`` (rows × columns of counts ≥ 0) with its totals and small cells suppressed.

    ``fixed`` maps positions of the extended matrix (row ``len(matrix)`` is the totals row, column
    ``len(matrix[0])`` the totals column) to a state decided elsewhere: True hidden, False shown.
    """
    rows = len(matrix)
    cols = len(matrix[0]) if rows else 0
    if any(len(row) != cols for row in matrix):
        raise ValueError("every row needs the same number of cells")
    if any(v < 0 for row in matrix for v in row):
        raise ValueError("counts cannot be negative")
    has_total_col, has_total_row = cols > 1, rows > 1
    value: dict[Position, int] = {}
    for r, row in enumerate(matrix):
        for c, v in enumerate(row):
            value[(r, c)] = int(v)
        if has_total_col:
            value[(r, cols)] = sum(row)
    if has_total_row:
        for c in range(cols):
            value[(rows, c)] = sum(matrix[r][c] for r in range(rows))
        if has_total_col:
            value[(rows, cols)] = sum(value[(rows, c)] for c in range(cols))
    fixed = dict(fixed or {})
    hidden = {pos for pos, v in value.items() if 0 < v < k and fixed.get(pos, True)}
    hidden |= {pos for pos, state in fixed.items() if state and pos in value}
    lines = _lines(rows, cols)
    changed = bool(rows and cols)
    while changed:
        changed = False
        for parts, total_pos in lines:
            total_known = total_pos not in hidden or fixed.get(total_pos) is False
            if not total_known:
                # A hidden total must not come back as the sum of its shown parts (it may be hidden to protect
                # a small count in another line, e.g. a kind total hidden in the table of kinds).
                if value[total_pos] > 0 and not any(p in hidden for p in parts):
                    candidates = sorted(
                        (p for p in parts if value[p] > 0 and fixed.get(p) is not False), key=lambda p: (value[p], p)
                    )
                    if candidates:
                        hidden.add(candidates[0])
                        changed = True
                continue
            hidden_parts = [p for p in parts if p in hidden]
            if not hidden_parts:
                continue
            while len(hidden_parts) < 2 or sum(value[p] for p in hidden_parts) < k:
                candidates = sorted(
                    (p for p in parts if p not in hidden and value[p] > 0 and fixed.get(p) is not False),
                    key=lambda p: (value[p], p),
                )
                if candidates:
                    hidden.add(candidates[0])
                    hidden_parts.append(candidates[0])
                    changed = True
                    continue
                # Every non-zero part is hidden already; hide the total unless it is published elsewhere.
                if fixed.get(total_pos) is not False and total_pos not in hidden:
                    hidden.add(total_pos)
                    changed = True
                break

    def shown(pos: Position) -> int | None:
        return None if pos in hidden else value[pos]

    cells = tuple(tuple(shown((r, c)) for c in range(cols)) for r in range(rows))
    row_totals = tuple(shown((r, cols)) if has_total_col else cells[r][0] if cols else None for r in range(rows))
    col_totals = tuple(shown((rows, c)) if has_total_row else (cells[0][c] if rows else None) for c in range(cols))
    total: int | None
    if has_total_row and has_total_col:
        total = shown((rows, cols))
    elif has_total_row:
        total = col_totals[0] if cols else None
    elif has_total_col:
        total = row_totals[0] if rows else None
    else:
        total = cells[0][0] if rows and cols else 0
    return SuppressedTable(
        row_labels=tuple(row_labels) or tuple(str(r) for r in range(rows)),
        col_labels=tuple(col_labels) or tuple(str(c) for c in range(cols)),
        cells=cells,
        row_totals=row_totals,
        col_totals=col_totals,
        total=total,
        hidden=len(hidden),
    )


def suppress_value(count: int, *, k: int) -> int | None:
    """Return ``count``, or None when it is under the minimum (and not zero)."""
    return None if 0 < count < k else count
