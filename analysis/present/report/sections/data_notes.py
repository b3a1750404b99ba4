"""Data notes: completeness, the validation warnings, methods, fingerprint and notes."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import MISSING, fmt_count, fmt_number, is_missing
from analysis.present.report.common import (
    partial_rule_findings,
    series_and_source_notes,
    years_text,
)
from analysis.present.report.context import ReportContext
from analysis.present.report.crosscheck import report_crosscheck
from analysis.present.report.messages import period_message, plain_message
from analysis.present.report.render import bullets, esc, html_table, paragraph, section_html

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML


__all__ = ["data_notes_section"]


def _completeness_words() -> dict[str, str]:
    """Where a unit-year's figures came from, in words (``data_notes.completeness_words``)."""
    return dict(L.phrases()["data_notes"]["completeness_words"])


COMPLETENESS_COLOURS = {"detail": "#D9F0E8", "summary": "#E8F1FA", "missing": "#F8D9C5"}


MAX_FINDINGS = 30


def _completeness(ctx: ReportContext) -> str:
    words = _completeness_words()
    comp = ctx.review.completeness
    years = list(ctx.part.years)
    if comp is None or comp.empty:
        return paragraph(L.text("data_notes.completeness_none"), "note")
    comp = comp.loc[comp["year"].isin(years)]
    codes = list(ctx.reporting_names) if ctx.is_province else [ctx.unit_code]
    status = {(str(r.unit_code), int(r.year)): str(r.status) for r in comp.itertuples()}
    records, styles = [], []
    for code in codes:
        record = {"Đơn vị": esc(ctx.unit_names.get(code, code))}
        style = {"Đơn vị": ""}
        for year in years:
            s = status.get((code, year), "missing")
            label = str(year) + ("*" if year in ctx.partial_years else "")
            record[label] = html.escape(words.get(s, s))
            style[label] = f"background-color:{COMPLETENESS_COLOURS.get(s, '#FFFFFF')};"
        records.append(record)
        styles.append(style)
    frame = pd.DataFrame(records)
    css = pd.DataFrame(styles, index=frame.index)[frame.columns]
    return html_table(
        frame,
        f"completeness_{ctx.unit_code}",
        ctx.table_title("data_notes", L.text("data_notes.completeness_table", unit=ctx.unit_name)),
        centre=list(frame.columns[1:]),
        css="avoid-break",
        cell_css=css,
    )


def _findings(ctx: ReportContext) -> str:
    severity = L.phrases()["data_notes"]["severity"]
    findings = ctx.review.findings
    if findings is None or findings.empty:
        return paragraph("Khi kiểm tra dữ liệu không có cảnh báo nào.")
    rows = findings
    if not ctx.is_province:
        rows = rows.loc[rows["unit_code"].astype("string").fillna("") == ctx.unit_code]
    years = pd.to_numeric(rows["year"], errors="coerce")
    rows = rows.loc[years.isna() | years.isin(ctx.part.years)]
    who = f"các đơn vị thuộc {ctx.unit_name}" if ctx.is_province else ctx.unit_name
    if rows.empty:
        return paragraph(f"Khi kiểm tra dữ liệu không có cảnh báo nào liên quan đến {who}.")
    shown = rows.head(MAX_FINDINGS)
    records = []
    for row in shown.itertuples(index=False):
        where = [Path(str(row.file)).name if not is_missing(row.file) and row.file else ""]
        if not is_missing(row.sheet) and row.sheet:
            where.append(f"bảng {row.sheet}")
        if not is_missing(row.row):
            where.append(f"dòng {fmt_number(row.row)}")
        record = {
            "Mức": html.escape(severity.get(str(row.severity), str(row.severity))),
            "Năm": esc(int(row.year)) if not is_missing(row.year) else MISSING,
        }
        if ctx.is_province:
            unit = "" if is_missing(row.unit_code) else str(row.unit_code)
            record["Đơn vị"] = (
                esc(L.short_name(ctx.unit_names.get(unit, unit))) if unit else (MISSING)
            )
        record["Vị trí"] = esc(", ".join(w for w in where if w) or MISSING)
        message = plain_message(str(row.message), ctx.review.units, row.unit_code)
        record["Nội dung"] = esc(period_message(message, list(ctx.part.years)))
        records.append(record)
    frame = pd.DataFrame(records)
    parts = [
        paragraph(
            f"Khi kiểm tra dữ liệu có {fmt_number(len(rows))} cảnh báo liên quan đến {who}"
            + (
                f"; dưới đây là {fmt_number(len(shown))} cảnh báo đầu tiên."
                if len(rows) > len(shown)
                else "."
            )

            + _partial_share(ctx)
        ),
        html_table(
            frame,
            f"findings_{ctx.unit_code}",
            "Cảnh báo khi kiểm tra dữ liệu",
            centre=["Mức", "Năm"],
            css="long",
        ),
    ]
    if len(rows) > len(shown):
        parts.append(
            paragraph(
                f"… và {fmt_number(len(rows) - len(shown))} cảnh báo khác (xem kết quả lệnh "
                "`python -m analysis validate`).",
                "note",
            )
        )
    return "\n".join(parts)


def _partial_share(ctx: ReportContext) -> str:
    """" Trong đó 6 cảnh báo năm 2020 … không tính vào bảng ở mục 5." (or "")."""
    rows = partial_rule_findings(ctx)
    integrity = ctx.part.integrity
    if rows.empty or integrity is None or integrity.empty:
        return ""
    return L.text(
        "findings.partial_share",
        count=fmt_count(len(rows), "cảnh báo"),
        years=years_text(sorted({int(y) for y in rows["year"]})),
        section=ctx.section_number("integrity"),
    )


def _coverage(ctx: ReportContext) -> str:
    """Per province: reporting units and how many unit-years came as detail, summary, none."""
    words = _completeness_words()
    completeness = ctx.review.completeness
    if completeness is None or completeness.empty or "unit_code" not in completeness.columns:
        return paragraph("Không có thông tin về mức độ đầy đủ của số liệu.", "note")
    frame = completeness.loc[completeness["year"].isin(ctx.data_years)].copy()
    frame["province"] = frame["unit_code"].astype(object).map(ctx.review.unit_provinces)
    records = []
    for code, name in ctx.reporting_names.items():
        rows = frame.loc[frame["province"] == code]
        counts = rows["status"].value_counts()
        records.append(
            {
                "Tỉnh": esc(name),
                "Số đơn vị": fmt_number(rows["unit_code"].nunique()),
                **{
                    word: fmt_number(int(counts.get(status, 0)))
                    for status, word in words.items()
                },
            }
        )
    return html_table(
        pd.DataFrame(records),
        "national_coverage",
        "Số đơn vị – năm theo nguồn số liệu",
        numeric=["Số đơn vị", *words.values()],
    )


def _findings_by_province(ctx: ReportContext) -> str:
    findings = ctx.review.findings
    if findings is None or findings.empty:
        return paragraph("Không có cảnh báo nào khi kiểm tra dữ liệu.")
    province = findings["unit_code"].astype(object).map(ctx.review.unit_provinces)
    counts = province.value_counts()
    records = [
        {"Tỉnh": esc(name), "Số cảnh báo": fmt_number(int(counts.get(code, 0)))}
        for code, name in ctx.reporting_names.items()
    ]
    other = int(province.isna().sum())
    text = paragraph(
        f"Tổng cộng {fmt_number(len(findings))} cảnh báo"
        + (f", trong đó {fmt_number(other)} không gắn với tỉnh nào" if other else "")
        + ". Chi tiết từng cảnh báo có trong báo cáo của từng tỉnh và tệp findings.xlsx."
    )
    return text + html_table(
        pd.DataFrame(records), "national_findings", "Số cảnh báo theo tỉnh", numeric=["Số cảnh báo"]
    )


def _methods(ctx: ReportContext) -> list[str]:
    verdicts = L.text(
        "data_notes.methods.verdicts", baseline=ctx.baseline_year, target_year=ctx.target_year
    )
    if not ctx.scope.is_national:
        return [L.text("data_notes.methods.totals"), L.text("data_notes.methods.census"), verdicts]
    total = ctx.unit_name.lower()
    count_targets = [
        i.id for i in ctx.indicator_list(targets=True) if i.unit == "count" and i.target_ref
    ]
    targets = L.text("data_notes.methods.national_targets")
    if count_targets:
        targets += L.text(
            "data_notes.methods.national_count_targets", total=total, ids=", ".join(count_targets)
        )
    return [
        L.text(
            "data_notes.methods.national_totals",
            total=total,
            count=fmt_number(len(ctx.reporting_names)),
        ),
        targets,
        L.text("data_notes.methods.national_census"),
        verdicts,
    ]


def _notes(ctx: ReportContext) -> list[str]:
    """What else to know: (national) why no tile map and no integrity/villages, the part
    years, the series breaks and the input with its fingerprint."""
    notes = []
    if ctx.scope.is_national:
        notes += [
            L.text("data_notes.notes.national_no_tiles"),
            L.text("data_notes.notes.national_not_here"),
        ]
    if ctx.partial_years:
        final = ctx.assessment_id == "final" and not ctx.scope.is_national
        moment = L.text(f"data_notes.notes.moment_{'final' if final else 'midterm'}")
        notes.append(
            L.text("data_notes.notes.partial", years=years_text(ctx.partial_years), moment=moment)
        )
    return notes + series_and_source_notes(ctx, ctx.review)


def _heading(text: str) -> str:
    return f"<h3>{html.escape(text)}</h3>"


def data_notes_section(ctx: ReportContext) -> HTML:
    """Completeness (coverage per province on the national report), the validation warnings
    that touched the unit (≤ 30 + a count; per province on the national report), methods in
    plain sentences, the input fingerprint, part-year and series-break notes. (Reports are
    internal and keep every number: publish mode writes the appendix documents only, see
    :mod:`analysis.run.publish`.)"""
    national = ctx.scope.is_national
    parts = [_heading(L.text("data_notes.completeness_title"))]
    if national:
        parts.append(_coverage(ctx))
    else:
        parts.append(_completeness(ctx))
        parts.append(paragraph(L.text("data_notes.completeness_note"), "note"))
        parts.append(report_crosscheck(ctx))  # summary vs detail: "khớp" or the differences
    parts.append(_heading(L.text("data_notes.findings_title")))
    parts.append(_findings_by_province(ctx) if national else _findings(ctx))
    parts.append(_heading(L.text("data_notes.methods_title")))
    parts.append(" ".join(paragraph(m) for m in _methods(ctx)))
    parts.append(_heading(L.text("data_notes.notes_title")))
    parts.append(bullets(_notes(ctx), "notes"))
    return section_html(ctx, "data_notes", "\n".join(parts))
