"""Small multiples: a grid of sparklines, one per (process) indicator, for one unit."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import fmt_number, fmt_value, is_missing
from analysis.present.plots.base import (
    UNIT_COLOUR,
    WIDTH_CM,
    as_floats,
    first_value,
    new_figure,
    series_of,
    words,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["small_multiples"]


def small_multiples(
    indicators_df: pd.DataFrame,
    indicator_ids: Iterable[str],
    unit_code: str,
    *,
    progress: pd.DataFrame | None = None,
    ncols: int = 4,
) -> Figure:
    """A grid of sparklines, one per (process) indicator, for one unit.

    Each panel: the name (wrapped to the panel's width), the line by year over a base line,
    the first value (grey, under the first point) and the latest value with an arrow coloured
    good/bad by the indicator's polarity — from ``progress.trend_direction`` when given, else
    from the sign of last minus first value. Every panel spans the same years, labelled under
    the bottom panel of each column. No y axis: the two printed values give the scale.

    The panels are drawn in ONE axes without axis (panel ``i`` in row ``i // ncols``, column
    ``i % ncols``), not one Axes each: an Axes with its ticks costs ~25 ms to make and draw.
    Artists carry gids: ``sm_<id>`` (line), ``sm_title_<id>``, ``first``, ``latest``,
    ``no_data``.
    """
    ids = list(indicator_ids)
    ncols = max(1, min(ncols, len(ids) or 1))
    nrows = max(1, math.ceil(len(ids) / ncols))
    fig = new_figure(0.3 + 3.0 * nrows)
    fig.set_layout_engine("none")  # one axes filling the figure: nothing to lay out
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0), gid="small_multiples")
    ax.set_axis_off()
    ax.set_xlim(0, ncols)
    ax.set_ylim(nrows + 0.1, 0)  # rows from the top; 0.1 row for the year labels
    df = indicators_df[indicators_df["unit_code"].astype(str) == str(unit_code)]
    if "breakdown" in df.columns:
        df = df[df["breakdown"].fillna("").astype(str).isin(["", "total", "all"])]
    by_id = {key: rows for key, rows in df.groupby("indicator_id", sort=False)}
    directions: dict[Any, Any] = {}  # indicator -> trend_direction of its first progress row
    if progress is not None and "trend_direction" in progress.columns:
        mine = progress[(progress["unit_code"].astype(str) == str(unit_code)).to_numpy()]
        for key, direction in zip(mine["indicator_id"], mine["trend_direction"], strict=True):
            directions.setdefault(key, direction)
    known = pd.to_numeric(df["year"], errors="coerce").dropna() if len(df) else pd.Series([])
    y0, y1 = (int(known.min()), int(known.max())) if len(known) else (0, 1)
    # the last panel of each column carries the year labels (the panels below it are absent)
    bottom = {max(i for i in range(max(1, len(ids))) if i % ncols == c) for c in range(ncols)}
    # Titles may not be wider than the panel (the right column's used to run off the figure):
    # a panel is 1/ncols of 16 cm, DejaVu Sans at 6.2 pt sets ~8 characters per cm (7.5 for
    # a margin: capitals, đ and stacked diacritics are wider).
    wrap_width = max(12, int(WIDTH_CM / ncols * 7.5) - 1)
    # panel geometry, in panel units (1 × 1, 3 cm high): title 0–0.3 (3 lines), first and
    # latest values 0.34–0.44, plot box x 0.04–0.94, y 0.48 (top) – 0.86 (base line)
    left, right, top, base = 0.04, 0.94, 0.48, 0.86

    def px(col: int, year: Any) -> Any:
        return col + left + (right - left) * (np.asarray(year, dtype=float) - y0) / max(y1 - y0, 1)

    for i, ident in enumerate(ids):
        row, col = divmod(i, ncols)
        rows = by_id.get(ident, df.iloc[0:0]).sort_values("year")
        name = first_value(rows, "name_vi") or ident
        unit = first_value(rows, "unit") or "percent"
        polarity = first_value(rows, "polarity") or "higher"
        ax.text(
            col + 0.02,
            row + 0.03,
            _wrap(f"{ident}. {name}", wrap_width, 3),
            ha="left",
            va="top",
            fontsize=6.2,
            linespacing=1.15,
            gid=f"sm_title_{ident}",
        )
        ax.plot([col + left, col + right], [row + base] * 2, color="#999999", lw=0.6)
        if i in bottom:
            for year, ha in ((y0, "left"), (y1, "right")):
                ax.text(px(col, year), row + base + 0.04, str(year), ha=ha, va="top", fontsize=6)
        years = pd.to_numeric(rows["year"], errors="coerce").to_numpy(dtype=float)
        vals = as_floats(series_of(rows, "value"))
        ok = np.isfinite(years) & np.isfinite(vals)
        if not ok.any():
            ax.text(
                col + 0.5,
                row + (top + base) / 2,
                words()["no_data"],
                ha="center",
                va="center",
                fontsize=6.5,
                color="#666666",
                gid="no_data",
            )
            continue
        x, v = years[ok], vals[ok]
        low, high = float(np.min(v)), float(np.max(v))
        span = high - low or max(abs(high) * 0.05, 1.0)
        mid = (low + high) / 2
        # value -> panel y: the range fills the box but 0.05 above the base line
        py = row + base - 0.05 - (base - top - 0.05) * ((v - mid) / span + 0.5)
        ax.plot(px(col, x), py, color=UNIT_COLOUR, lw=1.2, marker="o", ms=2.5, gid=f"sm_{ident}")
        change: Any = v[-1] - v[0] if ok.sum() > 1 else None
        if not is_missing(directions.get(ident)):
            change = directions[ident]
        noun = L.count_noun(ident)
        if ok.sum() > 1:  # above the line, left: no collision with it, whatever its course
            # a count without its noun: "13" beside "12 đảng viên ↓" fits a 4 cm panel
            first = fmt_value(v[0], unit, noun) if unit == "percent" else fmt_number(v[0])
            ax.text(
                col + left,
                row + 0.355,
                first,
                ha="left",
                va="top",
                fontsize=6,
                color="#666666",
                gid="first",
            )
        arrow = L.direction(change, polarity)
        ax.text(
            col + right,
            row + 0.34,
            f"{fmt_value(v[-1], unit, noun)} {arrow.arrow}".strip(),
            ha="right",
            va="top",
            fontsize=7.5,
            fontweight="bold",
            color=arrow.colour,
            gid="latest",
        )
    return fig


def _wrap(text: str, width: int, max_lines: int) -> str:
    """Wrap ``text``; a cut shows an ellipsis rather than silently dropping words."""
    lines = textwrap.wrap(text, width)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return "\n".join(lines)

