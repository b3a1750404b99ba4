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


__all__ = ["COMPLETENESS_WORDS", "data_notes_section"]


COMPLETENESS_WORDS = {
    "detail": "Chi tiết từng TCCSĐ",
    "summary": "Số liệu tổng hợp",
    "missing": "Thiếu số liệu",
}

COMPLETENESS_COLOURS = {"detail": "#D9F0E8", "summary": "#E8F1FA", "missing": "#F8D9C5"}

SEVERITY_WORDS = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin"}

MAX_FINDINGS = 30


def _completeness(ctx: ReportContext) -> str:
    comp = ctx.review.completeness
    years = list(ctx.part.years)
    if comp is None or comp.empty:
        return paragraph("Không có bảng mức độ đầy đủ của số liệu.", "note")
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
            record[label] = html.escape(COMPLETENESS_WORDS.get(s, s))
            style[label] = f"background-color:{COMPLETENESS_COLOURS.get(s, '#FFFFFF')};"
        records.append(record)
        styles.append(style)
    frame = pd.DataFrame(records)
    css = pd.DataFrame(styles, index=frame.index)[frame.columns]
    return html_table(
        frame,
        f"completeness_{ctx.unit_code}",
        ctx.table_title("data_notes", f"Mức độ đầy đủ của số liệu theo năm – {ctx.unit_name}"),
        centre=list(frame.columns[1:]),
        css="avoid-break",
        cell_css=css,
    )


def _findings(ctx: ReportContext) -> str:
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
            "Mức": html.escape(SEVERITY_WORDS.get(str(row.severity), str(row.severity))),
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
                    for status, word in COMPLETENESS_WORDS.items()
                },
            }
        )
    return html_table(
        pd.DataFrame(records),
        "national_coverage",
        "Số đơn vị – năm theo nguồn số liệu",
        numeric=["Số đơn vị", *COMPLETENESS_WORDS.values()],
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
    if not ctx.scope.is_national:
        return [
            "Các chỉ tiêu được tính từ số liệu báo cáo của các đơn vị theo danh mục chỉ tiêu của "
            "Nghị quyết; tỷ lệ của toàn tỉnh tính từ tổng tử số và tổng mẫu số của các đơn vị, "
            "không phải trung bình cộng các tỷ lệ.",
            "Số liệu là số liệu toàn bộ (không phải số liệu mẫu), nên khoảng tin cậy 95% chỉ "
            "dùng để so sánh các đơn vị có quy mô khác nhau và để đọc mức thay đổi qua các năm, "
            "không dùng để hiệu chỉnh kết quả.",
            _verdict_method(ctx),
        ]
    total = ctx.unit_name.lower()
    count_targets = [
        i.id for i in ctx.indicator_list(targets=True) if i.unit == "count" and i.target_ref
    ]
    return [
        "Số liệu của mỗi tỉnh là tổng tử số và tổng mẫu số của các đơn vị trực thuộc tỉnh; số "
        f"liệu {total} là tổng tử số và tổng mẫu số của {fmt_number(len(ctx.reporting_names))} "
        "tỉnh, không phải trung bình cộng các tỷ lệ.",
        "Chỉ tiêu của Nghị quyết được áp dụng như nhau cho mọi tỉnh (params/targets.yaml là "
        "chỉ tiêu của một tỉnh; chỉ tiêu giao cho từng huyện không áp dụng cho các tỉnh khác)."
        + (
            f" Với {total}, chỉ tiêu tỷ lệ giữ nguyên; chỉ tiêu về số lượng "
            f"({', '.join(count_targets)}) là tổng chỉ tiêu của các tỉnh."
            if count_targets
            else ""
        ),
        "Số liệu là số liệu toàn bộ (không phải số liệu mẫu), nên khoảng tin cậy 95% chỉ dùng "
        "để so sánh các tỉnh có quy mô khác nhau và để đọc mức thay đổi qua các năm.",
        _verdict_method(ctx),
    ]


def _verdict_method(ctx: ReportContext) -> str:
    return (
        f"Kết quả đánh giá so sánh giá trị năm mới nhất với năm gốc {ctx.baseline_year} và với "
        f"chỉ tiêu; dự báo đến năm {ctx.target_year} kéo dài xu hướng của các năm đã có số "
        "liệu."
    )


def _notes(ctx: ReportContext) -> list[str]:
    """What else to know: (national) why no tile map and no integrity/villages, the part
    years, the series breaks and the input with its fingerprint."""
    notes = []
    if ctx.scope.is_national:
        notes += [
            "Báo cáo toàn quốc không có bản đồ ô: dữ liệu và tham số không có vị trí của các "
            "tỉnh (params/units.yaml chỉ xếp các đơn vị trong một tỉnh); thứ tự các tỉnh trong "
            "các bảng là thứ tự mã tỉnh.",
            "Tính hợp lý của kết quả xếp loại và thôn chưa có đảng viên được đánh giá trong báo "
            "cáo của từng tỉnh (mô hình và so sánh trong phạm vi một tỉnh), không tổng hợp ở "
            "đây.",
        ]
    if ctx.partial_years:
        final = ctx.assessment_id == "final" and not ctx.scope.is_national
        notes.append(
            f"Số liệu năm {years_text(ctx.partial_years)} mới có đến thời điểm "
            f"{'tổng kết' if final else 'đánh giá'}, chưa đủ cả năm: "
            "được trình bày để tham khảo (đánh dấu *), không dùng để đánh giá tiến độ."
        )
    return notes + series_and_source_notes(ctx, ctx.review)


def data_notes_section(ctx: ReportContext) -> HTML:
    """Completeness (coverage per province on the national report), the validation warnings
    that touched the unit (≤ 30 + a count; per province on the national report), methods in
    plain sentences, the input fingerprint, part-year and series-break notes. (Reports are
    internal and keep every number: publish mode writes the appendix documents only, see
    :mod:`analysis.run.publish`.)"""
    national = ctx.scope.is_national
    parts = ["<h3>Mức độ đầy đủ của số liệu</h3>"]
    if national:
        parts.append(_coverage(ctx))
    else:
        parts.append(_completeness(ctx))
        parts.append(
            paragraph(
                "“Chi tiết từng TCCSĐ”: số liệu được cộng từ từng tổ chức cơ sở đảng, thôn, bản; "
                "“Số liệu tổng hợp”: chỉ có số tổng hợp của đơn vị; “Thiếu số liệu”: đơn vị "
                "không báo cáo năm đó.",
                "note",
            )
        )
        parts.append(report_crosscheck(ctx))  # summary vs detail: "khớp" or the differences
    parts.append("<h3>Cảnh báo khi kiểm tra dữ liệu</h3>")
    parts.append(_findings_by_province(ctx) if national else _findings(ctx))
    parts.append("<h3>Phương pháp</h3>")
    parts.append(" ".join(paragraph(m) for m in _methods(ctx)))
    parts.append("<h3>Ghi chú khác</h3>")
    parts.append(bullets(_notes(ctx), "notes"))
    return section_html(ctx, "data_notes", "\n".join(parts))
