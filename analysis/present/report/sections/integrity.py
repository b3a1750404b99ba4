"""Rating plausibility: O/E of the ratings against the records, rule warnings, questions."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.measure.integrity import RULE_TOTAL, RULES
from analysis.present import integrity_words, plots
from analysis.present import labels as L
from analysis.present.formats import MISSING, fmt_count, fmt_number, is_missing
from analysis.present.report.common import partial_rule_findings, years_text
from analysis.present.report.context import ReportContext
from analysis.present.report.render import (
    bullets,
    esc,
    figure,
    html_table,
    paragraph,
    section_html,
)

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML


__all__ = ["OE_FLAG_ORDER", "OE_FLAG_WORDS", "integrity_section"]


OE_FLAG_WORDS = {
    "above_998": "Cao hơn mức dự kiến rõ rệt (vượt giới hạn 99,8%)",
    "above_95": "Cao hơn mức dự kiến (vượt giới hạn 95%)",
    "within": "Trong giới hạn kiểm soát",
    "below_95": "Thấp hơn mức dự kiến (dưới giới hạn 95%)",
    "below_998": "Thấp hơn mức dự kiến rõ rệt (dưới giới hạn 99,8%)",
}

OE_FLAG_ORDER = {"above_998": 0, "above_95": 1, "below_998": 3, "below_95": 4, "within": 5}


def _integrity_frame(ctx: ReportContext, rows: pd.DataFrame, with_unit: bool) -> str:
    records = []
    for row in rows.itertuples(index=False):
        lo, hi = row.lower_95, row.upper_95
        record = {}
        if with_unit:
            record["Đơn vị"] = esc(ctx.unit_names.get(row.reporting_unit, row.reporting_unit))
        flag = row.flag
        warnings = getattr(row, RULE_TOTAL)
        record.update(
            {
                "Giai đoạn": esc(row.period),
                "TCCSĐ được xếp loại": html.escape(fmt_number(row.n)),
                "Xếp loại tốt trở lên (O)": html.escape(fmt_number(row.O)),
                "Dự kiến theo hồ sơ (E)": html.escape(fmt_number(row.E, 1)),
                "O/E": html.escape(fmt_number(row.ratio, 2)),
                "Giới hạn 95%": html.escape(
                    f"{fmt_number(lo, 2)}–{fmt_number(hi, 2)}"
                    if not is_missing(lo) and not is_missing(hi)
                    else MISSING
                ),
                "Đánh dấu": html.escape(OE_FLAG_WORDS.get(str(flag), MISSING))
                if not is_missing(flag)
                else MISSING,
                "Cảnh báo quy định xếp loại": html.escape(fmt_number(warnings))
                if not is_missing(warnings)
                else MISSING,
            }
        )
        records.append(record)
    frame = pd.DataFrame(records)
    css = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for i, row in enumerate(rows.itertuples(index=False)):
        flag = str(row.flag)
        if flag.startswith("above"):
            css.loc[i, "Đánh dấu"] = f"background-color:{L.tint('#D55E00', 0.3)};"
    numeric = [
        "TCCSĐ được xếp loại",
        "Xếp loại tốt trở lên (O)",
        "Dự kiến theo hồ sơ (E)",
        "O/E",
        "Giới hạn 95%",
        "Cảnh báo quy định xếp loại",
    ]
    return html_table(
        frame,
        f"integrity_{ctx.unit_code}",
        ctx.table_title(
            "integrity",
            f"Kết quả xếp loại TCCSĐ so với mức dự kiến theo hồ sơ – {ctx.unit_name}",
        ),
        numeric=numeric,
        css="avoid-break",
        cell_css=css,
    )


def _oe_chart(ctx: ReportContext, rows: pd.DataFrame) -> str:
    """Units' O/E ratios with their 95% and 99,8% control limits (a cheap dot chart)."""
    data = rows.loc[pd.to_numeric(rows["ratio"], errors="coerce").notna()].copy()
    if data.empty:
        return ""
    data["_r"] = pd.to_numeric(data["ratio"]).astype(float)
    data = data.sort_values("_r", kind="mergesort").reset_index(drop=True)
    n = len(data)
    fig = plots.chart_figure(max(4.5, 1.8 + 0.6 * n))
    ax = fig.add_subplot()
    pos = np.arange(n)
    for level, colour, width, label in (
        ("998", "#E3E3E3", 7, "Giới hạn kiểm soát 99,8%"),
        ("95", "#BDBDBD", 7, "Giới hạn kiểm soát 95%"),
    ):
        lo = pd.to_numeric(data[f"lower_{level}"], errors="coerce").to_numpy(dtype=float)
        hi = pd.to_numeric(data[f"upper_{level}"], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.hlines(
            pos[ok], lo[ok], hi[ok], colors=colour, lw=width, label=label, gid=f"limits_{level}"
        )
    colours = (
        data["flag"]
        .astype(str)
        .map(
            lambda f: (
                "#D55E00"
                if f.startswith("above")
                else "#0072B2"
                if f.startswith("below")
                else "#555555"
            )
        )
    )
    ax.scatter(data["_r"], pos, c=list(colours), s=26, zorder=3, gid="ratios")
    ax.axvline(1.0, color="#333333", lw=0.9, ls="--", label="Bằng mức dự kiến (O/E = 1)")
    ax.set_yticks(pos)
    ax.set_yticklabels([L.short_name(ctx.unit_names.get(c, c)) for c in data["reporting_unit"]])
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.xaxis.set_major_formatter(plots.vi_formatter("number"))
    ax.set_xlabel("Tỷ số O/E (số xếp loại tốt trở lên thực tế / dự kiến)")
    plots.legend_below(fig, ax, ncol=3)
    caption = (
        "Tỷ số O/E của từng đơn vị và giới hạn kiểm soát (ô xám); điểm màu cam nằm trên giới "
        "hạn: xếp loại tốt trở lên nhiều hơn mức hồ sơ dự báo."
    )
    return figure(fig, "Tỷ số O/E của các đơn vị", caption)


def integrity_section(ctx: ReportContext) -> HTML:
    """Rating plausibility: the unit's O/E flag and rule-warning counts as questions for the
    reviewer, with the disclaimer; the province gets every unit (flagged first) and a chart."""
    integrity = ctx.part.integrity
    parts = [
        paragraph(
            "Phần này đặt kết quả xếp loại chất lượng TCCSĐ bên cạnh các hồ sơ không phụ thuộc "
            "vào việc xếp loại (sinh hoạt chi bộ, kiểm tra, kỷ luật, đánh giá đảng viên) và "
            "nêu những điểm cần người thẩm định xem xét."
        )
    ]
    has_data = integrity is not None and not integrity.empty
    if ctx.is_province:
        if not has_data:
            parts.append(
                paragraph(
                    "Dữ liệu không có kết quả xếp loại chi tiết của từng TCCSĐ thuộc "
                    f"{ctx.unit_name} nên chưa xem xét được phần này.",
                    "note",
                )
            )
        else:
            rows = integrity.copy()
            rows["_order"] = rows["flag"].map(OE_FLAG_ORDER).astype("Float64").fillna(6)
            warned = pd.to_numeric(rows[RULE_TOTAL], errors="coerce").fillna(0) > 0
            rows.loc[warned & (rows["_order"] > 1), "_order"] = 2
            rows["_ratio"] = pd.to_numeric(rows["ratio"], errors="coerce").fillna(0)
            rows = rows.sort_values(
                ["_order", "_ratio"], ascending=[True, False], kind="mergesort"
            ).reset_index(drop=True)
            parts.append(_integrity_frame(ctx, rows, with_unit=True))
            questions = []
            for row in rows.itertuples(index=False):
                name = ctx.unit_names.get(row.reporting_unit, row.reporting_unit)
                questions += [f"{name}: {q}" for q in integrity_words.questions(row)]
            if questions:
                parts.append("<h3>Câu hỏi gợi ý cho người thẩm định</h3>")
                parts.append(bullets(questions, "questions"))
            else:
                parts.append(paragraph("Không có đơn vị nào cần đặt câu hỏi về kết quả xếp loại."))
            parts.append(_oe_chart(ctx, rows))
            missing = [
                c
                for c in ctx.reporting_names
                if c not in set(integrity["reporting_unit"].astype(str))
            ]
            if missing:
                parts.append(
                    paragraph(
                        "Chưa xem xét được (không có số liệu chi tiết của từng TCCSĐ): "
                        + ", ".join(ctx.reporting_names[c] for c in missing)
                        + ".",
                        "note",
                    )
                )
    else:
        row = None
        if has_data:
            mine = integrity.loc[integrity["reporting_unit"].astype(str) == ctx.unit_code]
            row = mine.iloc[0] if not mine.empty else None
        if row is None:
            parts.append(
                paragraph(
                    "Dữ liệu không có kết quả xếp loại chi tiết của từng TCCSĐ thuộc "
                    f"{ctx.unit_name} (chỉ có số liệu tổng hợp) nên chưa xem xét được phần này.",
                    "note",
                )
            )
        else:
            parts.append(_integrity_frame(ctx, integrity.loc[[row.name]], with_unit=False))
            questions = integrity_words.questions(row)
            flag = row["flag"]
            if not is_missing(flag) and str(flag).startswith("below"):
                questions.append(
                    "Số TCCSĐ xếp loại tốt trở lên thấp hơn mức hồ sơ dự báo: đơn vị có đánh "
                    "giá chặt chẽ hơn mặt bằng chung của tỉnh không?"
                )
            rule_rows = [
                f"{fmt_number(row[r])} cảnh báo: {integrity_words.rule_label(r)}"
                for r in RULES
                if not is_missing(row[r]) and int(row[r]) > 0
            ]
            parts.append("<h3>Câu hỏi gợi ý cho người thẩm định</h3>")
            if questions:
                parts.append(bullets(questions, "questions"))
            else:
                parts.append(
                    paragraph(
                        "Không có điểm cần hỏi: số TCCSĐ xếp loại tốt trở lên nằm trong giới "
                        "hạn kiểm soát so với mức hồ sơ dự báo và không có cảnh báo khi áp dụng "
                        "quy định xếp loại."
                    )
                )
            if rule_rows:
                parts.append("<h4>Cảnh báo khi áp dụng quy định xếp loại</h4>")
                parts.append(bullets(rule_rows))
    scope = _partial_rule_warnings(ctx) if has_data else ""
    if scope:
        parts.append(paragraph(scope, "note"))
    truncated = integrity.attrs.get("rule_counts_truncated") if has_data else None
    if truncated:
        parts.append(
            paragraph(
                "Số cảnh báo của một số quy định là số tối thiểu (danh sách cảnh báo "
                "đã bị rút gọn khi kiểm tra dữ liệu).",
                "note",
            )
        )
    parts.append(f'<p class="disclaimer">{html.escape(integrity_words.disclaimer())}</p>')
    return section_html(ctx, "integrity", "\n".join(parts))


def _partial_rule_warnings(ctx: ReportContext) -> str:
    """The note that reconciles the integrity table's warning counts with the data notes."""
    rows = partial_rule_findings(ctx)
    if rows.empty:
        return ""
    integrity = ctx.part.integrity
    period = str(integrity["period"].dropna().iloc[0]) if "period" in integrity else ""
    years = years_text(sorted({int(y) for y in rows["year"]}))
    words = {
        "period": period,
        "section": ctx.section_number("data_notes"),
        "count": fmt_count(len(rows), "cảnh báo"),
        "years": years,
    }
    if not ctx.is_province:
        return L.text("integrity.warnings_scope_unit", **words)
    counts = rows["unit_code"].astype(str).value_counts()
    order = [c for c in ctx.reporting_names if c in counts.index]
    units = ", ".join(f"{ctx.reporting_names[c]} {fmt_number(int(counts[c]))}" for c in order)
    return L.text("integrity.warnings_scope", units=units, **words)
