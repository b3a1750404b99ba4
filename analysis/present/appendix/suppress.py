"""Small-count suppression for published tables of people (publishing mode, ``--publish``).

The review's appendix tables go to party cells. A table that counts people by unit and year
can single someone out: "1 key official of Thành phố Bắc Giang still lacks a university
degree" names a person to everyone who knows the town. Statistical offices protect such
tables in two steps, and so does :func:`suppress_table`:

1. **Primary suppression.** A cell counting 1 to ``threshold - 1`` people (1–2 with the
   default threshold of 3) is shown as ``"<3"``. This is the threshold rule of ONS,
   *Disclosure control guidance for tables produced from administrative sources* (2014), and
   of Hundepool et al., *Handbook on Statistical Disclosure Control*, ESSnet SDC (2010 /
   2nd ed. 2024), §5.2 ("threshold rule"; frequency tables).
2. **Secondary (complementary) suppression.** A published total minus the visible cells would
   give the hidden one back, so other cells of the same row or column are hidden too (shown
   as ``"x"``), until every line with a published total holds at least two hidden cells and
   no ``"<3"`` cell can be recomputed exactly from the totals. Complements are chosen
   cheapest first, as the *hypercube method* of τ-ARGUS does (Repsilber 1994; Handbook
   §4.4.5 and §5.4): in a table with row and column totals the cheapest rectangle of four
   cells around the hidden one, in a table with column totals only the smallest other cell of
   its column.

The "at least two hidden cells per line" rule is necessary, not sufficient: with a column
``1, 1`` hidden and their total 2 known, a reader who knows that ``"<3"`` means 1 or 2 finds
both are 1. So the choice is followed by an **audit**: for every ``"<3"`` cell, the smallest
and largest values it can take given everything published (each total's equation, ``"<3"``
in [1, threshold − 1], ``"x"`` at least ``threshold``) are found by linear programming
(:func:`scipy.optimize.linprog`); while one of them is pinned to a single whole number,
the smallest visible non-zero cell of one of its lines is hidden too. That is the interval
("feasibility") audit of the Handbook, §4.4.3.

Design choices, and why:

- **Zero is not suppressed.** A zero count of people lacking something says that no one in the
  group lacks it, which discloses nothing sensitive about anyone; zeros are also structural
  here (a unit with no communes has no commune officials), and hiding them would hide facts,
  not people. Because zeros are never hidden, a reader knows every ``"x"`` holds at least
  ``threshold`` (the audit assumes that stronger reader). For the rare line whose only
  protection is a zero, zeros become candidates as a last resort and the audit then only
  assumes ``"x" ≥ 0``.
- **Missing cells** (no data) are published empty, add nothing to totals and are never
  hidden.
- **Totals** may themselves be 1–2 and are then hidden like any other cell.

The internal build never calls this module: it keeps every number.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np
import pandas as pd

__all__ = [
    "PRIMARY_SYMBOL",
    "SECONDARY_SYMBOL",
    "audit_intervals",
    "primary_symbol",
    "suppress_table",
]

SECONDARY_SYMBOL = "x"
PRIMARY_SYMBOL = "<3"


def primary_symbol(threshold: int = 3) -> str:
    """What a primary-suppressed cell shows: ``"<3"`` for the default threshold."""
    return f"<{int(threshold)}"


def _lines(
    index: list[Hashable],
    columns: list[Hashable],
    total_row: Hashable | None,
    total_col: Hashable | None,
) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """Every published equation: ``(cells that add up, the cell holding their total)``."""
    lines = []
    if total_row is not None:
        t = index.index(total_row)
        for j in range(len(columns)):
            parts = [(i, j) for i in range(len(index)) if i != t]
            lines.append((parts, (t, j)))
    if total_col is not None:
        t = columns.index(total_col)
        for i in range(len(index)):
            parts = [(i, j) for j in range(len(columns)) if j != t]
            lines.append((parts, (i, t)))
    return lines


def _check_counts(values: np.ndarray, lines, index, columns) -> None:
    finite = values[~np.isnan(values)]
    if (finite < 0).any() or not np.allclose(finite, np.round(finite)):
        raise ValueError("Bảng cần ẩn số nhỏ phải là số người: số nguyên không âm.")
    for parts, total in lines:
        inner = np.array([values[c] for c in parts])
        if np.isnan(values[total]):
            if not np.isnan(inner).all():
                raise ValueError(
                    f"Thiếu ô tổng ({index[total[0]]}, {columns[total[1]]}) "
                    "của một dòng có số liệu."
                )
            continue
        if not math.isclose(float(np.nansum(inner)), float(values[total]), abs_tol=1e-9):
            raise ValueError(
                f"Ô tổng ({index[total[0]]}, {columns[total[1]]}) khác tổng các ô "
                f"({np.nansum(inner):g} ≠ {values[total]:g})."
            )


def audit_intervals(
    values: np.ndarray,
    primary: np.ndarray,
    secondary: np.ndarray,
    lines,
    threshold: int = 3,
    secondary_floor: int | None = None,
) -> dict[tuple[int, int], tuple[float, float]]:
    """The range a reader can narrow each hidden cell to, from the published table.

    Parameters
    ----------
    values
        The true counts (2-D; NaN = no data, published empty).
    primary, secondary
        Boolean masks of the cells shown ``"<3"`` and ``"x"``.
    lines
        Published equations ``[(cells that add up, total cell), …]`` (positions).
    threshold
        A ``"<3"`` cell is known to lie in ``[1, threshold - 1]``.
    secondary_floor
        What a reader knows of an ``"x"`` cell: at least this (default ``threshold``, since
        zeros and small counts are never shown as ``"x"``).

    Returns
    -------
    dict
        ``{(row, col): (lowest, highest)}`` for every hidden cell; a cell is disclosed when
        the range holds one whole number only.
    """
    from scipy.optimize import linprog

    floor = threshold if secondary_floor is None else secondary_floor
    hidden = [tuple(p) for p in np.argwhere(primary | secondary)]
    if not hidden:
        return {}
    pos = {cell: k for k, cell in enumerate(hidden)}
    a_eq, b_eq = [], []
    for parts, total in lines:
        row = np.zeros(len(hidden))
        rhs = 0.0
        for cell in parts:
            if cell in pos:
                row[pos[cell]] += 1.0
            elif not np.isnan(values[cell]):
                rhs -= values[cell]
        if total in pos:
            row[pos[total]] -= 1.0
        elif not np.isnan(values[total]):
            rhs += values[total]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    bounds = [
        (1, threshold - 1) if primary[cell] else (floor, None) for cell in hidden
    ]
    out = {}
    for k, cell in enumerate(hidden):
        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(hidden))
            c[k] = sign
            res = linprog(
                c,
                A_eq=np.array(a_eq) if a_eq else None,
                b_eq=np.array(b_eq) if b_eq else None,
                bounds=bounds,
                method="highs",
            )
            if res.status == 3:  # unbounded above
                ends.append(math.inf if sign < 0 else -math.inf)
            elif res.status != 0:
                raise RuntimeError(f"Không kiểm tra được bảng đã ẩn số nhỏ: {res.message}")
            else:
                ends.append(sign * res.fun)
        out[cell] = (ends[0], ends[1])
    return out


def _pinned(low: float, high: float) -> bool:
    """True when [low, high] holds exactly one whole number."""
    return math.isfinite(high) and math.floor(high + 1e-7) == math.ceil(low - 1e-7)


def suppress_table(
    counts: pd.DataFrame,
    *,
    threshold: int = 3,
    total_row: Hashable | None = None,
    total_col: Hashable | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Hide small counts of people and the cells that would give them away.

    Parameters
    ----------
    counts
        Numbers of people (whole, non-negative; NaN = no data), including the total row
        and/or column if the table publishes them.
    threshold
        Counts from 1 to ``threshold - 1`` are hidden (primary suppression).
    total_row, total_col
        Index label of the row holding the column totals (e.g. the province row), column
        label of the column holding the row totals; ``None`` when the table has none.

    Returns
    -------
    display : DataFrame
        ``counts`` as published: object dtype, ``"<3"`` for primary cells, ``"x"`` for
        secondary cells, every other cell the original number (NaN stays NaN).
    primary, secondary : DataFrame of bool
        Which cells were hidden, and why.

    Raises
    ------
    ValueError
        Negative or fractional counts, or a total that differs from the sum of its cells.

    Notes
    -----
    Deterministic: ties are broken by position (first row, then first column). The result
    passes :func:`audit_intervals`: no ``"<3"`` cell can be recomputed exactly from the totals.
    See the module docstring for the method and its sources.

    One case cannot be protected by hiding cells: a line whose cells and total are all small
    (two 1s and a total of 2 all shown "<3" still add up only one way). The cells are hidden
    all the same; tables of the appendix are by district and year, where it does not occur.
    """
    if threshold < 2:
        raise ValueError("Ngưỡng ẩn số nhỏ phải từ 2 trở lên.")
    index, columns = list(counts.index), list(counts.columns)
    for label, where in ((total_row, index), (total_col, columns)):
        if label is not None and label not in where:
            raise ValueError(f"Không có dòng/cột tổng “{label}” trong bảng.")
    values = counts.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    lines = _lines(index, columns, total_row, total_col)
    _check_counts(values, lines, index, columns)

    primary = (values >= 1) & (values < threshold)
    hidden = primary.copy()
    floor = threshold

    lines_of: dict[tuple[int, int], list[int]] = {}
    for k, (parts, total) in enumerate(lines):
        for cell in [*parts, total]:
            lines_of.setdefault(cell, []).append(k)

    def members(k: int) -> list[tuple[int, int]]:
        parts, total = lines[k]
        return [*parts, total]

    def cost(cell: tuple[int, int]) -> float:
        return 0.0 if hidden[cell] else float(values[cell])

    def usable(cell: tuple[int, int], zeros: bool = False) -> bool:
        v = values[cell]
        return not np.isnan(v) and (hidden[cell] or v > 0 or zeros)

    # 1. hypercube step: protect each primary cell with the cheapest rectangle (both totals)
    #    or the cheapest partner in its line (one direction of totals)
    for cell in map(tuple, np.argwhere(primary)):
        i, j = cell
        if total_row is not None and total_col is not None:
            best = None
            for i2 in range(len(index)):
                for j2 in range(len(columns)):
                    if i2 == i or j2 == j:
                        continue
                    corners = [(i, j2), (i2, j), (i2, j2)]
                    if not all(usable(c) for c in corners):
                        continue
                    key = (sum(cost(c) for c in corners), i2, j2)
                    if best is None or key < best[0]:
                        best = (key, corners)
            if best is not None:
                for c in best[1]:
                    hidden[c] = True
        else:
            for k in lines_of.get(cell, []):
                others = [c for c in members(k) if c != cell]
                if any(hidden[c] for c in others):
                    continue
                pool = [c for c in others if usable(c)]
                if pool:
                    hidden[min(pool, key=lambda c: (cost(c), c))] = True

    # 2. rule of two: no published line may hold exactly one hidden cell
    # 3. audit: no "<3" cell may be pinned down; hide more until none is
    while True:
        lone = next(
            (k for k in range(len(lines)) if sum(hidden[c] for c in members(k)) == 1), None
        )
        if lone is not None:
            pool = [c for c in members(lone) if not hidden[c] and usable(c)]
            if not pool:
                pool = [c for c in members(lone) if not hidden[c] and usable(c, zeros=True)]
                floor = 0
            if pool:
                hidden[min(pool, key=lambda c: (values[c], c))] = True
                continue
        secondary = hidden & ~primary
        intervals = audit_intervals(values, primary, secondary, lines, threshold, floor)
        exposed = [c for c in map(tuple, np.argwhere(primary)) if _pinned(*intervals[c])]
        if not exposed:
            break
        added = False
        for cell in exposed:
            pool = [
                c for k in lines_of.get(cell, []) for c in members(k) if not hidden[c] and usable(c)
            ]
            if not pool:
                pool = [
                    c
                    for k in lines_of.get(cell, [])
                    for c in members(k)
                    if not hidden[c] and usable(c, zeros=True)
                ]
                if pool:
                    floor = 0
            if pool:
                hidden[min(pool, key=lambda c: (values[c], c))] = True
                added = True
                break
        if not added:  # every cell of its lines is hidden already: nothing more can help
            break

    secondary = hidden & ~primary
    display = counts.astype(object).copy()
    arr = display.to_numpy(dtype=object, copy=True)
    arr[primary] = primary_symbol(threshold)
    arr[secondary] = SECONDARY_SYMBOL
    display = pd.DataFrame(arr, index=counts.index, columns=counts.columns)
    return (
        display,
        pd.DataFrame(primary, index=counts.index, columns=counts.columns),
        pd.DataFrame(secondary, index=counts.index, columns=counts.columns),
    )
