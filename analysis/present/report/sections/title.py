"""The title page: title, resolution, unit, the data used, date, and the contents."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import params
from analysis.present import labels as L
from analysis.present.formats import fmt_date
from analysis.present.report.common import years_text
from analysis.present.report.context import ReportContext
from analysis.present.report.render import as_html, stylesheet
from analysis.reproducible import build_datetime

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML


__all__ = ["title_page"]


def _contents(ctx: ReportContext) -> str:
    """The list of sections: linked (the PDF adds page numbers, report.css) on a province's
    reports, a plain numbered list on the national one."""
    appendix = html.escape(L.text("sections.appendix"))
    contents = html.escape(L.text("title_page.contents"))
    if ctx.scope.is_national:
        toc = "".join(f"<li>{html.escape(ctx.scope.titles[k])}</li>" for k in ctx.scope.sections)
        toc += f"<li>{appendix}</li>"
        return f'<div class="tp-toc"><strong>{contents}</strong><ol>{toc}</ol></div>'
    toc = f'<li><a href="#muc-tom-tat-lanh-dao">{html.escape(L.text("leader.title"))}</a></li>'
    toc += "".join(
        f'<li><a href="#muc-{k}">{html.escape(ctx.section_title(k))}</a></li>'
        for k in ctx.scope.sections
    )
    toc += f'<li><a href="#muc-phu-luc">{appendix}</a></li>'  # PDF: page numbers (report.css)
    return f'<nav class="tp-toc"><strong>{contents}</strong><ul>{toc}</ul></nav>'


def title_page(ctx: ReportContext) -> HTML:
    """Title, resolution, unit (the provinces covered, on the national report), the data used
    (years, source name, fingerprint), date, and the list of sections. Carries the report's
    stylesheet (``report.css``)."""
    plan = params.plan()
    review = ctx.review
    years = [y for y in ctx.part.years if y in ctx.data_years]
    data_text = L.text("title_page.data", years=years_text(years), baseline=ctx.baseline_year)
    if ctx.partial_years:
        data_text += L.text("title_page.data_partial", years=years_text(ctx.partial_years))
    source = L.text(
        "title_page.source", name=Path(str(review.source_name)).name, fingerprint=review.fingerprint
    )
    if ctx.scope.is_national:
        kind = L.text("title_page.national_kicker")
        first = (
            L.text("title_page.national_scope_row"),
            L.text("title_page.national_scope", unit=ctx.unit_name,
                   count=len(ctx.reporting_names)),
        )
    else:
        # who the report is about (never "Báo cáo của huyện": the district did not write it)
        kind = L.text(f"title.about_{ctx.level}", unit=ctx.unit_name)
        first = (L.text("title.unit_row"), ctx.unit_name)
    rows = [
        first,
        (
            L.text("title_page.assessment_row"),
            str(ctx.assessment.get("short_vi") or ctx.assessment["title_vi"]),
        ),
        (L.text("title_page.data_row"), data_text),
        (L.text("title_page.source_row"), source),
        (L.text("title_page.date_row"), fmt_date(build_datetime().date())),
    ]
    meta = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    body = (
        f"<style>\n{stylesheet()}</style>\n"
        '<header class="tccsd-report tccsd-title">\n'
        f'<p class="tp-kicker">{html.escape(kind)}</p>\n'
        f"<h1>{html.escape(str(ctx.assessment['title_vi']))}</h1>\n"
        f'<p class="tp-resolution">{html.escape(str(plan["resolution_title_vi"]))}</p>\n'
        f'<p class="tp-unit">{html.escape(ctx.unit_name)}</p>\n'
        f'<table class="tp-meta avoid-break">{meta}</table>\n'
        f"{_contents(ctx)}\n"
        "</header>"
    )
    return as_html(body)
