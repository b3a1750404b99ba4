"""The one-page summary for leaders, at the front of every report."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from analysis.measure.integrity import RULE_TOTAL
from analysis.present import labels as L
from analysis.present.formats import MISSING, fmt_number, fmt_percent, fmt_value, is_missing
from analysis.present.report.common import (
    assessed_values,
    rating_caveat,
    top_level_share,
    units_behind,
    value_of,
)
from analysis.present.report.context import ReportContext
from analysis.present.report.render import as_html, bullets, paragraph
from analysis.present.report.sentences import latest_year_note, yearly_clause

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML


__all__ = ["leader_summary", "leader_summary_section"]


def _target_entry(ctx: ReportContext, indicator, row) -> str:
    """``"T1 – Tỷ lệ … (90,1%; đạt chỉ tiêu 3/4 năm, chưa đạt năm 2018: 87,5%)"``."""
    noun = L.count_noun(indicator.id) if indicator.unit == "count" else ""
    latest = value_of(row, "latest_value")
    inside = [fmt_value(latest, indicator.unit, noun)] if latest is not None else []
    if str(value_of(row, "verdict")) == "not_achieved":
        years = yearly_clause(row, indicator.unit, noun, assessed_values(ctx, indicator.id))
        if years:
            inside.append(years)
    text = f"{indicator.id} – {indicator.name_vi}"
    return text + (f" ({'; '.join(inside)})" if inside else "")


def _leader_units_behind(ctx: ReportContext, targets: list) -> list[str]:
    """Province: per target, the units behind it (all of them named when they are at most
    half of the units assessed, else how many), and the units significantly worse than the
    province on the funnel, with their targets."""
    lines, worse_by_unit = [], {}
    names = ctx.unit_names
    for indicator in targets:
        found = units_behind(ctx, indicator)
        for code, _ in found["worse"]:
            worse_by_unit.setdefault(code, []).append(indicator.id)
        behind, assessed = found["not_met"], found["assessed"]
        if not behind or not assessed:
            continue
        if 2 * len(behind) <= assessed:
            text = f"{indicator.id}: " + ", ".join(L.short_name(names.get(c, c)) for c in behind)
            for group, hit, size in found["groups"]:
                text += f" ({len(hit)}/{size} {group})"
        else:
            text = L.text("leader.most_behind", target=indicator.id, count=len(behind),
                          total=assessed)
        lines.append(text)
    if worse_by_unit:
        order = sorted(worse_by_unit, key=lambda c: (-len(worse_by_unit[c]), c))
        lines.append(
            L.text(
                "leader.worse",
                units="; ".join(
                    f"{L.short_name(names.get(c, c))} ({', '.join(worse_by_unit[c])})"
                    for c in order
                ),
            )
        )
    return lines


def _leader_unit_vs_province(ctx: ReportContext, targets: list) -> list[str]:
    """A unit's report: the targets where the unit is significantly worse than the province."""
    lines = []
    for indicator in targets:
        funnel = ctx.funnels_by_id.get(indicator.id)
        if funnel is None or funnel.empty:
            continue
        mine = funnel.loc[funnel["unit_code"] == ctx.unit_code]
        if mine.empty or str(mine.iloc[0]["assessment"]) not in ("worse_95", "worse_998"):
            continue
        row = mine.iloc[0]
        lines.append(
            L.text(
                "leader.unit_worse",
                target=indicator.id,
                value=fmt_percent(row["value"]),
                province=fmt_percent(row["baseline"]),
                word=L.funnel_word(row["assessment"], indicator.polarity).lower(),
            )
        )
    return lines


def _leader_integrity(ctx: ReportContext) -> list[str]:
    """The integrity questions in one line per unit: O/E above or below the expected, and the
    rating-rule warnings of the period."""
    integrity = ctx.part.integrity
    if integrity is None or integrity.empty:
        return []
    rows = integrity
    if not ctx.is_province:
        rows = rows.loc[rows["reporting_unit"].astype(str) == ctx.unit_code]
    lines = []
    for row in rows.itertuples(index=False):
        parts = []
        flag = "" if is_missing(row.flag) else str(row.flag)
        if flag.startswith(("above", "below")):
            parts.append(
                L.text(
                    "leader.oe_above" if flag.startswith("above") else "leader.oe_below",
                    ratio=fmt_number(row.ratio, 2),
                )
            )
        warnings = getattr(row, RULE_TOTAL)
        if not is_missing(warnings) and int(warnings) > 0:
            parts.append(L.text("leader.rule_warnings", count=fmt_number(int(warnings))))
        if parts:
            name = ctx.unit_names.get(row.reporting_unit, row.reporting_unit)
            line = f"{L.short_name(name) if ctx.is_province else name}: " + "; ".join(parts)
            caveat = rating_caveat(ctx, str(row.reporting_unit))
            top = top_level_share(ctx, str(row.reporting_unit))
            if caveat and top:
                line += top
            if caveat and ", trong khi " in caveat:
                line += " – " + caveat[caveat.index(", trong khi ") + 2 :].rstrip(".")
            lines.append(line)
    return lines


def leader_summary_section(ctx: ReportContext) -> HTML:
    """The one-page summary for leaders (:func:`leader_summary`), the notebook's cell after the
    title page."""
    return as_html(leader_summary(ctx))


def leader_summary(ctx: ReportContext) -> str:
    """The one-page summary for leaders at the front of every report (after the title page):
    targets by verdict with the years a yearly target was missed, the units behind (province)
    or the targets where the unit is significantly worse than the province, and the
    integrity questions. Every number is one the report prints again in its section."""
    targets = [i for i in ctx.indicator_list(targets=True) if ctx.applies(i)]
    groups: dict[str, list[str]] = {}
    for indicator in targets:
        row = ctx.progress_row(indicator.id)
        verdict = str(value_of(row, "verdict") or "not_assessable")
        groups.setdefault(verdict, []).append(_target_entry(ctx, indicator, row))
    latest, own = ctx.latest_year, ctx.unit_latest_year
    year_text = str(latest) if latest else MISSING
    if own is not None and latest is not None and own < latest:
        year_text = f"{own} ({latest_year_note(own)})"
    counts = ", ".join(
        f"{len(groups[v])} “{L.verdict_word(v)}”" for v in L.VERDICTS if v in groups
    )
    parts = [
        "<h2>" + html.escape(L.text("leader.title")) + "</h2>",
        paragraph(L.text("leader.lead", unit=ctx.unit_name, year=year_text, total=len(targets),
                  counts=counts)),
    ]
    items = [
        f"{L.verdict_badge_html(v)} " + html.escape("; ".join(groups[v]) + ".")
        for v in L.VERDICTS
        if v in groups
    ]
    parts.append('<ul class="leader-verdicts">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
    behind = (
        _leader_units_behind(ctx, targets)
        if ctx.is_province
        else _leader_unit_vs_province(ctx, targets)
    )
    parts.append(
        "<h3>"
        + html.escape(L.text("leader.behind_title" if ctx.is_province else "leader.vs_title"))
        + "</h3>"
    )
    parts.append(
        bullets(behind) if behind else paragraph(L.text(
            "leader.none_behind" if ctx.is_province else "leader.none_worse"))
    )
    parts.append("<h3>" + html.escape(L.text("leader.integrity_title")) + "</h3>")
    questions = _leader_integrity(ctx)
    has_integrity = ctx.part.integrity is not None and not ctx.part.integrity.empty and (
        ctx.is_province
        or (ctx.part.integrity["reporting_unit"].astype(str) == ctx.unit_code).any()
    )
    if questions:
        parts.append(bullets(questions))
        see = L.text("leader.integrity_see", section=ctx.section_number("integrity"))
        parts.append(paragraph(see, "note"))
    elif has_integrity:
        parts.append(paragraph(L.text("leader.no_questions")))
    else:
        parts.append(paragraph(L.text("leader.no_integrity"), "note"))
    return (
        '<section class="tccsd-report tccsd-leader-summary" id="muc-tom-tat-lanh-dao">\n'
        + "\n".join(parts)
        + "\n</section>"
    )
