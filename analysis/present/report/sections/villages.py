"""Villages without party members and at risk, their change since the baseline, heads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import fmt_count, fmt_number, fmt_percent, is_missing
from analysis.present.report.common import indicator_row, indicator_value
from analysis.present.report.context import ReportContext
from analysis.present.report.render import paragraph, section_html
from analysis.present.report.sentences import change_clause
from analysis.present.report.village_tables import change_tables, heads_table, village_table

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML


__all__ = ["village_counts_sentence", "villages_section"]


def _communes(ctx: ReportContext) -> pd.DataFrame:
    units = ctx.review.units
    communes = units.loc[units["level"] == "commune", ["code", "name", "parent_code"]]
    if ctx.is_province:
        return communes.loc[communes["parent_code"].isin(list(ctx.reporting_names))]
    return communes.loc[communes["parent_code"] == ctx.unit_code]


def village_counts_sentence(unit: str, year: int, none: Any, risk: Any) -> str:
    """``"Năm 2019, Huyện Lục Ngạn có 3 thôn, bản chưa có đảng viên và 10 thôn, bản chỉ có
    1–2 đảng viên (có nguy cơ “tái trắng”)"``; a count of 0 is said in words, never
    "có 0 thôn" (``none``/``risk``: the counts, None when unknown)."""
    noun = "thôn, bản"
    n_none = None if is_missing(none) else int(round(float(none)))
    n_risk = None if is_missing(risk) else int(round(float(risk)))
    words = {"year": year, "unit": unit, "none": fmt_count(n_none, noun),
             "risk": fmt_count(n_risk, noun)}
    if n_none == 0 and n_risk == 0:
        return L.text("villages.neither", **words)
    if n_none == 0 and n_risk is not None:
        return L.text("villages.risk_only", **words)
    if n_risk == 0 and n_none is not None:
        return L.text("villages.none_only", **words)
    return L.text("villages.both", **words)


def _village_units(ctx: ReportContext, listed: set[str]) -> tuple[list[str], list[str]]:
    """Province report: the districts without village rows in the latest year, split into
    those with summary figures (T7 of the year) and those with no figure at all."""
    reporting = ctx.review.reporting_units
    districts = [
        str(c) for c in reporting.loc[reporting["level"] == "district", "code"]
        if str(c) not in listed
    ]
    summary = [c for c in districts if indicator_value(ctx, "T7", c, ctx.latest_year) is not None]
    missing = [c for c in districts if c not in summary]
    return summary, missing


def _summary_villages_section(ctx: ReportContext) -> list[str]:
    """The village section of a unit that sent summary figures only: its own T7, P13 and T6
    (the numbers of Bảng 1), and that no village list is available."""
    latest, base = ctx.latest_year, ctx.baseline_year
    code = ctx.unit_code
    none = indicator_value(ctx, "T7", code, latest)
    risk = indicator_value(ctx, "P13", code, latest)
    parts = ["<h3>Thôn, bản chưa có đảng viên và có nguy cơ “tái trắng”</h3>"]
    parts.append(
        paragraph(
            village_counts_sentence(ctx.unit_name, latest, none, risk)
            + L.text("villages.from_summary")
            + ". "
            + L.text("villages.summary_only", unit=ctx.unit_name)
        )
    )
    parts.append(f"<h3>Thay đổi so với năm {base}</h3>")
    before = indicator_value(ctx, "T7", code, base)
    if before is not None and none is not None:
        change = change_clause(none, before, base, "count", "thôn, bản")
        parts.append(paragraph(L.text("villages.summary_change", change=change)))
    else:
        parts.append(paragraph("Không có số liệu thôn, bản năm gốc.", "note"))
    parts.append("<h3>Trưởng thôn, bản là đảng viên</h3>")
    heads = indicator_row(ctx, "T6", code, latest)
    heads_base = indicator_value(ctx, "T6", code, base)
    if heads is None:
        parts.append(paragraph("Không có số liệu trưởng thôn, bản.", "note"))
    else:
        change = (
            change_clause(float(heads["value"]), heads_base, base, "percent")
            if heads_base is not None
            else ""
        )
        parts.append(
            paragraph(
                L.text(
                    "villages.summary_heads",
                    year=latest,
                    unit=ctx.unit_name,
                    share=fmt_percent(heads["value"]),
                    heads=fmt_number(heads["numerator"]),
                    villages=fmt_number(heads["denominator"]),
                    change=change,
                ).replace(",  (", " (")
            )
        )
    return parts


def villages_section(ctx: ReportContext) -> HTML:
    """Villages without members and at risk (1–2 members) in the latest year, the change since
    the baseline (admission / merger / re-whitening …), village heads who are members by
    commune. Sector committees have no villages: said plainly.

    The counts said are the report's one number per fact (Bảng 1's T7 and P13): a unit that
    sent summary figures only gets them from its summary, with the words that no village list
    is available; the province report says which units its village list leaves out."""
    if ctx.is_sector:
        return section_html(
            ctx,
            "villages",
            paragraph(
                f"{ctx.unit_name} là đảng bộ khối, lực lượng vũ trang trực thuộc Tỉnh ủy, không "
                "quản lý thôn, bản, tổ dân phố: phần thôn, bản không áp dụng cho đơn vị này.",
                "not-applicable",
            ),
        )
    part = ctx.part
    communes = _communes(ctx)
    commune_codes = set(communes["code"].astype(str))
    commune_names = dict(zip(communes["code"], communes["name"], strict=False))
    commune_parent = dict(zip(communes["code"].astype(str), communes["parent_code"].astype(str),
                              strict=False))
    latest = ctx.latest_year
    parts = []
    latest_rows = part.villages_latest
    if latest_rows is not None and not latest_rows.empty:
        latest_rows = latest_rows.loc[latest_rows["commune_code"].isin(commune_codes)]
    heads = part.heads_by_commune
    if heads is not None and not heads.empty:
        heads = heads.loc[heads["commune_code"].isin(commune_codes)]
    # villages_latest lists only villages with 0–2 members: heads_by_commune (every village of
    # the latest year) tells "no village data" from "no village at risk"
    has_villages = (heads is not None and not heads.empty) or (
        latest_rows is not None and not latest_rows.empty
    )
    if (
        not ctx.is_province
        and latest is not None
        and not has_villages
        and indicator_value(ctx, "T7", ctx.unit_code, latest) is not None
    ):
        return section_html(ctx, "villages", "\n".join(_summary_villages_section(ctx)))
    listed = set()
    for frame in (heads, latest_rows):
        if frame is not None and not frame.empty:
            listed |= {commune_parent.get(str(c), "") for c in frame["commune_code"]}
    summary_units, missing_units = (
        _village_units(ctx, listed) if ctx.is_province else ([], [])
    )
    if latest is None or not has_villages or "party_members" not in latest_rows.columns:
        parts.append(paragraph("Dữ liệu không có số liệu chi tiết từng thôn, bản.", "note"))
    else:
        members = pd.to_numeric(latest_rows["party_members"], errors="coerce")
        n_none, n_risk = int((members == 0).sum()), int(members.between(1, 2).sum())
        parts.append("<h3>Thôn, bản chưa có đảng viên và có nguy cơ “tái trắng”</h3>")
        none, risk = n_none, n_risk
        if summary_units or missing_units:
            # the province's own figures (Bảng 1), not the count of the listed villages
            none = indicator_value(ctx, "T7", ctx.unit_code, latest)
            risk = indicator_value(ctx, "P13", ctx.unit_code, latest)
            none = n_none if none is None else none
            risk = n_risk if risk is None else risk
        text = village_counts_sentence(ctx.unit_name, latest, none, risk) + "."
        if summary_units or missing_units:
            others = [
                L.text(
                    "villages.summary_unit",
                    unit=ctx.unit_names.get(c, c),
                    none=fmt_count(indicator_value(ctx, "T7", c, latest), "thôn"),
                    risk=fmt_count(indicator_value(ctx, "P13", c, latest), "thôn"),
                )
                for c in summary_units
            ] + [
                L.text("villages.missing_unit", unit=ctx.unit_names.get(c, c), year=latest)
                for c in missing_units
            ]
            text += " " + L.text(
                "villages.list_covers",
                none=fmt_count(n_none, "thôn"),
                risk=fmt_count(n_risk, "thôn"),
                others="; ".join(others),
            )
        parts.append(paragraph(text))
        if len(latest_rows):
            parts.append(village_table(ctx, latest_rows, commune_names))
    changes = part.village_changes
    parts.append(f"<h3>Thay đổi so với năm {ctx.baseline_year}</h3>")
    if changes is not None and not changes.empty:
        changes = changes.loc[changes["commune_code"].isin(commune_codes)]
    if changes is None or changes.empty:
        parts.append(
            paragraph(
                f"Không có thôn, bản nào chưa có đảng viên trong giai đoạn {ctx.baseline_year}–"
                f"{latest}."
                if latest
                else "Không có số liệu thôn, bản."
            )
        )
    else:
        parts.append(
            paragraph(
                "Các thôn, bản chưa có đảng viên trong giai đoạn, chia theo cách ra khỏi danh "
                "sách: có đảng viên (kết nạp hoặc chuyển đến), sáp nhập vào thôn khác, hoặc "
                "“tái trắng”; sáp nhập làm giảm số thôn “trắng” mà không phải do kết nạp."
            )
        )
        parts.append(change_tables(ctx, changes, commune_names))
    if summary_units:
        parts.append(
            paragraph(
                L.text(
                    "villages.changes_cover",
                    others="; ".join(
                        L.text(
                            "villages.summary_unit_change",
                            unit=ctx.unit_names.get(c, c),
                            baseline_year=ctx.baseline_year,
                            year=latest,
                            before=fmt_count(
                                indicator_value(ctx, "T7", c, ctx.baseline_year), "thôn"
                            ),
                            after=fmt_count(indicator_value(ctx, "T7", c, latest), "thôn"),
                        )
                        for c in summary_units
                    ),
                ),
                "note",
            )
        )
    parts.append("<h3>Trưởng thôn, bản là đảng viên</h3>")
    if heads is None or heads.empty:
        parts.append(paragraph("Không có số liệu trưởng thôn, bản.", "note"))
    else:
        parts.append(heads_table(ctx, heads, communes, summary_units))
    return section_html(ctx, "villages", "\n".join(parts))
