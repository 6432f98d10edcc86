"""Property: the CSV writer never emits a cell a spreadsheet would run as a formula, and
loses nothing else."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings, strategies as st

from ra_console.web.spreadsheet import FORMULA_STARTS, csv_lines

CELLS = st.one_of(st.text(max_size=30), st.integers(), st.none(),
                  st.tuples(st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", " ", "\n"]),
                            st.text(max_size=20)).map("".join))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=1, max_size=5), max_size=6))
def test_no_cell_starts_a_formula_and_the_rest_is_kept(rows):
    text = "".join(csv_lines(rows))
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert len(read) == len(rows)
    for written, original in zip(read, rows, strict=True):
        for cell, value in zip(written, original, strict=True):
            value = "" if value is None else str(value)
            assert not cell.startswith(FORMULA_STARTS)
            assert cell == ("'" + value if value.startswith(FORMULA_STARTS) else value)
