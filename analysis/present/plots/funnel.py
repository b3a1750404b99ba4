"""Funnel plot: districts' values against their denominators with the province's 95% and 99.8%
limits, and :func:`funnel_png`, the same chart drawn once per process for every unit."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import fmt_percent
from analysis.present.plots.base import (
    HIGHLIGHT_COLOUR,
    TARGET_COLOUR,
    apply_style,
    as_floats,
    first_value,
    legend_below,
    new_figure,
    no_data,
    series_of,
    vi_formatter,
    words,
)
from analysis.present.plots.export import rgba_png

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["FUNNEL_CACHE_SIZE", "funnel_plot", "funnel_png"]


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
    _settle(fig)
    specs = _funnel_label_specs(points, highlight)
    _funnel_labels(ax, points, highlight, _place_labels(ax, specs))
    return fig


def _settle(fig: Figure) -> None:
    """Lay the chart out without its labels and keep that layout, so the labels are placed
    where they are drawn (a layout after them would move the points under the labels)."""
    fig.canvas.draw()
    fig.set_layout_engine("none")


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
    polarity = polarity or first_value(df, "polarity") or "higher"
    fig = new_figure(height_cm)
    ax = fig.add_subplot()
    if title_vi:
        ax.set_title(title_vi)
    x, y = as_floats(series_of(df, "denominator")), as_floats(series_of(df, "value"))
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0)
    if not ok.any():
        no_data(ax)

    lim = limits if limits is not None else df.loc[ok]
    lim = lim.assign(_n=pd.to_numeric(lim["denominator"], errors="coerce")).sort_values("_n")
    styles = {"95": dict(ls="--", lw=0.9), "998": dict(ls="-", lw=0.9)}
    for level, style in styles.items():
        for side in ("lower", "upper"):
            column = f"funnel_{level}_{side}"
            if column not in lim.columns:
                continue
            ly = as_floats(lim[column])
            good = np.isfinite(ly) & np.isfinite(lim["_n"].to_numpy(dtype=float))
            if not good.any():
                continue
            ax.plot(
                lim["_n"].to_numpy(dtype=float)[good],
                ly[good],
                color="#555555",
                gid=column,
                label=(
                    words()[f"funnel_limit_{level}"] if side == "lower" else None
                ),
                **style,
            )
    baseline = first_value(df, "baseline")
    if baseline is not None:
        ax.axhline(
            float(baseline),
            color=TARGET_COLOUR,
            lw=1,
            gid="baseline",
            label=f"{L.labels()['province_total']}: {fmt_percent(float(baseline))}",
        )

    assessments = series_of(df, "assessment", "not_assessable").fillna("not_assessable").to_numpy()
    codes = series_of(df, "unit_code", "").astype(str).to_numpy()
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
    ax.set_xlabel(words()["funnel_x_axis"])
    ax.set_ylabel(words()["percent_axis"])
    legend_below(fig, ax, ncol=3)
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
    (matplotlib's "blitting"). The chart is laid out without labels and that layout kept, as
    :func:`funnel_plot` does, and the label placement of every possible highlight is computed
    on it, so the result is the chart :func:`funnel_plot` draws."""

    def __init__(self, funnel_df, unit_names, *, limits, title_vi, polarity, height_cm, dpi):
        fig, ax, points = _funnel_base(
            funnel_df, unit_names, limits=limits, title_vi=title_vi, polarity=polarity,
            height_cm=height_cm,
        )
        self.fig, self.ax, self.points = fig, ax, points
        _settle(fig)  # the layout funnel_plot places its labels on (at the figure's own dpi)
        codes = [code for _, _, code, _ in points]
        self.placements = {
            hl: _place_labels(ax, _funnel_label_specs(points, hl)) for hl in [None, *codes]
        }
        fig.dpi = dpi
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
            data = rgba_png(np.asarray(canvas.buffer_rgba()))
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
    names = {code: unit_names.get(code, code) for code in series_of(funnel_df, "unit_code", "")}
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
    (4, 19, "left"),
    (-4, 19, "right"),
    (4, -25, "left"),
    (-4, -25, "right"),
    (10, -3, "left"),
    (-10, -3, "right"),
    (4, 27, "left"),
    (-4, 27, "right"),
    (4, -33, "left"),
    (-4, -33, "right"),
    (10, 9, "left"),
    (-10, 9, "right"),
    (10, -15, "left"),
    (-10, -15, "right"),
]


def _place_labels(ax: Axes, labels: list[tuple[float, float, str, float]]):
    """Offsets (points) and alignment for point labels so that they do not overlap each other,
    leave the axes, or get struck through by a line of the chart (the province's line, the
    control limits): greedy, the first spot of :data:`_LABEL_SPOTS` clear of all three, else
    the first clear of the other labels, else the first. Text sizes are measured with the
    figure's renderer (bold: the highlighted unit's larger label)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.transforms import Affine2D, Bbox

    ax.autoscale_view()
    to_pt = 72 / ax.figure.dpi
    (ax_x0, ax_y0), (ax_x1, ax_y1) = ax.transAxes.transform([(0, 0), (1, 1)]) * to_pt
    points = [tuple(ax.transData.transform((x, y)) * to_pt) for x, y, _, _ in labels]
    scale = Affine2D().scale(to_pt)
    lines = [ln.get_path().transformed(ln.get_transform() + scale) for ln in ax.get_lines()
             if ln.get_visible()]
    renderer = ax.figure.canvas.get_renderer()
    placed: list[tuple[float, float, float, float]] = []
    order = sorted(range(len(labels)), key=lambda i: (points[i][0], points[i][1]))
    chosen: dict[int, tuple[float, float, str]] = {}

    def measure(text: str, size: float) -> tuple[float, float, float]:
        font = FontProperties(size=size, weight="bold" if size > 6 else "normal")
        w, h, d = renderer.get_text_width_height_descent(text, font, ismath=False)
        return w * to_pt + 1.5, h * to_pt, d * to_pt  # + the white halo

    for i in order:
        px, py = points[i]
        _, _, text, size = labels[i]
        width, height, descent = measure(text, size)
        candidates = []
        for dx, dy, ha in _LABEL_SPOTS:
            x0 = px + dx if ha == "left" else px + dx - width
            bottom = py + dy - descent
            box = (x0 - 0.5, bottom - 1, x0 + width + 0.5, bottom + height + 1)
            inside = (box[0] >= ax_x0 - 2 and box[2] <= ax_x1 + 2
                      and box[1] >= ax_y0 - 1 and box[3] <= ax_y1 + 1)
            clear = all(
                box[2] <= b[0] or box[0] >= b[2] or box[3] <= b[1] or box[1] >= b[3] for b in placed
            )
            bbox = Bbox.from_extents(*box)
            struck = any(path.intersects_bbox(bbox, filled=False) for path in lines)
            candidates.append(((not (inside and clear and not struck),
                                not (inside and clear)), (dx, dy, ha), box))
        best = min(range(len(candidates)), key=lambda k: (candidates[k][0], k))
        _, spot, box = candidates[best]
        chosen[i] = spot
        placed.append(box)
    return [chosen[i] for i in range(len(labels))]
