"""Small-cell suppression: no count under the minimum can be seen or worked out from the totals."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.suppression import SuppressedTable, suppress_matrix

K = 5


def _lines(table: SuppressedTable, matrix: list[list[int]]) -> list[tuple[list[tuple[int | None, int]], int | None]]:
    """Every line as (shown/true pairs of its parts, shown total)."""
    rows, cols = len(matrix), len(matrix[0])
    lines = []
    if cols > 1:
        for r in range(rows):
            lines.append((list(zip(table.cells[r], matrix[r], strict=True)), table.row_totals[r]))
    if rows > 1:
        for c in range(cols):
            lines.append(([(table.cells[r][c], matrix[r][c]) for r in range(rows)], table.col_totals[c]))
    if rows > 1 and cols > 1:
        true_col = [sum(matrix[r][c] for r in range(rows)) for c in range(cols)]
        lines.append((list(zip(table.col_totals, true_col, strict=True)), table.total))
        true_row = [sum(row) for row in matrix]
        lines.append((list(zip(table.row_totals, true_row, strict=True)), table.total))
    return lines


def _assert_protected(matrix: list[list[int]], table: SuppressedTable) -> None:
    shown = [v for row in table.cells for v in row] + list(table.row_totals) + list(table.col_totals) + [table.total]
    assert all(v is None or v == 0 or v >= K for v in shown), "a small count is visible"
    for parts, total in _lines(table, matrix):
        hidden = [true for seen, true in parts if seen is None]
        if total is None:
            # A hidden total must not be the sum of shown parts (it may protect a count elsewhere).
            assert hidden or sum(true for _seen, true in parts) == 0, parts
            continue
        if not hidden:
            continue
        # With the total known, the hidden parts must be at least two and sum to at least K.
        assert len(hidden) >= 2 and sum(hidden) >= K, (parts, total)


def test_a_small_cell_is_hidden_with_a_partner_so_the_total_does_not_give_it_away() -> None:
    table = suppress_matrix([[3], [40], [12]], k=K)
    assert table.cells == ((None,), (40,), (None,))
    assert table.total == 55
    assert table.hidden == 2


def test_the_hidden_partner_is_the_smallest_non_zero_cell_and_zeros_stay() -> None:
    table = suppress_matrix([[3], [0], [40], [12], [9]], k=K)
    assert [row[0] for row in table.cells] == [None, 0, 40, 12, None]


def test_two_small_cells_whose_sum_is_still_small_get_a_third() -> None:
    table = suppress_matrix([[1], [2], [30], [20]], k=K)
    assert [row[0] for row in table.cells] == [None, None, 30, None]


def test_a_small_total_is_hidden_with_everything_in_its_line() -> None:
    table = suppress_matrix([[1, 2], [0, 1]], k=K)
    assert table.total is None
    assert all(v in (None, 0) for row in table.cells for v in row)


def test_a_total_published_elsewhere_is_never_used_to_hide_and_stays_as_given() -> None:
    # The bottom line (per-kind totals 30 and 3) was decided by the table of kinds: both hidden, total shown.
    kinds = suppress_matrix([[30], [3]], k=K)
    assert [row[0] for row in kinds.cells] == [None, None] and kinds.total == 33
    fixed = {(2, 0): True, (2, 1): True, (2, 2): False}
    table = suppress_matrix([[10, 3], [20, 0]], k=K, fixed=fixed)
    assert table.col_totals == (None, None)
    assert table.total == 33
    _assert_protected([[10, 3], [20, 0]], table)


def test_the_known_example_of_a_three_in_a_two_way_table() -> None:
    matrix = [[3, 10], [12, 7], [20, 25]]
    table = suppress_matrix(matrix, k=K)
    assert table.cells[0][0] is None
    _assert_protected(matrix, table)
    # Nothing on the page gives the 3 back: no row, column or total difference equals it.
    visible = [v for v in itertools.chain(*table.cells, table.row_totals, table.col_totals, [table.total]) if v]
    assert 3 not in visible


def test_a_hidden_total_published_elsewhere_cannot_be_rebuilt_from_its_rows() -> None:
    # The table of kinds hides WBS 40 to protect gratification 3 (the grand total 43 is shown). A table of WBS
    # reports by violation type must then not show all its rows: 10 + 10 + 20 would give back 40, and 43 - 40 = 3.
    kinds = suppress_matrix([[40], [3]], k=K)
    assert kinds.cells == ((None,), (None,)) and kinds.total == 43
    violations = suppress_matrix([[10], [10], [20]], k=K, fixed={(3, 0): True})
    assert violations.total is None
    assert None in [row[0] for row in violations.cells]
    assert [row[0] for row in violations.cells] == [None, 10, 20]


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda cols: st.lists(
            st.lists(st.integers(min_value=0, max_value=30), min_size=cols, max_size=cols), min_size=1, max_size=6
        )
    ),
    st.lists(st.booleans(), min_size=7, max_size=7),
)
def test_totals_fixed_as_hidden_elsewhere_stay_hidden_and_unrecoverable(
    matrix: list[list[int]], hide_bottom: list[bool]
) -> None:
    rows, cols = len(matrix), len(matrix[0])
    bottom = rows if rows > 1 else None
    # Totals hidden in another table (a total shown there is simply not fixed here).
    fixed = {(bottom, c): True for c in range(cols) if hide_bottom[c]} if bottom is not None else {}
    table = suppress_matrix(matrix, k=K, fixed=fixed)
    for c in range(cols):
        if bottom is not None and hide_bottom[c]:
            assert table.col_totals[c] is None
    _assert_protected(matrix, table)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda cols: st.lists(
            st.lists(st.integers(min_value=0, max_value=30), min_size=cols, max_size=cols), min_size=1, max_size=8
        )
    )
)
def test_every_line_of_any_table_protects_its_small_cells(matrix: list[list[int]]) -> None:
    table = suppress_matrix(matrix, k=K)
    _assert_protected(matrix, table)
    # Shown numbers are the true ones.
    for r, row in enumerate(matrix):
        for c, value in enumerate(row):
            assert table.cells[r][c] in (None, value)
