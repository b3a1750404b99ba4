"""The heat table (province and national reports): reporting unit × target."""

from __future__ import annotations

from typing import TYPE_CHECKING

from analysis.present import labels as L
from analysis.present.report.context import ReportContext
from analysis.present.report.render import paragraph, section_html, styled
from analysis.present.tables import heat_table

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML


__all__ = ["heat_table_section"]


def heat_table_section(ctx: ReportContext) -> HTML:
    """Province and national reports: reporting unit (province) × target, latest value with
    the verdict symbol on the verdict colour; the total in the last row."""
    scope = ctx.scope
    ids = [i.id for i in ctx.indicator_list(targets=True)]
    names = dict(ctx.reporting_names)
    names[ctx.review.province_code] = ctx.total_name
    progress = ctx.part.progress.loc[ctx.part.progress["unit_code"].isin(list(names))]
    intro = L.text("heat.intro", member=scope.member)
    if scope.is_national:
        intro += L.text("heat.last_row", total=ctx.unit_name.lower())
    parts = [paragraph(intro)]
    if progress.empty:
        parts.append(paragraph(L.text("heat.empty", members=scope.members), "note"))
    else:
        styler = heat_table(
            progress,
            names,
            ids,
            indicators=ctx.indicators,
            # the national table has never marked a province's older latest year
            expected_year=None if scope.is_national else ctx.latest_year,
            title_vi=ctx.table_title(
                "heat",
                L.text("heat.table", member=scope.member, unit=ctx.unit_name)
                + (L.text("heat.up_to", year=ctx.latest_year) if ctx.latest_year else ""),
            ),
        )
        parts.append(styled(styler, wide="tbl-heat"))
    return section_html(ctx, "heat", "\n".join(parts))
