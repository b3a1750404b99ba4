"""Charts for the reports, one module per chart family.

- :mod:`~analysis.present.plots.base`: style, the 16 cm figure and its layout, tick formatter,
  frame helpers, the charts' words (``plots/labels_vi.yaml``);
- :mod:`~analysis.present.plots.trend`: :func:`trend_chart`;
- :mod:`~analysis.present.plots.funnel`: :func:`funnel_plot`, :func:`funnel_png`;
- :mod:`~analysis.present.plots.ranking`: :func:`ranked_dot_plot`;
- :mod:`~analysis.present.plots.tilemap`: :func:`tile_map`;
- :mod:`~analysis.present.plots.multiples`: :func:`small_multiples`;
- :mod:`~analysis.present.plots.export`: PNG/SVG bytes and data URIs without dates.

The public functions are re-exported here, so ``from analysis.present import plots;
plots.trend_chart(…)`` reads the same wherever a chart is drawn. Conventions of every family:

- every artist a test may look for carries a ``gid`` ("values", "ci_95", "target",
  "projection", "break_rating_scheme_2018", "baseline", "funnel_95_lower", "tile_<code>"…);
- nothing here computes a statistic: intervals, funnel limits, projections and verdicts come in
  the frames;
- importing this package does not import matplotlib (each function does, when it draws).
"""

from __future__ import annotations

from analysis.present.plots.base import (
    HIGHLIGHT_COLOUR,
    PROVINCE_COLOUR,
    STYLE,
    TARGET_COLOUR,
    UNIT_COLOUR,
    WIDTH_CM,
    apply_style,
    chart_figure,
    legend_below,
    vi_formatter,
)
from analysis.present.plots.export import (
    PNG_COMPRESS_LEVEL,
    fig_to_data_uri,
    fig_to_png_bytes,
    fig_to_svg_bytes,
)
from analysis.present.plots.funnel import FUNNEL_CACHE_SIZE, funnel_plot, funnel_png
from analysis.present.plots.multiples import small_multiples
from analysis.present.plots.ranking import ranked_dot_plot
from analysis.present.plots.tilemap import tile_map
from analysis.present.plots.trend import trend_chart

__all__ = [
    "FUNNEL_CACHE_SIZE",
    "HIGHLIGHT_COLOUR",
    "PNG_COMPRESS_LEVEL",
    "PROVINCE_COLOUR",
    "STYLE",
    "TARGET_COLOUR",
    "UNIT_COLOUR",
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
