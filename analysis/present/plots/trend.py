"""Trend chart: one indicator for one unit by year, with its 95% intervals, the province, the
target, the projection to the target year and the series breaks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import fmt_number, fmt_value, is_missing
from analysis.present.plots.base import (
    PROVINCE_COLOUR,
    TARGET_COLOUR,
    UNIT_COLOUR,
    as_floats,
    first_value,
    flag_array,
    legend_below,
    new_figure,
    no_data,
    series_of,
    value_axis_label,
    value_of,
    vi_formatter,
    words,
    year_axis,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["trend_chart"]


def _resolve_target(target: Any, df: pd.DataFrame, progress_row: Any = None) -> dict[str, Any]:
    """Target as ``{op, value, kind, year, per_year}``: the argument wins, then the frame's
    ``target_*`` columns, then the progress row (the indicators frame has no target year)."""
    spec: dict[str, Any] = {
        key: first_value(df, f"target_{key}")
        if first_value(df, f"target_{key}") is not None
        else value_of(progress_row, f"target_{key}")
        for key in ("op", "value", "kind", "year")
    }
    spec["per_year"] = None
    if isinstance(target, Mapping):
        given = False
        for key in ("op", "value", "kind", "year"):
            for alias in (key, f"target_{key}"):
                if alias in target and not is_missing(target[alias]):
                    spec[key] = target[alias]
                    given = given or key == "value"
        if given:
            return spec
    elif target is not None and not is_missing(target):
        spec["value"] = float(target)
        return spec
    if "target_value" in df.columns:  # quotas may change from year to year
        per_year = df[["year", "target_value"]].dropna()
        if per_year["target_value"].nunique() > 1:
            spec["per_year"] = per_year
    return spec


def trend_chart(
    series_df: pd.DataFrame,
    target: Mapping[str, Any] | float | None = None,
    progress_row: Mapping[str, Any] | pd.Series | None = None,
    province_series: pd.DataFrame | pd.Series | None = None,
    title_vi: str = "",
    *,
    unit: str | None = None,
    noun: str | None = None,
    unit_label: str | None = None,
    breaks: Iterable[str] = (),
    partial_years: Iterable[int] = (),
    height_cm: float = 8.0,
    province_on_counts: bool = False,
) -> Figure:
    """Values of one indicator for one unit by year, with what a reader needs to judge them.

    Parameters
    ----------
    series_df
        Indicators-frame rows of one indicator × unit (``year, value``; optional ``lower_95,
        upper_95, partial, series_break, target_*, unit, indicator_id``).
    target
        ``{"op", "value", "kind", "year"}`` (``target_``-prefixed keys accepted), a number, or
        None to read ``target_*`` from ``series_df``. ``every_year``: a line across the years
        (a step line when the yearly target changes); ``by_year``: a dotted line and a marker at
        the target year.
    progress_row
        A progress-frame row; its ``projected_value/lower/upper`` at ``target_year`` are drawn
        dashed from the latest value, with the interval.
    province_series
        The province's values (frame with ``year, value``, or a Series indexed by year), grey.
        Drawn for rates only unless ``province_on_counts``: a district's count (183 people)
        drawn on the province's axis (2.500 people) is a flat line at the bottom, so a count
        chart keeps the unit's own scale and the province is left out.
    title_vi
        Title above the chart.
    unit, noun
        ``"percent"``/``"count"`` (default from ``series_df["unit"]``) and the count noun.
    unit_label
        Name of the series in the legend (default "Đơn vị").
    breaks
        Series-break codes to mark besides those in ``series_df["series_break"]``.
    partial_years
        Years whose data cover part of the year (an assessment's ``partial_years``), besides
        the rows flagged ``partial``/``partial_year``. Such a point is drawn apart: a hollow
        marker joined by a dotted line, with its own 95% interval dotted, ``*`` after its value
        and its year. A projection to the same year is set a little to the right of it, with
        a diamond marker, so that its interval is never read as the point's.

    province_on_counts
        Draw ``province_series`` on a count chart too (the province's own report, where the
        series is the province itself, or a caller that wants the shared scale).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib import patheffects

    df = series_df.copy()
    df = df[pd.to_numeric(series_of(df, "year"), errors="coerce").notna()]
    df["year"] = pd.to_numeric(df["year"]).astype(int)
    df = df.sort_values("year")
    unit = unit or first_value(df, "unit") or "percent"
    indicator_id = first_value(df, "indicator_id") or value_of(progress_row, "indicator_id") or ""
    noun = L.count_noun(indicator_id) if noun is None else noun
    fmt = vi_formatter("number")

    fig = new_figure(height_cm)
    ax = fig.add_subplot()
    if title_vi:
        ax.set_title(title_vi)
    years = df["year"].to_numpy()
    values = as_floats(series_of(df, "value"))
    ok = np.isfinite(values)
    partial = flag_array(df, "partial") | flag_array(df, "partial_year")
    partial |= np.isin(years, [int(y) for y in partial_years])
    x_years = set(years.tolist())

    if not ok.any():
        no_data(ax)
    # interval first, so the dots sit on top
    lower, upper = as_floats(series_of(df, "lower_95")), as_floats(series_of(df, "upper_95"))
    has_ci = ok & np.isfinite(lower) & np.isfinite(upper)
    for sel, gid, style in (
        (has_ci & ~partial, "ci_95", dict(alpha=0.6, label=words()["ci_95"])),
        (has_ci & partial, "ci_95_partial", dict(alpha=0.8)),
    ):
        if not sel.any():
            continue
        bars = ax.errorbar(
            years[sel],
            values[sel],
            yerr=np.vstack(
                [
                    np.clip(values[sel] - lower[sel], 0, None),
                    np.clip(upper[sel] - values[sel], 0, None),
                ]
            ),
            fmt="none",
            ecolor=UNIT_COLOUR,
            elinewidth=1,
            capsize=3,
            gid=gid,
            **style,
        )
        if gid == "ci_95_partial":
            for line in bars.lines[2]:
                line.set_linestyle(":")
    full = ok & ~partial
    ax.plot(
        years[full],
        values[full],
        marker="o",
        color=UNIT_COLOUR,
        lw=1.6,
        ms=4.5,
        gid="values",
        label=unit_label or words()["unit_series"],
    )
    if (ok & partial).any():
        # a part-year value is not comparable with whole years: joined by a dotted line
        # to the last whole year before it, and hollow
        first = years[ok & partial].min()
        before = full & (years < first)
        link = (years == years[before].max()) & before if before.any() else before
        ax.plot(
            years[link | (ok & partial)],
            values[link | (ok & partial)],
            ls=":",
            lw=1.2,
            color=UNIT_COLOUR,
            gid="partial_link",
        )
        ax.plot(
            years[ok & partial],
            values[ok & partial],
            ls="none",
            marker="o",
            ms=6,
            mfc="white",
            mec=UNIT_COLOUR,
            mew=1.4,
            zorder=3,
            gid="partial",
            label=words()["part_year"],
        )
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for y, v, is_part in zip(years[ok], values[ok], partial[ok], strict=True):
        ax.annotate(
            fmt_value(v, unit, decimals=1 if unit == "percent" else 0) + ("*" if is_part else ""),
            (y, v),
            textcoords="offset points",
            xytext=(-5, 5),
            ha="right",
            fontsize=6.5,
            color=UNIT_COLOUR,
            path_effects=halo,
            gid="value_label",
        )

    # province: on a count chart only when asked (the unit keeps its own scale)
    if unit == "count" and not province_on_counts:
        province_series = None
    if province_series is not None:
        if isinstance(province_series, pd.Series):
            prov = pd.DataFrame({"year": province_series.index, "value": province_series.values})
        else:
            prov = province_series
        py = pd.to_numeric(series_of(prov, "year"), errors="coerce").to_numpy(dtype=float)
        pv = as_floats(series_of(prov, "value"))
        keep = np.isfinite(py) & np.isfinite(pv)
        if keep.any():
            order = np.argsort(py[keep])
            ax.plot(
                py[keep][order],
                pv[keep][order],
                color=PROVINCE_COLOUR,
                lw=1,
                marker=".",
                gid="province",
                label=L.labels()["province_total"],
            )
            x_years |= {int(y) for y in py[keep]}

    # target
    spec = _resolve_target(target, df, progress_row)
    t_value, t_op, t_kind = spec.get("value"), spec.get("op"), spec.get("kind")
    t_year = None if is_missing(spec.get("year")) else spec.get("year")
    if t_value is not None and not is_missing(t_value):
        t_value = float(t_value)
        text = L.target_text(t_op or "==", t_value, unit, noun) if t_op else fmt_number(t_value)
        kind_text = L.target_kind_text(t_kind, t_year)
        label = words()["target"].format(target=text) + (f" {kind_text}" if kind_text else "")
        per_year = spec.get("per_year")
        if per_year is not None and t_kind == "every_year":
            ax.plot(
                per_year["year"].astype(int),
                per_year["target_value"].astype(float),
                drawstyle="steps-mid",
                ls="--",
                color=TARGET_COLOUR,
                lw=1,
                gid="target",
                label=words()["target_per_year"],
            )
        else:
            ax.axhline(
                t_value,
                ls="--" if t_kind != "by_year" else ":",
                color=TARGET_COLOUR,
                lw=1,
                gid="target",
                label=label,
            )
        if t_kind == "by_year" and t_year is not None:
            ax.plot(
                [int(t_year)],
                [t_value],
                ls="none",
                marker="*",
                ms=9,
                color=TARGET_COLOUR,
                gid="target_point",
            )
            x_years.add(int(t_year))

    # projection to the target year
    p_year = value_of(progress_row, "target_year")
    p_value = value_of(progress_row, "projected_value")
    l_year, l_value = value_of(progress_row, "latest_year"), value_of(progress_row, "latest_value")
    if p_year is not None and p_value is not None and l_year is not None and l_value is not None:
        p_year, l_year = int(p_year), int(l_year)
        # dodged right of an observed (part-year) point of the same year, and a diamond
        # rather than its hollow circle: the projection interval is not that point's
        p_x = p_year + 0.2 if (ok & (years == p_year)).any() else p_year
        if p_year > l_year:
            ax.plot(
                [l_year, p_x],
                [float(l_value), float(p_value)],
                ls="--",
                color=UNIT_COLOUR,
                lw=1.2,
                gid="projection",
                label=words()["projection"].format(year=p_year),
            )
            p_low, p_high = (
                value_of(progress_row, "projected_lower"),
                value_of(progress_row, "projected_upper"),
            )
            if p_low is not None and p_high is not None:
                ax.fill(
                    [l_year, p_x, p_x],
                    [float(l_value), float(p_low), float(p_high)],
                    color=UNIT_COLOUR,
                    alpha=0.12,
                    lw=0,
                    gid="projection_band",
                    label=words()["projection_band"],
                )
                ax.errorbar(
                    [p_x],
                    [float(p_value)],
                    yerr=[
                        [max(float(p_value) - float(p_low), 0)],
                        [max(float(p_high) - float(p_value), 0)],
                    ],
                    fmt="D",
                    ms=4,
                    mfc="white",
                    color=UNIT_COLOUR,
                    capsize=3,
                    gid="projection_ci",
                )
            x_years.add(p_year)

    # series breaks
    codes = {c for v in series_of(df, "series_break", "") for c in L.series_break_codes(v)}
    codes |= set(breaks)
    for code in sorted(codes):
        year = L.series_break_year(code)
        if year is None or not x_years or not (min(x_years) < year <= max(x_years)):
            continue
        ax.axvline(year - 0.5, color="#999999", lw=0.8, ls="-.", gid=f"break_{code}")
        short = L.labels()["series_breaks"].get(code, {}).get("short", code)
        ax.text(
            year - 0.45,
            0.98,
            short,
            transform=ax.get_xaxis_transform(),
            fontsize=6,
            color="#666666",
            va="top",
            ha="left",
            gid=f"break_label_{code}",
        )

    year_axis(ax, x_years, years[partial])
    ax.yaxis.set_major_formatter(fmt)
    ax.set_ylabel(value_axis_label(unit, noun))
    ax.set_xlabel(words()["year_axis"])
    if unit == "percent":
        bottom, top = ax.get_ylim()
        if top > 100:
            ax.set_ylim(bottom, 100.5)
    legend_below(fig, ax, ncol=3)
    return fig

