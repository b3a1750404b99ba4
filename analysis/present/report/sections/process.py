"""The process indicators P1–P17: table with trend arrows, small multiples."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from analysis.present import labels as L
from analysis.present import plots
from analysis.present.report.context import ReportContext
from analysis.present.report.render import figure, paragraph, section_html, styled
from analysis.present.tables import process_table

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML


__all__ = ["process_section"]


def _trend_progress(ctx: ReportContext) -> pd.DataFrame:
    """The unit's progress rows, plus a ``trend_direction`` row for every indicator without a
    target: arrows and sparklines read the assessment's full years only, never the partial
    reference year (the tables' own fallback, last minus first shown year, would)."""
    progress = ctx.unit_progress
    trends = getattr(ctx.part, "trends", None)
    if trends is None or trends.empty:
        return progress
    mine = trends.loc[
        (trends["unit_code"] == ctx.unit_code)
        & ~trends["indicator_id"].isin(set(progress["indicator_id"]))
    ]
    if mine.empty:
        return progress
    return pd.concat([progress, mine], ignore_index=True)


def process_section(ctx: ReportContext) -> HTML:
    """P1–P17: values by year, direction arrow (coloured good/bad by polarity), target and
    verdict where there is one; small multiples of the same series."""
    indicators = ctx.indicator_list(targets=False)
    ids = [i.id for i in indicators if ctx.applies(i) and i.id in ctx.unit_by_id]
    skipped = [i.id for i in indicators if not ctx.applies(i)]
    parts = [paragraph(L.text("process.intro"))]
    if not ids:
        parts.append(paragraph(L.text("process.empty"), "note"))
        return section_html(ctx, "process", "\n".join(parts))
    trends = _trend_progress(ctx)
    styler = process_table(
        ctx.indicators,
        trends,
        ctx.unit_code,
        years=ctx.part.years,
        indicator_ids=ids,
        title_vi=ctx.table_title("process", L.text("process.table", unit=ctx.unit_name)),
    )
    parts.append(styled(styler, "long"))
    if skipped:
        skipped_text = L.text("process.skipped", unit=ctx.unit_name, ids=", ".join(skipped))
        parts.append(paragraph(skipped_text, "note"))
    fig = plots.small_multiples(
        ctx.unit_indicators,
        ids,
        ctx.unit_code,
        progress=trends,
        ncols=4,
    )
    parts.append(
        figure(fig, L.text("process.chart_alt"), L.text("process.chart_caption"))
    )
    return section_html(ctx, "process", "\n".join(parts))
