"""Every target: heading, sentence, trend chart, the unit among the others."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from analysis import params
from analysis.present import labels as L
from analysis.present.formats import MISSING, fmt_value, is_missing
from analysis.present.report.common import (
    comparison_rows,
    not_applicable,
    rating_caveat,
    target_sentence,
    units_behind,
)
from analysis.present.report.context import ReportContext
from analysis.present.report.render import esc, html_table, paragraph, section_html
from analysis.present.report.target_charts import comparison_figure, tile_map, trend_figure

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML

__all__ = ["ranking_table", "target_sections", "units_behind_text"]


def ranking_table(
    ctx: ReportContext,
    indicator,
    *,
    unit_header: str = "Đơn vị",
    area: str = "toàn tỉnh",
    units_noun: str = "các đơn vị",
    table_id: str | None = None,
) -> str:
    """The reporting units ranked by their latest value, with target, verdict and the funnel
    word against ``area`` (the national report ranks provinces against "toàn quốc")."""
    rows = comparison_rows(ctx, indicator.id)
    if rows.empty:
        return ""
    ascending = indicator.polarity == "lower"
    rows = rows.sort_values(["value", "unit_code"], ascending=[ascending, True], kind="mergesort")
    progress = ctx.reporting_progress_by_id.get(indicator.id)
    verdict_of = (
        dict(zip(progress["unit_code"], progress["verdict"], strict=False))
        if progress is not None
        else {}
    )
    funnel = ctx.funnels_by_id.get(indicator.id)
    funnel_of = (
        dict(zip(funnel["unit_code"], funnel["assessment"], strict=False))
        if funnel is not None
        else {}
    )
    noun = L.count_noun(indicator.id) if indicator.unit == "count" else ""
    value_col = f"Năm {ctx.latest_year}"
    records = []
    rank, previous = 0, None
    for i, row in enumerate(rows.itertuples(index=False), start=1):
        if row.value != previous:
            rank, previous = i, row.value
        target = (
            L.target_text(str(row.target_op), row.target_value, indicator.unit, noun)
            if not is_missing(row.target_op) and not is_missing(row.target_value)
            else MISSING
        )
        record = {
            "Hạng": str(rank),
            unit_header: esc(ctx.unit_names.get(row.unit_code, row.unit_code)),
            value_col: html.escape(fmt_value(row.value, indicator.unit)),
            "Chỉ tiêu": html.escape(target),
            "Đánh giá": L.verdict_badge_html(verdict_of.get(row.unit_code)),
        }
        if indicator.unit == "percent":
            word = L.funnel_word(funnel_of.get(row.unit_code), indicator.polarity)
            record[f"So với {area}"] = html.escape(word.replace("toàn tỉnh", area))
        records.append(record)
    frame = pd.DataFrame(records)
    return html_table(
        frame,
        table_id or f"rank_{indicator.id}",
        f"Xếp hạng {units_noun} năm {ctx.latest_year} – {indicator.id}",
        numeric=[value_col],
        centre=["Hạng"],
    )


def units_behind_text(ctx: ReportContext, indicator) -> str:
    """The units behind one target, named: who has not met it (value and verdict), who is
    significantly worse than the province on the funnel, and the group they share."""
    found = units_behind(ctx, indicator)
    if not found["assessed"] and not found["not_assessable"]:
        return ""
    names = ctx.unit_names
    noun = L.count_noun(indicator.id) if indicator.unit == "count" else ""
    year = ctx.latest_year
    sentences = []
    if found["not_met"]:
        listed = [
            f"{L.short_name(names.get(c, c))} "
            f"{fmt_value(found['values'].get(c), indicator.unit, noun)}"
            f" ({L.verdict_word(found['verdicts'][c])})"
            for c in found["not_met"]
        ]
        sentences.append(
            L.text(
                "behind.not_met",
                year=year,
                count=len(found["not_met"]),
                total=found["assessed"],
                units=", ".join(listed),
            )
        )
    elif found["assessed"]:
        sentences.append(L.text("behind.all_met", year=year, total=found["assessed"]))
    for group, hit, size in found["groups"]:
        sentences.append(
            L.text(
                "behind.group_all" if len(hit) == size else "behind.group",
                count=len(hit),
                size=size,
                group=group,
                members=", ".join(L.short_name(names.get(c, c)) for c in hit),
            )
        )
    if found["worse"]:
        listed = [
            f"{L.short_name(names.get(c, c))}: "
            f"{L.funnel_word(a, indicator.polarity)[:1].lower()}"
            f"{L.funnel_word(a, indicator.polarity)[1:]}"
            for c, a in found["worse"]
        ]
        sentences.append(L.text("behind.worse", units="; ".join(listed)))
    if found["not_assessable"]:
        sentences.append(
            L.text(
                "behind.not_assessable",
                units=", ".join(L.short_name(names.get(c, c)) for c in found["not_assessable"]),
            )
        )
    return " ".join(sentences)


def target_sections(ctx: ReportContext) -> HTML:
    """Every target: heading, sentence, trend chart, the unit among the others (funnel plot or
    ranked dots); on the province report also the units behind it, the tile map, the ranking
    and the rating caveats; on the national report the provinces ranked."""
    national = ctx.scope.is_national
    if national:
        intro = L.text("target_block.national_intro", year=ctx.target_year)
    else:
        intro = L.text("target_block.intro", year=ctx.target_year) + L.text(
            "targets.funnel_similar_explained"
        )
    parts = [paragraph(intro)]
    rating = params.plan().get("rating_targets") or []
    for indicator in ctx.indicator_list(targets=True):
        block = [
            f'<h3 id="muc-tieu-{esc(indicator.id)}">{esc(indicator.id)}. '
            f"{esc(indicator.name_vi)}</h3>"
        ]
        if not ctx.applies(indicator):
            block.append(not_applicable(ctx, indicator))
            parts.append('<div class="target-block">' + "\n".join(block) + "</div>")
            continue
        # heading, sentence and trend chart on one page
        block[0] = (
            f'<div class="keep">{block[0]}'
            + paragraph(target_sentence(ctx, indicator, with_projection=True), "sentence")
            + trend_figure(ctx, indicator)
            + "</div>"
        )
        if ctx.is_province and not national:
            behind = units_behind_text(ctx, indicator)
            if behind:
                block.append(paragraph(behind, "units-behind"))
        block.append(comparison_figure(ctx, indicator))
        if national:
            block.append(
                ranking_table(
                    ctx,
                    indicator,
                    unit_header=ctx.scope.member_header,
                    area=ctx.unit_name.lower(),
                    units_noun=ctx.scope.members,
                    table_id=f"rank_national_{indicator.id}",
                )
            )
        elif ctx.is_province:
            block.append(tile_map(ctx, indicator))
            block.append(ranking_table(ctx, indicator))
        if indicator.id in rating and not national:
            codes = list(ctx.reporting_names) if ctx.is_province else [ctx.unit_code]
            for code in codes:
                caveat = rating_caveat(ctx, code)
                if caveat:
                    block.append(paragraph(caveat, "caveat"))
        parts.append('<div class="target-block">' + "\n".join(b for b in block if b) + "</div>")
    return section_html(ctx, "targets", "\n".join(parts))
