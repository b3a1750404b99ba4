"""The charts of a target's block: its trend, the units compared, the tile map.

Each function returns the chart as an embedded figure (:func:`~.render.figure`) with its
caption, or a note when there is nothing to draw. The national report draws its own trend
(no province beside it) and compares provinces on a funnel plot whose baseline is the nation.
"""

from __future__ import annotations

import numpy as np

from analysis import params
from analysis.present import labels as L
from analysis.present import plots
from analysis.present.formats import fmt_number, fmt_percent, is_missing
from analysis.present.report.common import comparison_rows, value_of
from analysis.present.report.context import ReportContext
from analysis.present.report.render import CHART_DPI, figure, figure_png, paragraph
from analysis.present.report.sentences import projection_meaningful

__all__ = ["comparison_figure", "tile_map", "trend_figure"]


def trend_figure(ctx: ReportContext, indicator) -> str:
    """The target's trend chart: each year with its 95% interval, the target, the projection
    (when it means something) and, on a unit's report, the province beside the unit."""
    if ctx.scope.is_national:
        return _national_trend(ctx, indicator)
    rows = ctx.unit_by_id.get(indicator.id)
    if rows is None or rows.empty:
        return paragraph(L.text("target_block.no_unit_data"), "note")
    province = None if ctx.is_province else ctx.province_by_id.get(indicator.id)
    progress_row = ctx.progress_row(indicator.id)
    projected = progress_row is not None and not is_missing(progress_row.get("projected_value"))
    meaningful = projected and projection_meaningful(
        progress_row.get("projected_value"),
        progress_row.get("projected_lower"),
        progress_row.get("projected_upper"),
        indicator.unit,
    )
    if projected and not meaningful:
        # a projection that means nothing is neither said nor drawn
        progress_row = progress_row.copy()
        progress_row[["projected_value", "projected_lower", "projected_upper"]] = np.nan
    fig = plots.trend_chart(
        rows,
        progress_row=progress_row,
        province_series=province[["year", "value"]] if province is not None else None,
        unit=indicator.unit,
        unit_label=ctx.short_name if not ctx.is_province else L.labels()["province_total"],
        partial_years=ctx.partial_years,
        height_cm=7.0,
    )
    beside = (
        ""
        if ctx.is_province
        else L.text("target_block.trend_with_province")
        if indicator.unit != "count"
        else L.text("target_block.trend_count_alone")
    )
    caption = (
        L.text("target_block.trend_caption", id=indicator.id, name=indicator.name_vi,
               unit=ctx.unit_name)
        + beside
        + L.text("target_block.trend_what")
        + (
            L.text("target_block.trend_projection", year=ctx.target_year)
            if meaningful or not projected
            else L.text("projection.none_caption", year=ctx.target_year) + "."
        )
    )
    return figure(fig, L.text("target_block.trend_alt", id=indicator.id), caption)


def comparison_figure(ctx: ReportContext, indicator) -> str:
    """Funnel plot (percent) or ranked dot plot (count) of the reporting units."""
    members = ctx.scope.members
    if ctx.scope.is_national and indicator.unit == "percent":
        return _national_funnel(ctx, indicator)
    highlight = None if ctx.is_province else ctx.unit_code
    latest = ctx.latest_year
    parts = []
    if indicator.unit == "percent":
        funnel = ctx.funnels_by_id.get(indicator.id)
        if funnel is None or funnel.empty:
            return paragraph(L.text("target_block.no_comparison", members=members), "note")
        # the funnel is the same in every unit's report but for the highlight: drawn once
        png = plots.funnel_png(
            funnel, ctx.unit_names, highlight=highlight, height_cm=9.0, dpi=CHART_DPI
        )
        caption = L.text("target_block.funnel_caption", year=latest)
        alt = L.text("target_block.funnel_alt", id=indicator.id, members=members)
        parts.append(figure_png(png, alt, caption))
        if highlight is not None:
            mine = funnel.loc[funnel["unit_code"] == highlight]
            if not mine.empty:
                row = mine.iloc[0]
                word = L.funnel_word(value_of(row, "assessment"), indicator.polarity)
                parts.append(
                    paragraph(
                        L.text(
                            "target_block.funnel_unit",
                            year=latest,
                            unit=ctx.unit_name,
                            value=fmt_percent(row["value"]),
                            province=fmt_percent(row["baseline"]),
                            word=word.lower(),
                        )
                        if word != L.labels()["funnel"]["not_assessable"]
                        else L.text("target_block.funnel_unit_none", year=latest,
                                    unit=ctx.unit_name)
                    )
                )
        return "\n".join(parts)
    rows = comparison_rows(ctx, indicator.id)
    if rows.empty:
        return paragraph(L.text("target_block.no_comparison", members=members), "note")
    # no baseline: a national count is the sum over the provinces, not a level a province is
    # compared with (as a province's count is not a level for its districts)
    fig = plots.ranked_dot_plot(
        rows[["unit_code", "value", "lower_95", "upper_95", "unit"]],
        highlight=highlight,
        unit_names=ctx.unit_names,
    )
    noun = L.count_noun(indicator.id)
    caption = L.text(
        "target_block.ranking_caption",
        members=members,
        year=latest,
        name=indicator.name_vi[0].lower() + indicator.name_vi[1:],
        noun=f" ({noun})" if noun else "",
    )
    alt = L.text("target_block.ranking_alt", id=indicator.id, members=members)
    return figure(fig, alt, caption)


def tile_map(ctx: ReportContext, indicator) -> str:
    rows = comparison_rows(ctx, indicator.id)
    if rows.empty:
        return ""
    layout = params.units()
    # the tiles place one province's units (params/units.yaml): another province's review
    # (country builds, synthetic data) would get an empty or wrong map
    if str(layout.get("province", "")) != str(ctx.review.province_code):
        return paragraph(
            L.text("target_block.tiles_missing", province=ctx.review.province_name), "note"
        )
    verdicts = ctx.reporting_progress_by_id.get(indicator.id)
    fmt = fmt_percent if indicator.unit == "percent" else fmt_number
    fig = plots.tile_map(
        rows[["unit_code", "value", "unit"]],
        layout["tiles"],
        verdicts=verdicts[["unit_code", "verdict"]] if verdicts is not None else None,
        unit_names=ctx.unit_names,
        value_fmt=fmt,
    )
    caption = L.text("target_block.tiles_caption", year=ctx.latest_year)
    return figure(fig, L.text("target_block.tiles_alt", id=indicator.id), caption)


def _relabel(fig, old: str, new: str):
    """Replace a legend word on a chart: the plots name their baseline "Toàn tỉnh" (the
    province report's total); here the baseline is the nation."""
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    for legend in legends:
        if legend is None:
            continue
        for text in legend.get_texts():
            text.set_text(text.get_text().replace(old, new))
    return fig


def _national_trend(ctx: ReportContext, indicator) -> str:
    """The national total's trend (no province beside it, no part year marked)."""
    rows = ctx.unit_by_id.get(indicator.id)
    if rows is None or rows.empty:
        return paragraph(L.text("target_block.no_national_data"), "note")
    fig = plots.trend_chart(
        rows,
        progress_row=ctx.progress_row(indicator.id),
        unit=indicator.unit,
        unit_label=ctx.unit_name,
        height_cm=7.0,
    )
    caption = L.text(
        "target_block.national_trend_caption",
        id=indicator.id,
        name=indicator.name_vi,
        total=ctx.unit_name.lower(),
        year=ctx.target_year,
    )
    return figure(fig, L.text("target_block.trend_alt", id=indicator.id), caption)


def _national_funnel(ctx: ReportContext, indicator) -> str:
    """The provinces on a funnel plot whose baseline is the nation."""
    members = ctx.scope.members
    funnel = ctx.funnels_by_id.get(indicator.id)
    if funnel is None or funnel.empty:
        return paragraph(L.text("target_block.no_comparison", members=members), "note")
    # the provinces' rows are of level "province", which the funnel plot leaves out as
    # the total of a province report: pass them without their level
    fig = plots.funnel_plot(
        funnel.drop(columns=["level"], errors="ignore"),
        ctx.unit_names,
        highlight=None,
        height_cm=9.0,
    )
    caption = L.text(
        "target_block.national_funnel_caption", year=ctx.latest_year, total=ctx.unit_name.lower()
    )
    fig = _relabel(fig, L.labels()["province_total"], ctx.unit_name)
    alt = L.text("target_block.funnel_alt", id=indicator.id, members=members)
    return figure(fig, alt, caption)
