"""The appendix tables ("Phụ lục 1 …"): units in rows, years in columns, totals row."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from analysis.present import labels as L
from analysis.present.appendix import appendix_html, appendix_specs
from analysis.present.appendix.html import report_appendix_html
from analysis.present.appendix.national import NATIONAL_TOTAL_LABEL, national_appendix_specs
from analysis.present.report.context import ReportContext, per_review
from analysis.present.report.render import as_html, paragraph

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML


__all__ = ["appendix_section"]


def _specs(ctx: ReportContext) -> list[dict]:
    """The appendix tables of the report's Review and assessment (a province's: built once per
    process while that Review object lives, every report of the build reuses them)."""
    if ctx.scope.is_national:
        return national_appendix_specs(ctx.review, ctx.assessment_id)
    return per_review(
        ctx.review,
        ("specs", ctx.assessment_id),
        lambda: appendix_specs(ctx.review, ctx.assessment_id, publish=False),  # every number
    )


def _tables_html(ctx: ReportContext) -> str:
    """The appendix tables: every unit on the province report (every province on the
    national one); a unit's report shows its own row and the province's (the full tables are
    the province report's and appendix.xlsx)."""
    specs = _specs(ctx)
    if not specs:
        return paragraph("Không có bảng phụ lục.", "note")
    if ctx.scope.is_national:
        return "\n".join(
            appendix_html(
                spec["frame"],
                spec["number"],
                spec["title_vi"],
                spec["unit_label"],
                note_vi=spec.get("note_vi"),
                total_label=NATIONAL_TOTAL_LABEL,
            )
            for spec in specs
        )
    own = None if ctx.is_province else ctx.unit_code
    return report_appendix_html(ctx.review, ctx.assessment_id, specs, own, ctx.unit_name)


def _intro(ctx: ReportContext) -> str:
    if ctx.scope.is_national:
        total = ctx.unit_name.lower()
        return (
            f"Phụ lục của báo cáo {total}. Các bảng dưới đây trình bày số liệu của "
            f"từng tỉnh theo từng năm, dòng cuối là {total}."
        )
    if ctx.is_province:
        scope = (
            f"Các bảng dưới đây trình bày số liệu của tất cả các đơn vị thuộc "
            f"{ctx.review.province_name} theo từng năm, dòng cuối là toàn tỉnh."
        )
    else:
        scope = (
            f"Các bảng dưới đây trình bày số liệu của {ctx.unit_name} theo từng năm, dòng cuối "
            "ghi số liệu toàn tỉnh để so sánh; số liệu của tất cả các đơn vị có trong phụ lục "
            "của báo cáo toàn tỉnh "
            "và trong tệp Excel phụ lục của kỳ đánh giá."
        )
    return f"Phụ lục của báo cáo {ctx.unit_name}. {scope}"


def appendix_section(ctx: ReportContext) -> HTML:
    """The appendix tables ("Phụ lục 1 …"): units in rows, years in columns, totals row.

    The province report has every reporting unit; a unit's report has the unit's row and the
    province's (the full tables are in the province report and in ``appendix.xlsx``: reprinting
    them in every unit's report would add pages nobody there reads). The national report has
    the provinces in rows and the national total last. The report is internal and keeps every
    number (published appendices: :mod:`analysis.run.publish`).
    """
    if ctx.is_province:  # the same tables in every report of the Review: built once
        key = f"appendix:{ctx.assessment_id}" + (":national" if ctx.scope.is_national else "")
        body = per_review(ctx.review, key, lambda: _tables_html(ctx))
    else:
        body = _tables_html(ctx)
    intro = paragraph(_intro(ctx))
    return as_html(
        '<section class="tccsd-report tccsd-section tccsd-appendices" id="muc-phu-luc">\n'
        f"<h2>{html.escape(L.text('sections.appendix'))}</h2>\n{intro}\n{body}\n</section>"
    )
