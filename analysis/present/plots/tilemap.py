"""Tile map: the province as a grid of square tiles, one per unit, in its verdict colour."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import fmt_count, fmt_percent, is_missing
from analysis.present.plots.base import first_value, new_figure, words

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["tile_map"]


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
        unit = first_value(values_df, "unit") if isinstance(values_df, pd.DataFrame) else None
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
    fig = new_figure(max(5.0, 2.6 * height + 2.0), measure_texts=False)
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
        more = words()["untiled_more"].format(n=len(missing) - 6) if len(missing) > 6 else ""
        note = words()["untiled"].format(units=", ".join(shown)) + more
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

