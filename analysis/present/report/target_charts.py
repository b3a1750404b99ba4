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
        return paragraph("Không có số liệu của đơn vị cho chỉ tiêu này.", "note")
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
    caption = (
        f"Diễn biến {indicator.id} – {indicator.name_vi}, {ctx.unit_name}"
        + ("" if ctx.is_province else " và toàn tỉnh" if indicator.unit != "count"
           else " (trục dọc theo số liệu của đơn vị; toàn tỉnh xem báo cáo toàn tỉnh)")
        + ": giá trị từng năm với khoảng tin cậy 95%, chỉ tiêu, "
        + (
            f"dự báo đến năm {ctx.target_year}."
            if meaningful or not projected
            else L.text("projection.none_caption", year=ctx.target_year) + "."
        )
    )
    return figure(fig, f"{indicator.id}: diễn biến theo năm", caption)


def comparison_figure(ctx: ReportContext, indicator) -> str:
    """Funnel plot (percent) or ranked dot plot (count) of the reporting units."""
    if ctx.scope.is_national:
        return _national_comparison(ctx, indicator)
    highlight = None if ctx.is_province else ctx.unit_code
    latest = ctx.latest_year
    parts = []
    if indicator.unit == "percent":
        funnel = ctx.funnels_by_id.get(indicator.id)
        if funnel is None or funnel.empty:
            return paragraph("Không đủ số liệu để so sánh các đơn vị.", "note")
        # the funnel is the same in every unit's report but for the highlight: drawn once
        png = plots.funnel_png(
            funnel, ctx.unit_names, highlight=highlight, height_cm=9.0, dpi=CHART_DPI
        )
        caption = (
            f"So sánh các đơn vị năm {latest} (biểu đồ phễu): mỗi điểm là một đơn vị, trục "
            "ngang là số được đánh giá; điểm nằm ngoài đường giới hạn 95% hoặc 99,8% khác toàn "
            "tỉnh nhiều hơn mức có thể do quy mô nhỏ."
        )
        parts.append(figure_png(png, f"{indicator.id}: so sánh các đơn vị", caption))
        if highlight is not None:
            mine = funnel.loc[funnel["unit_code"] == highlight]
            if not mine.empty:
                row = mine.iloc[0]
                word = L.funnel_word(value_of(row, "assessment"), indicator.polarity)
                parts.append(
                    paragraph(
                        f"Năm {latest}, {ctx.unit_name} đạt {fmt_percent(row['value'])}, toàn "
                        f"tỉnh {fmt_percent(row['baseline'])}: {word.lower()}."
                        if word != L.labels()["funnel"]["not_assessable"]
                        else f"Năm {latest}: không đủ số liệu để so sánh {ctx.unit_name} với "
                        "toàn tỉnh.",
                    )
                )
        return "\n".join(parts)
    rows = comparison_rows(ctx, indicator.id)
    if rows.empty:
        return paragraph("Không đủ số liệu để so sánh các đơn vị.", "note")
    fig = plots.ranked_dot_plot(
        rows[["unit_code", "value", "lower_95", "upper_95", "unit"]],
        highlight=highlight,
        unit_names=ctx.unit_names,
    )
    noun = L.count_noun(indicator.id)
    caption = (
        f"Xếp hạng các đơn vị năm {latest} theo {indicator.name_vi[0].lower()}"
        f"{indicator.name_vi[1:]}" + (f" ({noun})" if noun else "") + ", với khoảng tin cậy 95%."
    )
    return figure(fig, f"{indicator.id}: xếp hạng các đơn vị", caption)


def tile_map(ctx: ReportContext, indicator) -> str:
    rows = comparison_rows(ctx, indicator.id)
    if rows.empty:
        return ""
    layout = params.units()
    # the tiles place one province's units (params/units.yaml): another province's review
    # (country builds, synthetic data) would get an empty or wrong map
    if str(layout.get("province", "")) != str(ctx.review.province_code):
        return paragraph(
            f"Chưa có sơ đồ vị trí các đơn vị của {ctx.review.province_name} nên báo cáo "
            "không có bản đồ ô.",
            "note",
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
    caption = (
        f"Bản đồ ô: mỗi ô là một đơn vị đặt gần đúng vị trí trên địa bàn tỉnh (các đảng bộ "
        f"khối, lực lượng vũ trang ở hàng riêng), ghi giá trị năm {ctx.latest_year} và tô màu "
        "theo kết quả đánh giá."
    )
    return figure(fig, f"{indicator.id}: bản đồ các đơn vị", caption)


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
    rows = ctx.unit_by_id.get(indicator.id)
    if rows is None or rows.empty:
        return paragraph("Không có số liệu toàn quốc cho chỉ tiêu này.", "note")
    fig = plots.trend_chart(
        rows,
        progress_row=ctx.progress_row(indicator.id),
        unit=indicator.unit,
        unit_label=ctx.unit_name,
        height_cm=7.0,
    )
    caption = (
        f"Diễn biến {indicator.id} – {indicator.name_vi}, {ctx.unit_name.lower()}: giá trị "
        "từng năm với khoảng tin cậy 95%, chỉ tiêu, dự báo đến năm "
        f"{ctx.target_year}."
    )
    return figure(fig, f"{indicator.id}: diễn biến theo năm", caption)


def _national_comparison(ctx: ReportContext, indicator) -> str:
    """Funnel plot (percent) or ranked dot plot (count) of the provinces."""
    latest = ctx.latest_year
    total_word = L.labels()["province_total"]
    if indicator.unit == "percent":
        funnel = ctx.funnels_by_id.get(indicator.id)
        if funnel is None or funnel.empty:
            return paragraph("Không đủ số liệu để so sánh các tỉnh.", "note")
        # the provinces' rows are of level "province", which the funnel plot leaves out as
        # the total of a province report: pass them without their level
        fig = plots.funnel_plot(
            funnel.drop(columns=["level"], errors="ignore"),
            ctx.unit_names,
            highlight=None,
            height_cm=9.0,
        )
        caption = (
            f"So sánh các tỉnh năm {latest} (biểu đồ phễu): mỗi điểm là một tỉnh, trục ngang "
            "là số được đánh giá; điểm nằm ngoài đường giới hạn 95% hoặc 99,8% khác "
            f"{ctx.unit_name.lower()} nhiều hơn mức có thể do quy mô nhỏ."
        )
        fig = _relabel(fig, total_word, ctx.unit_name)
        return figure(fig, f"{indicator.id}: so sánh các tỉnh", caption)
    rows = comparison_rows(ctx, indicator.id)
    if rows.empty:
        return paragraph("Không đủ số liệu để so sánh các tỉnh.", "note")
    # as on the province report, no baseline: a national count is the sum over the provinces,
    # not a level a province is compared with
    fig = plots.ranked_dot_plot(
        rows[["unit_code", "value", "lower_95", "upper_95", "unit"]],
        unit_names=ctx.unit_names,
    )
    noun = L.count_noun(indicator.id)
    caption = (
        f"Xếp hạng các tỉnh năm {latest} theo {indicator.name_vi[0].lower()}"
        f"{indicator.name_vi[1:]}" + (f" ({noun})" if noun else "") + ", với khoảng tin cậy 95%."
    )
    return figure(fig, f"{indicator.id}: xếp hạng các tỉnh", caption)
