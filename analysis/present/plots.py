"""Charts for the reports: trend, funnel, ranked dots, tile map, small multiples.

Conventions
- matplotlib is imported inside the functions (``import analysis`` stays light). Figures are
  ``matplotlib.figure.Figure`` objects on an Agg canvas, never pyplot: no global figure list to
  leak, no backend switch inside a notebook kernel, and a notebook still displays a returned
  Figure.
- :data:`STYLE` is applied to ``matplotlib.rcParams`` when a chart is drawn: DejaVu Sans (it has
  every Vietnamese glyph), small sizes for a 16 cm A4 text width, a fixed ``svg.hashsalt``.
- Numbers on axes use :mod:`analysis.present.formats` (comma decimals, dot thousands); years
  are printed as plain integers.
- Every artist a test may look for carries a ``gid`` ("values", "ci_95", "target",
  "projection", "break_rating_scheme_2018", "baseline", "funnel_95_lower", "tile_<code>"…).
- :func:`fig_to_png_bytes` and :func:`fig_to_svg_bytes` strip dates and software versions, so
  the same figure gives the same bytes.
- Nothing here computes a statistic: intervals, funnel limits, projections and verdicts come in
  the frames.
"""

from __future__ import annotations

import base64
import io
import math
import textwrap
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import (
    fmt_count,
    fmt_number,
    fmt_percent,
    fmt_value,
    is_missing,
    to_decimal,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "STYLE",
    "WIDTH_CM",
    "apply_style",
    "chart_figure",
    "fig_to_data_uri",
    "fig_to_png_bytes",
    "fig_to_svg_bytes",
    "funnel_plot",
    "funnel_png",
    "legend_below",
    "ranked_dot_plot",
    "small_multiples",
    "tile_map",
    "trend_chart",
    "vi_formatter",
]

#: Width of every figure: the text width of an A4 page with 2.5 cm margins.
WIDTH_CM = 16.0
_CM = 1 / 2.54

#: Series colours (Okabe–Ito); verdict colours come from labels_vi.yaml.
UNIT_COLOUR = "#0072B2"
PROVINCE_COLOUR = "#7F7F7F"
TARGET_COLOUR = "#333333"
HIGHLIGHT_COLOUR = "#CC3311"

STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.titlelocation": "left",
    "axes.labelsize": 8,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "axes.unicode_minus": False,  # the same "-" as formats.py
    "axes.formatter.use_locale": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.facecolor": "white",
    "svg.hashsalt": "tccsd-review",
    "svg.fonttype": "path",  # glyphs as paths: the SVG renders without the font installed
    "pdf.fonttype": 42,
}

_PNG_METADATA = {"Software": None}
_SVG_METADATA = {"Date": None, "Creator": None}
_PDF_METADATA = {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}


# --------------------------------------------------------------------------- plumbing
def apply_style() -> None:
    """Put :data:`STYLE` into ``matplotlib.rcParams`` (idempotent)."""
    import matplotlib

    matplotlib.rcParams.update(STYLE)


def _figure(height_cm: float, nrows: int = 1, ncols: int = 1, measure_texts: bool = True) -> Figure:
    """A figure 16 cm wide on an Agg canvas, laid out by :class:`_MarginLayout` at draw time."""
    apply_style()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_CM * _CM, height_cm * _CM))
    fig.set_layout_engine(_margin_layout(nrows, ncols, measure_texts))
    FigureCanvasAgg(fig)
    return fig


def _margin_layout(nrows: int = 1, ncols: int = 1, measure_texts: bool = True):
    """The layout engine of every chart (see :class:`_MarginLayout`, defined on first use so
    that ``import analysis.present.plots`` does not import matplotlib)."""
    global _MarginLayout
    if _MarginLayout is None:
        from matplotlib.layout_engine import LayoutEngine
        from matplotlib.transforms import Bbox

        class MarginLayout(LayoutEngine):
            """A cheap stand-in for ``layout="constrained"`` on a regular grid of axes.

            The axes fill a ``nrows × ncols`` grid; every cell keeps room, on each side, for
            the largest overhang of any axes' decorations (tick labels, axis labels, title
            and, with ``measure_texts``, the texts drawn in the axes, e.g. value labels);
            figure legends sit at the bottom, centred. Measured on the draw's own renderer
            (text sizes are cached there for the draw), two passes for a single axes (its
            ticks depend on its size), one for a grid (fixed ticks). Constrained layout
            measures every artist three times per ``savefig``; this is ~3× cheaper.
            """

            _adjust_compatible = True
            _colorbar_gridspec = False

            def __init__(self, nrows: int, ncols: int, measure_texts: bool) -> None:
                super().__init__()
                self.shape = (nrows, ncols)
                self.measure_texts = measure_texts

            def _overhang(self, ax, renderer) -> tuple[float, float, float, float]:
                box = ax.bbox
                parts = []
                if ax.axison:
                    for axis in (ax.xaxis, ax.yaxis):
                        bb = axis.get_tightbbox(renderer, for_layout_only=True)
                        if bb is not None:
                            parts.append(bb)
                titles = (getattr(ax, n, None) for n in ("title", "_left_title", "_right_title"))
                for title in titles:
                    if title is not None and title.get_visible() and title.get_text():
                        bb = title.get_window_extent(renderer)  # its height only, as
                        parts.append(Bbox([[box.x0, bb.y0], [box.x0, bb.y1]]))  # constrained
                if self.measure_texts:
                    for text in ax.texts:
                        if text.get_visible() and text.get_text() and text.get_in_layout():
                            parts.append(text.get_window_extent(renderer))
                if not parts:
                    return 0.0, 0.0, 0.0, 0.0
                bb = Bbox.union(parts)
                return (
                    max(box.x0 - bb.x0, 0.0),
                    max(bb.x1 - box.x1, 0.0),
                    max(bb.y1 - box.y1, 0.0),
                    max(box.y0 - bb.y0, 0.0),
                )

            def execute(self, fig) -> None:
                renderer = fig._get_renderer()
                width, height = fig.bbox.width, fig.bbox.height
                pad = 3.0 * fig.dpi / 72  # constrained layout's default w_pad/h_pad
                nrows, ncols = self.shape
                grid = fig.axes[: nrows * ncols]
                bottom = pad
                for legend in fig.legends:  # "lower center" + its borderaxespad
                    legend.set_bbox_to_anchor((0.5, 0.0), transform=fig.transFigure)
                    bottom = max(bottom, legend.get_window_extent(renderer).y1 + pad)
                cell_w = (width - pad) / ncols
                cell_h = (height - pad - bottom) / nrows
                shown = [ax for ax in grid if ax.get_visible()]
                if not shown:
                    return
                # the same start whatever the axes' current position (the same layout at
                # every draw): typical decorations, 8 pt tick labels and an axis label
                pt = fig.dpi / 72
                guess = (
                    min(40 * pt, 0.3 * cell_w),
                    6 * pt,
                    min(8 * pt, 0.2 * cell_h),
                    min(28 * pt, 0.3 * cell_h),
                )

                def place(sides: tuple[float, float, float, float]) -> None:
                    left, right, top, below = sides
                    for i, ax in enumerate(grid):
                        row, col = divmod(i, ncols)
                        x0 = pad + col * cell_w + left
                        x1 = pad + (col + 1) * cell_w - right - pad
                        y1 = height - pad - row * cell_h - top
                        y0 = height - pad - (row + 1) * cell_h + below + pad
                        if x1 - x0 < 10 or y1 - y0 < 10:  # absurd decorations: keep a plot
                            continue
                        ax.set_position(
                            [x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height]
                        )
                        ax.set_in_layout(True)  # set_position clears it

                place(guess)
                for _ in range(2 if len(grid) == 1 else 1):
                    ticks = _tick_locs(shown)
                    sides = [self._overhang(ax, renderer) for ax in shown]
                    place(tuple(max(s[i] for s in sides) for i in range(4)))
                    if _tick_locs(shown) == ticks:
                        break  # same ticks at the new size: same decorations

        def _tick_locs(axes) -> list[tuple]:
            return [
                (tuple(ax.xaxis.get_majorticklocs()), tuple(ax.yaxis.get_majorticklocs()))
                for ax in axes
            ]

        _MarginLayout = MarginLayout
    return _MarginLayout(nrows, ncols, measure_texts)


_MarginLayout: Any = None


def vi_formatter(unit: str = "number", decimals: int | None = None):
    """A tick formatter printing Vietnamese numbers through :mod:`formats`.

    ``unit="percent"`` appends ``%``. With ``decimals=None`` all ticks of an axis share the
    fewest decimals (0–2) that show every tick exactly. The decimals are worked out once per
    set of ticks and every label once per process (a chart formats its ticks at every
    measure and draw).
    """
    from matplotlib.ticker import Formatter

    class _ViFormatter(Formatter):
        def __init__(self) -> None:
            self._tick_values: list[float] = []
            self._shared: int | None = None

        def set_locs(self, locs) -> None:  # remember the ticks to share their decimals
            self._tick_values = [float(x) for x in locs if np.isfinite(x)]
            self._shared = None

        def _decimals(self) -> int:
            if decimals is not None:
                return decimals
            if self._shared is None:
                self._shared = _shared_decimals(tuple(self._tick_values))
            return self._shared

        def __call__(self, x: float, pos: int | None = None) -> str:
            return _tick_label(unit, float(x), self._decimals())

    return _ViFormatter()


_TICK_LABELS: dict[tuple[str, float, int], str] = {}


def _tick_label(unit: str, x: float, d: int) -> str:
    key = (unit, x, d)
    label = _TICK_LABELS.get(key)
    if label is None:
        if len(_TICK_LABELS) > 4096:
            _TICK_LABELS.clear()
        label = fmt_percent(x, d) if unit == "percent" else fmt_number(x, d)
        _TICK_LABELS[key] = label
    return label


def _shared_decimals(values: tuple[float, ...]) -> int:
    """Fewest decimals (0–2) that show every value exactly."""
    for d in range(3):
        if all(float(to_decimal(x, d)) == float(to_decimal(x, 6)) for x in values):
            return d
    return 2


def _year_axis(ax: Axes, years: Iterable[int], partial: Iterable[int] = ()) -> None:
    years = sorted({int(y) for y in years})
    if not years:
        return
    years = list(range(years[0], years[-1] + 1))  # every year, also those without data
    partial = {int(y) for y in partial}
    ax.set_xticks(years)
    ax.set_xticklabels([f"{y}*" if y in partial else str(y) for y in years])
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    ax.grid(False, axis="x")


def _col(df: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(default, index=df.index)


def _flag(df: pd.DataFrame, name: str) -> np.ndarray:
    """A boolean column as a numpy array (absent or NA → False)."""
    if name not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return df[name].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _num(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").astype(float).to_numpy()


def _get(row: Any, key: str) -> Any:
    if row is None:
        return None
    try:
        value = row[key]
    except (KeyError, IndexError, TypeError):
        return None
    return None if is_missing(value) else value


def _first(df: pd.DataFrame, column: str) -> Any:
    """The first value of ``column`` that is neither missing nor ``""`` (None if none)."""
    if column not in df.columns:
        return None
    for value in df[column].tolist():
        if not is_missing(value) and str(value) != "":
            return value
    return None


def _value_label(unit: str, noun: str) -> str:
    if unit == "percent":
        return "Tỷ lệ (%)"
    return f"Số lượng ({noun})" if noun else "Số lượng"


def chart_figure(height_cm: float) -> Figure:
    """An empty figure 16 cm wide and ``height_cm`` high on an Agg canvas, laid out like every
    chart of this module (for a chart drawn elsewhere, e.g. the report's O/E chart)."""
    return _figure(height_cm)


def legend_below(fig: Figure, ax: Axes, ncol: int = 3) -> None:
    """The legend of ``ax`` under the chart, centred, ``ncol`` columns."""
    _legend_below(fig, ax, ncol)


def _legend_below(fig: Figure, ax: Axes, ncol: int = 3) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False)


def _no_data(ax: Axes) -> None:
    ax.text(
        0.5,
        0.5,
        "Không có số liệu",
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="#666666",
        gid="no_data",
    )


# --------------------------------------------------------------------------- trend chart
def _resolve_target(target: Any, df: pd.DataFrame, progress_row: Any = None) -> dict[str, Any]:
    """Target as ``{op, value, kind, year, per_year}``: the argument wins, then the frame's
    ``target_*`` columns, then the progress row (the indicators frame has no target year)."""
    spec: dict[str, Any] = {
        key: _first(df, f"target_{key}")
        if _first(df, f"target_{key}") is not None
        else _get(progress_row, f"target_{key}")
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

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib import patheffects

    df = series_df.copy()
    df = df[pd.to_numeric(_col(df, "year"), errors="coerce").notna()]
    df["year"] = pd.to_numeric(df["year"]).astype(int)
    df = df.sort_values("year")
    unit = unit or _first(df, "unit") or "percent"
    indicator_id = _first(df, "indicator_id") or _get(progress_row, "indicator_id") or ""
    noun = L.count_noun(indicator_id) if noun is None else noun
    fmt = vi_formatter("number")

    fig = _figure(height_cm)
    ax = fig.add_subplot()
    if title_vi:
        ax.set_title(title_vi)
    years = df["year"].to_numpy()
    values = _num(_col(df, "value"))
    ok = np.isfinite(values)
    partial = _flag(df, "partial") | _flag(df, "partial_year")
    partial |= np.isin(years, [int(y) for y in partial_years])
    x_years = set(years.tolist())

    if not ok.any():
        _no_data(ax)
    # interval first, so the dots sit on top
    lower, upper = _num(_col(df, "lower_95")), _num(_col(df, "upper_95"))
    has_ci = ok & np.isfinite(lower) & np.isfinite(upper)
    for sel, gid, style in (
        (has_ci & ~partial, "ci_95", dict(alpha=0.6, label="Khoảng tin cậy 95%")),
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
        label=unit_label or "Đơn vị",
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
            label="* Số liệu chưa đủ cả năm",
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

    # province
    if province_series is not None:
        if isinstance(province_series, pd.Series):
            prov = pd.DataFrame({"year": province_series.index, "value": province_series.values})
        else:
            prov = province_series
        py = pd.to_numeric(_col(prov, "year"), errors="coerce").to_numpy(dtype=float)
        pv = _num(_col(prov, "value"))
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
        label = f"Chỉ tiêu {text}" + (f" {kind_text}" if kind_text else "")
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
                label="Chỉ tiêu từng năm",
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
    p_year = _get(progress_row, "target_year")
    p_value = _get(progress_row, "projected_value")
    l_year, l_value = _get(progress_row, "latest_year"), _get(progress_row, "latest_value")
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
                label=f"Dự báo đến năm {p_year}",
            )
            p_low, p_high = (
                _get(progress_row, "projected_lower"),
                _get(progress_row, "projected_upper"),
            )
            if p_low is not None and p_high is not None:
                ax.fill(
                    [l_year, p_x, p_x],
                    [float(l_value), float(p_low), float(p_high)],
                    color=UNIT_COLOUR,
                    alpha=0.12,
                    lw=0,
                    gid="projection_band",
                    label="Khoảng dự báo",
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
    codes = {c for v in _col(df, "series_break", "") for c in L.series_break_codes(v)}
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

    _year_axis(ax, x_years, years[partial])
    ax.yaxis.set_major_formatter(fmt)
    ax.set_ylabel(_value_label(unit, noun))
    ax.set_xlabel("Năm")
    if unit == "percent":
        bottom, top = ax.get_ylim()
        if top > 100:
            ax.set_ylim(bottom, 100.5)
    _legend_below(fig, ax, ncol=3)
    return fig


# --------------------------------------------------------------------------- funnel plot
def funnel_plot(
    funnel_df: pd.DataFrame,
    unit_names: Mapping[str, str],
    highlight: str | None = None,
    *,
    limits: pd.DataFrame | None = None,
    title_vi: str = "",
    polarity: str | None = None,
    height_cm: float = 10.0,
) -> Figure:
    """Districts' values against their denominators, with the province funnel.

    Parameters
    ----------
    funnel_df
        The funnel frame: one row per unit (``unit_code, denominator, value, baseline,
        funnel_95_lower/upper, funnel_998_lower/upper, assessment``; ``polarity`` optional).
        A ``level == "province"`` row is left out of the points.
    unit_names
        ``unit_code`` → Vietnamese name (labels use the short form).
    highlight
        The report's unit: bold label and a ring.
    limits
        Optional smooth limits from the measure wing (``denominator, funnel_95_lower, …``) on a
        grid of denominators. Without it the limits are drawn through the units' own limits
        (exact at each unit, straight between them).

    See Also
    --------
    funnel_png : the same chart as PNG bytes, its province-wide part drawn once for every unit.
    """
    fig, ax, points = _funnel_base(
        funnel_df, unit_names, limits=limits, title_vi=title_vi, polarity=polarity,
        height_cm=height_cm,
    )
    specs = _funnel_label_specs(points, highlight)
    _funnel_labels(ax, points, highlight, _place_labels(ax, specs))
    return fig


def _funnel_base(
    funnel_df: pd.DataFrame,
    unit_names: Mapping[str, str],
    *,
    limits: pd.DataFrame | None,
    title_vi: str,
    polarity: str | None,
    height_cm: float,
) -> tuple[Figure, Axes, list[tuple[float, float, str, str]]]:
    """Everything of a funnel plot but the point labels and the highlight ring: the part
    that is the same in every unit's report. Returns the figure, its axes and the labelled
    points ``(x, y, unit_code, short name)``."""
    df = funnel_df.copy()
    if "level" in df.columns:
        df = df[df["level"].fillna("") != "province"]
    polarity = polarity or _first(df, "polarity") or "higher"
    fig = _figure(height_cm)
    ax = fig.add_subplot()
    if title_vi:
        ax.set_title(title_vi)
    x, y = _num(_col(df, "denominator")), _num(_col(df, "value"))
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0)
    if not ok.any():
        _no_data(ax)

    lim = limits if limits is not None else df.loc[ok]
    lim = lim.assign(_n=pd.to_numeric(lim["denominator"], errors="coerce")).sort_values("_n")
    styles = {"95": dict(ls="--", lw=0.9), "998": dict(ls="-", lw=0.9)}
    for level, style in styles.items():
        for side in ("lower", "upper"):
            column = f"funnel_{level}_{side}"
            if column not in lim.columns:
                continue
            ly = _num(lim[column])
            good = np.isfinite(ly) & np.isfinite(lim["_n"].to_numpy(dtype=float))
            if not good.any():
                continue
            ax.plot(
                lim["_n"].to_numpy(dtype=float)[good],
                ly[good],
                color="#555555",
                gid=column,
                label=(
                    f"Giới hạn {'95%' if level == '95' else '99,8%'}" if side == "lower" else None
                ),
                **style,
            )
    baseline = _first(df, "baseline")
    if baseline is not None:
        ax.axhline(
            float(baseline),
            color=TARGET_COLOUR,
            lw=1,
            gid="baseline",
            label=f"{L.labels()['province_total']}: {fmt_percent(float(baseline))}",
        )

    assessments = _col(df, "assessment", "not_assessable").fillna("not_assessable").to_numpy()
    codes = _col(df, "unit_code", "").astype(str).to_numpy()
    for key in L.FUNNEL_ASSESSMENTS:
        sel = ok & (assessments == key)
        if not sel.any():
            continue
        ax.scatter(
            x[sel],
            y[sel],
            s=28,
            marker=L.funnel_marker(key),
            color=L.funnel_colour(key),
            edgecolors="#333333",
            linewidths=0.4,
            zorder=3,
            gid=f"units_{key}",
            label=L.funnel_word(key, polarity),
        )
    bottom, top = ax.get_ylim()
    if top > 100:
        ax.set_ylim(bottom, 100.5)
    points = [
        (float(xi), float(yi), str(code), L.short_name(unit_names.get(code, code)))
        for xi, yi, code in zip(x[ok], y[ok], codes[ok], strict=True)
    ]
    ax.xaxis.set_major_formatter(vi_formatter("number"))
    ax.yaxis.set_major_formatter(vi_formatter("number"))
    ax.set_xlabel("Số được đánh giá (mẫu số)")
    ax.set_ylabel("Tỷ lệ (%)")
    _legend_below(fig, ax, ncol=3)
    return fig, ax, points


def _funnel_label_specs(
    points: list[tuple[float, float, str, str]], highlight: str | None
) -> list[tuple[float, float, str, float]]:
    return [(x, y, name, 7 if code == highlight else 6) for x, y, code, name in points]


def _funnel_labels(ax: Axes, points, highlight: str | None, placements) -> list:
    """The point labels (the highlighted unit's bold and red) and the highlight ring."""
    from matplotlib import patheffects

    artists = []
    specs = _funnel_label_specs(points, highlight)
    for (xi, yi, text, size), (_, _, code, _), (dx, dy, ha) in zip(
        specs, points, placements, strict=True
    ):
        is_hl = code == highlight
        artists.append(
            ax.annotate(
                text,
                (xi, yi),
                textcoords="offset points",
                xytext=(dx, dy),
                ha=ha,
                fontsize=size,
                fontweight="bold" if is_hl else "normal",
                color=HIGHLIGHT_COLOUR if is_hl else "#333333",
                gid=f"label_{code}",
                path_effects=[patheffects.withStroke(linewidth=2, foreground="white")],
                zorder=5 if is_hl else 4,
            )
        )
        if is_hl:
            artists.append(
                ax.scatter(
                    [xi],
                    [yi],
                    s=110,
                    facecolors="none",
                    edgecolors=HIGHLIGHT_COLOUR,
                    linewidths=1.4,
                    zorder=4,
                    gid="highlight",
                )
            )
    return artists


class _FunnelCanvas:
    """One funnel chart drawn once without its labels (pixels kept), then finished for any
    highlighted unit by drawing only the labels and the ring over a copy of those pixels
    (matplotlib's "blitting"). The label placement of every possible highlight is computed
    on the chart as :func:`funnel_plot` computes it, and the margins are laid out with the
    labels present, so the result is the chart :func:`funnel_plot` draws."""

    def __init__(self, funnel_df, unit_names, *, limits, title_vi, polarity, height_cm, dpi):
        fig, ax, points = _funnel_base(
            funnel_df, unit_names, limits=limits, title_vi=title_vi, polarity=polarity,
            height_cm=height_cm,
        )
        self.fig, self.ax, self.points = fig, ax, points
        codes = [code for _, _, code, _ in points]
        self.placements = {
            hl: _place_labels(ax, _funnel_label_specs(points, hl)) for hl in [None, *codes]
        }
        fig.dpi = dpi
        labels = _funnel_labels(ax, points, None, self.placements[None])
        fig.canvas.draw()  # lays the chart out with its labels (they can widen the margins)
        for artist in labels:
            artist.remove()
        fig.set_layout_engine("none")  # keep that layout for the draw without labels
        fig.canvas.draw()
        self.background = fig.canvas.copy_from_bbox(fig.bbox)

    def png(self, highlight: str | None) -> bytes:
        canvas = self.fig.canvas
        canvas.restore_region(self.background)
        placements = self.placements.get(highlight)
        if placements is None:  # not a unit of the chart: no highlight, as funnel_plot does
            highlight, placements = None, self.placements[None]
        artists = _funnel_labels(self.ax, self.points, highlight, placements)
        try:
            for artist in sorted(artists, key=lambda a: a.get_zorder()):  # stable: as drawn
                self.ax.draw_artist(artist)
            data = _rgba_png(np.asarray(canvas.buffer_rgba()))
        finally:
            for artist in artists:
                artist.remove()
        if data is None:  # pragma: no cover - the figure is opaque white
            raise RuntimeError("funnel chart is not opaque")
        return data


#: Funnel charts kept per process (the province-wide part of each target's chart, for every
#: unit's report of a build); a warm kernel keeps them across reports. Keyed by content.
_FUNNEL_CACHE: dict[str, _FunnelCanvas] = {}
FUNNEL_CACHE_SIZE = 32


def _content_key(*parts: Any) -> str:
    import hashlib
    import pickle

    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, pd.DataFrame):
            digest.update(pickle.dumps((list(part.columns), part.to_numpy().tolist()), 4))
        else:
            digest.update(repr(part).encode("utf-8"))
    return digest.hexdigest()


def funnel_png(
    funnel_df: pd.DataFrame,
    unit_names: Mapping[str, str],
    highlight: str | None = None,
    *,
    limits: pd.DataFrame | None = None,
    title_vi: str = "",
    polarity: str | None = None,
    height_cm: float = 10.0,
    dpi: int = 150,
) -> bytes:
    """:func:`funnel_plot` as PNG bytes at ``dpi``, drawn once per process for all units.

    Every unit's report shows the same funnel with its own unit highlighted: the chart
    without labels is drawn the first time and kept (:data:`FUNNEL_CACHE_SIZE` charts, keyed
    by the content of the arguments), then each call draws only the labels and the ring.
    Same arguments, same bytes.
    """
    names = {code: unit_names.get(code, code) for code in _col(funnel_df, "unit_code", "")}
    key = _content_key(funnel_df, limits, sorted(names.items()), title_vi, polarity,
                       height_cm, dpi)
    entry = _FUNNEL_CACHE.pop(key, None)
    if entry is None:
        apply_style()
        entry = _FunnelCanvas(funnel_df, unit_names, limits=limits, title_vi=title_vi,
                              polarity=polarity, height_cm=height_cm, dpi=dpi)
    _FUNNEL_CACHE[key] = entry  # most recently used last
    while len(_FUNNEL_CACHE) > FUNNEL_CACHE_SIZE:
        _FUNNEL_CACHE.pop(next(iter(_FUNNEL_CACHE)))
    apply_style()
    return entry.png(highlight)


_LABEL_SPOTS = [
    (4, 3, "left"),
    (4, -9, "left"),
    (-4, 3, "right"),
    (-4, -9, "right"),
    (4, 11, "left"),
    (-4, 11, "right"),
    (4, -17, "left"),
    (-4, -17, "right"),
]


def _place_labels(ax: Axes, labels: list[tuple[float, float, str, float]]):
    """Offsets (points) and alignment for point labels so that they do not overlap each other
    or leave the axes: greedy, first free spot of :data:`_LABEL_SPOTS`; text sizes are
    estimated (0.6 em per character), which is enough for a dozen short unit names."""
    ax.autoscale_view()
    to_pt = 72 / ax.figure.dpi
    (ax_x0, _), (ax_x1, _) = ax.transAxes.transform([(0, 0), (1, 1)]) * to_pt
    points = [tuple(ax.transData.transform((x, y)) * to_pt) for x, y, _, _ in labels]
    placed: list[tuple[float, float, float, float]] = []
    result = []
    order = sorted(range(len(labels)), key=lambda i: (points[i][0], points[i][1]))
    chosen: dict[int, tuple[float, float, str]] = {}
    for i in order:
        px, py = points[i]
        _, _, text, size = labels[i]
        width, height = 0.6 * size * len(text), 1.2 * size
        first = None
        for dx, dy, ha in _LABEL_SPOTS:
            x0 = px + dx if ha == "left" else px + dx - width
            box = (x0, py + dy, x0 + width, py + dy + height)
            if first is None:
                first = (dx, dy, ha, box)
            inside = box[0] >= ax_x0 - 2 and box[2] <= ax_x1 + 2
            clear = all(
                box[2] <= b[0] or box[0] >= b[2] or box[3] <= b[1] or box[1] >= b[3] for b in placed
            )
            if inside and clear:
                chosen[i] = (dx, dy, ha)
                placed.append(box)
                break
        else:
            dx, dy, ha, box = first
            chosen[i] = (dx, dy, ha)
            placed.append(box)
    for i in range(len(labels)):
        result.append(chosen[i])
    return result


# --------------------------------------------------------------------------- ranked dots
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
    unit = unit or _first(data, "unit") or "percent"
    if "level" in data.columns:
        prov = data[data["level"].fillna("") == "province"]
        if baseline is None and len(prov):
            baseline = _get(prov.iloc[0], "value")
        data = data[data["level"].fillna("") != "province"]
    data["_v"] = _num(_col(data, "value"))
    data = data.sort_values("_v", ascending=True, na_position="first", kind="mergesort")
    n = len(data)
    fig = _figure(max(4.0, 1.8 + 0.55 * n))
    ax = fig.add_subplot()
    if title_vi:
        ax.set_title(title_vi)
    pos = np.arange(n)
    values = data["_v"].to_numpy()
    ok = np.isfinite(values)
    lower, upper = _num(_col(data, "lower_95")), _num(_col(data, "upper_95"))
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
            label="Khoảng tin cậy 95%",
        )
    ax.plot(values[ok], pos[ok], ls="none", marker="o", color=UNIT_COLOUR, ms=5, gid="values")
    codes = _col(data, "unit_code", "").astype(str).tolist()
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
    name_col = _col(data, "name_vi", None)
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
    ax.set_xlabel(_value_label(unit, ""))
    _legend_below(fig, ax, ncol=2)
    return fig


# --------------------------------------------------------------------------- tile map
def _as_mapping(obj: Any, value_col: str) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, pd.DataFrame):
        return dict(zip(obj["unit_code"].astype(str), obj[value_col], strict=True))
    if isinstance(obj, pd.Series):
        return {str(k): v for k, v in obj.items()}
    return {str(k): v for k, v in dict(obj).items()}


def tile_map(
    values_df: pd.DataFrame | pd.Series | Mapping[str, float],
    tiles: Mapping[str, Iterable[int]],
    verdicts: pd.DataFrame | pd.Series | Mapping[str, str] | None = None,
    unit_names: Mapping[str, str] | None = None,
    value_fmt: Callable[[Any], str] | None = None,
    *,
    title_vi: str = "",
) -> Figure:
    """The province as a grid of square tiles, one per unit at its ``(row, col)``.

    Each tile is filled with its verdict colour and shows the short name, the value and the
    verdict symbol (so the map reads in greyscale). Units with a value but no tile are listed
    under the map rather than dropped silently.

    Parameters
    ----------
    values_df
        ``unit_code, value`` (and ``unit``), a Series indexed by code, or a dict.
    tiles
        ``unit_code`` → ``(row, col)``, e.g. ``params.units()["tiles"]``; sector committees sit
        in a row of their own there.
    verdicts
        ``unit_code`` → verdict code (dict, Series, or frame with ``unit_code, verdict``).
    value_fmt
        Formats a value; default ``fmt_percent`` (``fmt_number`` when ``unit`` is count).
    """
    from matplotlib.patches import Patch, Rectangle

    values = _as_mapping(values_df, "value")
    verdict_of = _as_mapping(verdicts, "verdict")
    names = unit_names or {}
    if value_fmt is None:
        unit = _first(values_df, "unit") if isinstance(values_df, pd.DataFrame) else None
        value_fmt = fmt_percent if unit != "count" else fmt_count
    grid = {str(code): tuple(int(v) for v in rc) for code, rc in tiles.items()}
    # an empty row (between districts and sector committees) becomes a narrow gap
    used_rows = sorted({r for r, _ in grid.values()})
    top_of: dict[int, float] = {}
    y = 0.0
    for i, r in enumerate(used_rows):
        if i:
            y += 1.0 if r == used_rows[i - 1] + 1 else 1.35
        top_of[r] = y
    positions = {code: (top_of[r], c) for code, (r, c) in grid.items()}
    height = (max(top_of.values()) + 1) if top_of else 1.0
    n_cols = max((c for _, c in grid.values()), default=0) + 1
    fig = _figure(max(5.0, 2.6 * height + 2.0), measure_texts=False)
    ax = fig.add_subplot()
    if title_vi:
        ax.set_title(title_vi)
    size = 0.94
    for code, (row, col) in positions.items():
        verdict = verdict_of.get(code)
        has_verdict = verdict is not None and not is_missing(verdict)
        face = L.verdict_colour(verdict) if has_verdict else "#EEEEEE"
        ax.add_patch(
            Rectangle(
                (col, -row),
                size,
                size,
                facecolor=face,
                edgecolor="white",
                lw=1.5,
                gid=f"tile_{code}",
            )
        )
        name = "\n".join(textwrap.wrap(L.short_name(names.get(code, code)), 13)) or code
        value = values.get(code)
        value_text = value_fmt(value) if value is not None else "–"
        symbol = f" {L.verdict_symbol(verdict)}" if has_verdict else ""
        colour = L.text_colour(face)
        ax.text(
            col + size / 2,
            -row + size * 0.66,
            name,
            ha="center",
            va="center",
            fontsize=6.3,
            color=colour,
            gid=f"tile_name_{code}",
        )
        ax.text(
            col + size / 2,
            -row + size * 0.24,
            value_text + symbol,
            ha="center",
            va="center",
            fontsize=8,
            fontweight="bold",
            color=colour,
            gid=f"tile_value_{code}",
        )
    ax.set_xlim(-0.05, n_cols)
    ax.set_ylim(-(height - 1) - 0.05, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    present = [v for v in L.VERDICTS if v in {str(x) for x in verdict_of.values()}]
    if present:
        handles = [Patch(facecolor=L.verdict_colour(v), label=L.verdict_label(v)) for v in present]
        fig.legend(handles=handles, loc="lower center", ncol=min(5, len(handles)), frameon=False)
    missing = [c for c in values if c not in positions]
    if missing:
        shown = [L.short_name(names.get(c, c)) for c in missing[:6]]
        more = f" và {len(missing) - 6} đơn vị khác" if len(missing) > 6 else ""
        note = "Không có vị trí trên bản đồ: " + ", ".join(shown) + more
        ax.text(
            0,
            -(height - 1) - 0.12,
            "\n".join(textwrap.wrap(note, 120)),
            fontsize=6,
            color="#666666",
            va="top",
            gid="untiled",
        )
        ax.set_ylim(-(height - 1) - 0.45, 1)
    return fig


# --------------------------------------------------------------------------- small multiples
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
    fig = _figure(0.3 + 3.0 * nrows)
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
        name = _first(rows, "name_vi") or ident
        unit = _first(rows, "unit") or "percent"
        polarity = _first(rows, "polarity") or "higher"
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
        vals = _num(_col(rows, "value"))
        ok = np.isfinite(years) & np.isfinite(vals)
        if not ok.any():
            ax.text(
                col + 0.5,
                row + (top + base) / 2,
                "Không có số liệu",
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


# --------------------------------------------------------------------------- export
#: zlib level of the PNG charts: level 1 encodes ~4× faster than the default 6 for a few more
#: bytes (charts are mostly flat colour).
PNG_COMPRESS_LEVEL = 1


def _save(fig: Figure, fmt: str, dpi: int | None = None) -> bytes:
    apply_style()
    metadata = {"png": _PNG_METADATA, "svg": _SVG_METADATA, "pdf": _PDF_METADATA}.get(fmt)
    if metadata is None:
        raise ValueError(f"Định dạng ảnh không hỗ trợ: {fmt!r} (png, svg, pdf)")
    dpi = dpi or STYLE["savefig.dpi"]
    if fmt == "png":
        data = _agg_png(fig, dpi)
        if data is not None:
            return data
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, metadata=dict(metadata))
    return buffer.getvalue()


def _agg_png(fig: Figure, dpi: float) -> bytes | None:
    """One Agg draw at ``dpi`` straight to an 8-bit RGB PNG (no alpha: the figure is opaque
    white), without ``savefig``'s extra layout draw; no text chunks (date, software), so the
    same figure gives the same bytes. ``None`` when the figure is not on a plain Agg canvas
    or is not opaque (then ``savefig`` does it)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas
    if type(canvas) is not FigureCanvasAgg:
        return None
    old_dpi = fig.dpi
    try:
        fig.dpi = dpi
        canvas.draw()
        return _rgba_png(np.asarray(canvas.buffer_rgba()))
    finally:
        fig.dpi = old_dpi


def _rgba_png(rgba: np.ndarray) -> bytes | None:
    """An opaque RGBA buffer as 8-bit RGB PNG bytes (no text chunks), else None."""
    from PIL import Image

    if rgba[..., 3].min() != 255:
        return None
    image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def fig_to_png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    """PNG bytes without date or software chunks: the same figure gives the same bytes."""
    return _save(fig, "png", dpi)


def fig_to_svg_bytes(fig: Figure) -> bytes:
    """SVG bytes (glyphs as paths, fixed hash salt, no date)."""
    return _save(fig, "svg")


def fig_to_data_uri(fig: Figure, fmt: str = "png", dpi: int = 150) -> str:
    """``data:image/png;base64,…`` (or ``svg+xml``) for embedding in a self-contained HTML."""
    data = _save(fig, fmt, dpi)
    mime = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}[fmt]
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
