"""What every chart shares: style, the 16 cm figure and its layout engine, number formatting,
frame helpers, the words of ``labels_vi.yaml`` next to this module.

matplotlib is imported inside the functions (``import analysis`` stays light). Figures are
``matplotlib.figure.Figure`` objects on an Agg canvas, never pyplot: no global figure list to
leak, no backend switch inside a notebook kernel. :data:`STYLE` is applied to
``matplotlib.rcParams`` when a chart is drawn: DejaVu Sans (it has every Vietnamese glyph),
small sizes for a 16 cm A4 text width, a fixed ``svg.hashsalt``. Numbers on axes use
:mod:`analysis.present.formats` (comma decimals, dot thousands).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from analysis.present.formats import fmt_number, fmt_percent, is_missing, to_decimal

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "HIGHLIGHT_COLOUR",
    "PROVINCE_COLOUR",
    "STYLE",
    "TARGET_COLOUR",
    "UNIT_COLOUR",
    "WIDTH_CM",
    "apply_style",
    "as_floats",
    "chart_figure",
    "first_value",
    "flag_array",
    "legend_below",
    "new_figure",
    "no_data",
    "series_of",
    "value_axis_label",
    "value_of",
    "vi_formatter",
    "words",
    "year_axis",
]

#: The charts' words (legend entries, axis titles, notes): editors change them there.
WORDS_FILE = Path(__file__).with_name("labels_vi.yaml")


@cache
def words() -> dict[str, str]:
    """The parsed ``plots/labels_vi.yaml``: chart word → Vietnamese text (``str.format``
    fields in braces)."""
    return yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))


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



# --------------------------------------------------------------------------- plumbing
def apply_style() -> None:
    """Put :data:`STYLE` into ``matplotlib.rcParams`` (idempotent)."""
    import matplotlib

    matplotlib.rcParams.update(STYLE)


def new_figure(
    height_cm: float, nrows: int = 1, ncols: int = 1, measure_texts: bool = True
) -> Figure:
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


def year_axis(ax: Axes, years: Iterable[int], partial: Iterable[int] = ()) -> None:
    years = sorted({int(y) for y in years})
    if not years:
        return
    years = list(range(years[0], years[-1] + 1))  # every year, also those without data
    partial = {int(y) for y in partial}
    ax.set_xticks(years)
    ax.set_xticklabels([f"{y}*" if y in partial else str(y) for y in years])
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    ax.grid(False, axis="x")


def series_of(df: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(default, index=df.index)


def flag_array(df: pd.DataFrame, name: str) -> np.ndarray:
    """A boolean column as a numpy array (absent or NA → False)."""
    if name not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return df[name].astype("boolean").fillna(False).to_numpy(dtype=bool)


def as_floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").astype(float).to_numpy()


def value_of(row: Any, key: str) -> Any:
    if row is None:
        return None
    try:
        value = row[key]
    except (KeyError, IndexError, TypeError):
        return None
    return None if is_missing(value) else value


def first_value(df: pd.DataFrame, column: str) -> Any:
    """The first value of ``column`` that is neither missing nor ``""`` (None if none)."""
    if column not in df.columns:
        return None
    for value in df[column].tolist():
        if not is_missing(value) and str(value) != "":
            return value
    return None


def value_axis_label(unit: str, noun: str) -> str:
    if unit == "percent":
        return words()["percent_axis"]
    return words()["count_axis_noun"].format(noun=noun) if noun else words()["count_axis"]


def chart_figure(height_cm: float) -> Figure:
    """An empty figure 16 cm wide and ``height_cm`` high on an Agg canvas, laid out like every
    chart of this module (for a chart drawn elsewhere, e.g. the report's O/E chart)."""
    return new_figure(height_cm)


def legend_below(fig: Figure, ax: Axes, ncol: int = 3) -> None:
    """The legend of ``ax`` under the chart, centred, ``ncol`` columns."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False)


def no_data(ax: Axes) -> None:
    ax.text(
        0.5,
        0.5,
        words()["no_data"],
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="#666666",
        gid="no_data",
    )

