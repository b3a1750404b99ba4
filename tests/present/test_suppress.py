"""Small-count suppression: hand-worked tables, and an attacker who solves the totals.

Expected cells come from working the rule by hand (threshold 3: 1–2 are "<3"; the totals must
not give a hidden cell back). The attacker below is written independently of the module: it
sees only the published table (numbers, "<3", "x" and the totals) and bounds each hidden cell
by linear programming over the published equations.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from analysis.present.appendix.suppress import suppress_table


def with_totals(rows: list[list[int]], row_totals: bool = True) -> pd.DataFrame:
    """A table with its column totals as row "T" (and row totals as column "T")."""
    frame = pd.DataFrame(rows, index=[f"r{i + 1}" for i in range(len(rows))],
                         columns=[f"c{j + 1}" for j in range(len(rows[0]))], dtype=float)
    if row_totals:
        frame["T"] = frame.sum(axis=1)
    frame.loc["T"] = frame.sum(axis=0)
    return frame


def attack(display: pd.DataFrame, total_row, total_col) -> dict[tuple, tuple[float, float]]:
    """What a reader can learn of each hidden cell: (lowest, highest) over every table that
    matches the published one. "<3" is 1..2; "x" is at least 3 (zeros and 1–2 are never
    "x"); a total equals the sum of its line."""
    cells = [(r, c) for r in display.index for c in display.columns
             if isinstance(display.loc[r, c], str)]
    pos = {cell: k for k, cell in enumerate(cells)}
    equations = []
    if total_row is not None:
        for c in display.columns:
            equations.append(([(r, c) for r in display.index if r != total_row], (total_row, c)))
    if total_col is not None:
        for r in display.index:
            equations.append(([(r, c) for c in display.columns if c != total_col], (r, total_col)))
    a_eq, b_eq = [], []
    for parts, total in equations:
        row, rhs = np.zeros(len(cells)), 0.0
        for cell in parts:
            value = display.loc[cell]
            if cell in pos:
                row[pos[cell]] += 1
            elif not pd.isna(value):
                rhs -= float(value)
        if total in pos:
            row[pos[total]] -= 1
        else:
            rhs += float(display.loc[total])
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    bounds = [(1, 2) if display.loc[cell] == "<3" else (3, None) for cell in cells]
    out = {}
    for cell, k in pos.items():
        ends = []
        for sign in (1, -1):
            goal = np.zeros(len(cells))
            goal[k] = sign
            res = linprog(goal, A_eq=np.array(a_eq) if a_eq else None,
                          b_eq=np.array(b_eq) if b_eq else None, bounds=bounds, method="highs")
            assert res.status in (0, 3), res.message  # the true table is always feasible
            ends.append(math.inf if res.status == 3 else sign * res.fun)
        out[cell] = (ends[0], ends[1])
    return out


def pinned(low: float, high: float) -> bool:
    return math.isfinite(high) and math.floor(high + 1e-7) == math.ceil(low - 1e-7)


def assert_protected(counts, display, primary, total_row=None, total_col=None):
    """No 1–2 count is printed, and no "<3" cell can be worked out exactly."""
    for r, c in itertools.product(counts.index, counts.columns):
        value = counts.loc[r, c]
        if 1 <= value <= 2:
            assert display.loc[r, c] == "<3" and primary.loc[r, c], (r, c)
    for cell, (low, high) in attack(display, total_row, total_col).items():
        if display.loc[cell] == "<3":
            assert not pinned(low, high), (cell, low, high)


class TestHandWorked:
    def test_a_2_in_a_3x3_table_needs_the_cheapest_rectangle(self):
        # r1c1 = 2 is primary. Row r1 and column c1 publish totals, so one more cell must go in
        # each; those two then need a fourth cell closing the rectangle (rows r1, r2 ×
        # columns c1, c2). Costs of the rectangles through r1c1: {r1c2, r2c1, r2c2} = 5+6+4 = 15
        # is the smallest (e.g. {r1c2, r3c1, r3c2} = 5+7+10 = 22, {r1c3, r2c1, r2c3} = 8+6+9).
        counts = with_totals([[2, 5, 8], [6, 4, 9], [7, 10, 3]])
        display, primary, secondary = suppress_table(counts, total_row="T", total_col="T")
        assert primary.to_numpy().sum() == 1 and primary.loc["r1", "c1"]
        hidden = {(r, c) for r in counts.index for c in counts.columns if secondary.loc[r, c]}
        assert hidden == {("r1", "c2"), ("r2", "c1"), ("r2", "c2")}
        assert display.loc["r1", "c1"] == "<3" and display.loc["r2", "c2"] == "x"
        # everything else keeps its number, a 3 included (the threshold is "fewer than 3")
        assert display.loc["r3", "c3"] == 3 and display.loc["T", "T"] == 54
        assert_protected(counts, display, primary, "T", "T")

    def test_a_column_with_two_small_cells_needs_no_secondary(self):
        # 1 + 2 = 53 - 50: the reader learns the two add to 3, so each is 1 or 2 — what "<3"
        # says anyway.
        counts = pd.DataFrame({"2020": [1.0, 2.0, 50.0]}, index=["a", "b", "c"])
        counts.loc["T"] = counts.sum()
        display, primary, secondary = suppress_table(counts, total_row="T")
        assert list(display["2020"]) == ["<3", "<3", 50.0, 53.0]
        assert not secondary.to_numpy().any()
        assert_protected(counts, display, primary, "T")

    def test_two_ones_are_not_enough(self):
        # 1 + 1 = 52 - 50 = 2 and both are at least 1: both would be exactly 1. The rule of
        # two holds, yet the cells are disclosed; the audit hides the 50 as well.
        counts = pd.DataFrame({"2020": [1.0, 1.0, 50.0, 60.0]}, index=["a", "b", "c", "d"])
        counts.loc["T"] = counts.sum()
        display, primary, secondary = suppress_table(counts, total_row="T")
        assert list(display["2020"]) == ["<3", "<3", "x", 60.0, 112.0]
        assert_protected(counts, display, primary, "T")

    def test_a_lone_small_cell_is_not_recoverable_from_the_total(self):
        # Total 95 minus the visible cells would give r7 = 1 back; hiding the smallest other
        # cell (4) leaves 1 + x = 5 with x ≥ 3: r7 is 1 or 2.
        values = [6, 6, 14, 13, 17, 13, 1, 4, 9, 12]
        counts = pd.DataFrame({"2020": [float(v) for v in values]},
                              index=[f"u{i}" for i in range(len(values))])
        counts.loc["T"] = counts.sum()
        display, primary, secondary = suppress_table(counts, total_row="T")
        assert display.loc["u6", "2020"] == "<3" and display.loc["u7", "2020"] == "x"
        assert secondary.to_numpy().sum() == 1
        visible = [v for v in display["2020"].iloc[:-1] if not isinstance(v, str)]
        assert display.loc["T", "2020"] - sum(visible) == 5  # not 1: the cell is not recoverable
        assert_protected(counts, display, primary, "T")

    def test_a_secondary_too_small_to_hide_the_range_is_not_used_alone(self):
        # 1 and a 3: the reader knows 1 + x = 4 with x ≥ 3, so the "<3" is exactly 1. A third
        # cell must go.
        counts = pd.DataFrame({"y": [1.0, 3.0, 40.0]}, index=["a", "b", "c"])
        counts.loc["T"] = counts.sum()
        display, primary, secondary = suppress_table(counts, total_row="T")
        assert list(display["y"]) == ["<3", "x", "x", 44.0]
        assert_protected(counts, display, primary, "T")

    def test_zero_and_missing_are_kept(self):
        counts = pd.DataFrame({"y": [0.0, np.nan, 2.0, 7.0, 9.0]}, index=list("abcde"))
        counts.loc["T"] = counts.sum()
        display, primary, secondary = suppress_table(counts, total_row="T")
        assert display.loc["a", "y"] == 0 and pd.isna(display.loc["b", "y"])
        assert display.loc["d", "y"] == "x"  # the smallest non-zero partner, never the zero
        assert_protected(counts, display, primary, "T")

    def test_a_small_total_is_hidden_too(self):
        counts = pd.DataFrame({"y": [2.0, 0.0], "z": [5.0, 6.0]}, index=["a", "b"])
        counts.loc["T"] = counts.sum()
        display, primary, _ = suppress_table(counts, total_row="T")
        assert display.loc["T", "y"] == "<3" and display.loc["a", "y"] == "<3"
        assert display.loc["T", "z"] == 11


class TestProperties:
    @pytest.mark.parametrize("seed", range(6))
    def test_random_tables_are_protected_and_deterministic(self, seed):
        rng = np.random.default_rng(seed)
        rows = rng.choice([0, 1, 2, 3, 4, 5, 8, 13, 40], size=(5, 4)).tolist()
        both = seed % 2 == 0
        counts = with_totals(rows, row_totals=both)
        args = {"total_row": "T", "total_col": "T" if both else None}
        display, primary, secondary = suppress_table(counts, **args)
        again = suppress_table(counts, **args)
        assert display.equals(again[0]) and secondary.equals(again[2])
        assert not (primary & secondary).to_numpy().any()
        assert_protected(counts, display, primary, **args)
        # every number still printed is the true one
        shown = display.map(lambda v: not isinstance(v, str))
        assert (display[shown].astype(float).fillna(-1) == counts[shown].fillna(-1)).all().all()

    def test_rejects_inconsistent_totals_and_fractions(self):
        counts = with_totals([[1, 5], [6, 7]])
        counts.loc["T", "c1"] = 8
        with pytest.raises(ValueError, match="khác tổng"):
            suppress_table(counts, total_row="T", total_col="T")
        with pytest.raises(ValueError, match="số nguyên"):
            suppress_table(pd.DataFrame({"y": [1.5, 2.0]}))
