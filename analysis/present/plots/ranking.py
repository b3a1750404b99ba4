"""Ranked dot plot: units sorted by value with their 95% intervals and the province baseline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import fmt_value, is_missing
from analysis.present.plots.base import (
    HIGHLIGHT_COLOUR,
    TARGET_COLOUR,
    UNIT_COLOUR,
    as_floats,
    first_value,
    legend_below,
    new_figure,
    series_of,
    value_axis_label,
    value_of,
    vi_formatter,
    words,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["ranked_dot_plot"]


def ranked_dot_plot(
    df: pd.DataFrame,
    highlight: str | None = None,
    unit_names: Mapping[str, str] | None = None,
    *,
    baseline: float | None = None,
    title_vi: str = "",
    unit: str | None = None,
) -> Figure:
    """Units sorted by value (highest at the top) with their 95% intervals.

    ``df`` has ``unit_code, value`` and optionally ``lower_95, upper_95, level, name_vi``. A
    ``level == "province"`` row becomes the vertical baseline unless ``baseline`` is given.
    """
    data = df.copy()
    unit = unit or first_value(data, "unit") or "percent"
    if "level" in data.columns:
        prov = data[data["level"].fillna("") == "province"]
        if baseline is None and len(prov):
            baseline = value_of(prov.iloc[0], "value")
        data = data[data["level"].fillna("") != "province"]
    data["_v"] = as_floats(series_of(data, "value"))
    data = data.sort_values("_v", ascending=True, na_position="first", kind="mergesort")
    n = len(data)
    fig = new_figure(max(4.0, 1.8 + 0.55 * n))
    ax = fig.add_subplot()
    if title_vi:
        ax.set_title(title_vi)
    pos = np.arange(n)
    values = data["_v"].to_numpy()
    ok = np.isfinite(values)
    lower, upper = as_floats(series_of(data, "lower_95")), as_floats(series_of(data, "upper_95"))
    has_ci = ok & np.isfinite(lower) & np.isfinite(upper)
    if has_ci.any():
        ax.errorbar(
            values[has_ci],
            pos[has_ci],
            xerr=np.vstack(
                [
                    np.clip(values[has_ci] - lower[has_ci], 0, None),
                    np.clip(upper[has_ci] - values[has_ci], 0, None),
                ]
            ),
            fmt="none",
            ecolor="#777777",
            elinewidth=1,
            capsize=2,
            gid="ci_95",
            label=words()["ci_95"],
        )
    ax.plot(values[ok], pos[ok], ls="none", marker="o", color=UNIT_COLOUR, ms=5, gid="values")
    codes = series_of(data, "unit_code", "").astype(str).tolist()
    hl = np.array([c == highlight for c in codes])
    if (hl & ok).any():
        ax.plot(
            values[hl & ok],
            pos[hl & ok],
            ls="none",
            marker="o",
            ms=7,
            color=HIGHLIGHT_COLOUR,
            gid="highlight",
        )
    if baseline is not None and not is_missing(baseline):
        ax.axvline(
            float(baseline),
            color=TARGET_COLOUR,
            lw=1,
            ls="--",
            gid="baseline",
            label=f"{L.labels()['province_total']}: {fmt_value(baseline, unit)}",
        )
    names = unit_names or {}
    name_col = series_of(data, "name_vi", None)
    ticklabels = []
    for code, fallback in zip(codes, name_col, strict=True):
        name = names.get(code) or (fallback if isinstance(fallback, str) else code)
        ticklabels.append(L.short_name(name))
    ax.set_yticks(pos)
    ax.set_yticklabels(ticklabels)
    for tick, is_hl in zip(ax.get_yticklabels(), hl, strict=True):
        if is_hl:
            tick.set_fontweight("bold")
            tick.set_color(HIGHLIGHT_COLOUR)
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.xaxis.set_major_formatter(vi_formatter("number"))
    ax.set_xlabel(value_axis_label(unit, ""))
    legend_below(fig, ax, ncol=2)
    return fig

