"""The scorecard: T1–T7 of the unit, one sentence per target, the verdicts explained."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from analysis import params
from analysis.present import labels as L
from analysis.present.report.common import level_phrase, rating_caveat, target_sentence, value_of
from analysis.present.report.context import ReportContext
from analysis.present.report.render import bullets, paragraph, section_html, styled
from analysis.present.report.sentences import latest_year_note
from analysis.present.tables import scorecard_table

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML


__all__ = ["scorecard_section", "verdict_meaning"]

def verdict_meaning(code: str) -> str:
    """What a verdict means, as the legend under the scorecard says it."""
    return L.text(f"verdict_meanings.{code}")


def _verdict_legend(verdicts: list[str] | None = None) -> str:
    items = []
    for code in verdicts or L.VERDICTS:
        items.append(f"<li>{L.verdict_badge_html(code)} {html.escape(verdict_meaning(code))}</li>")
    return '<ul class="verdict-legend">' + "".join(items) + "</ul>"


def scorecard_section(ctx: ReportContext) -> HTML:
    """T1–T7 of the unit: baseline, each year, latest, target, verdict badge, and one generated
    sentence per target; the verdicts explained."""
    targets = ctx.indicator_list(targets=True)
    applicable = [i for i in targets if ctx.applies(i)]
    ids = [i.id for i in applicable]
    parts = []
    verdicts = [str(value_of(ctx.progress_row(i), "verdict") or "not_assessable") for i in ids]
    counts = [(v, verdicts.count(v)) for v in L.VERDICTS if verdicts.count(v)]
    latest = ctx.latest_year
    own = ctx.unit_latest_year
    older = own is not None and latest is not None and own < latest
    summary = (
        L.text("scorecard.lead", count=len(ids), unit=ctx.unit_name)
        + (L.text("scorecard.up_to", year=latest) if latest and not older else "")
        + (
            L.text("scorecard.older", note=latest_year_note(own), latest=latest, own=own)
            if older
            else ""
        )
        + L.text("scorecard.against", baseline=ctx.baseline_year)
        + "; ".join(
            L.text("scorecard.verdict_count", count=n, verdict=L.verdict_word(v))
            for v, n in counts
        )
        + "."
    )
    if not ids:
        summary = L.text("scorecard.none", unit=ctx.unit_name)
    parts.append(paragraph(summary))
    styler = scorecard_table(
        ctx.indicators,
        ctx.part.progress,
        ctx.unit_code,
        ctx.part.years,
        indicator_ids=ids,
        baseline_year=ctx.baseline_year,
        title_vi=ctx.table_title("scorecard", L.text("scorecard.table", unit=ctx.unit_name)),
    )
    parts.append(styled(styler))
    skipped = [i for i in targets if not ctx.applies(i)]
    for phrase in dict.fromkeys(level_phrase(i) for i in skipped):
        same = [i.id for i in skipped if level_phrase(i) == phrase]
        parts.append(
            paragraph(
                L.text(
                    "scorecard.skipped_many" if len(same) > 1 else "scorecard.skipped_one",
                    ids=", ".join(same),
                    unit=ctx.unit_name,
                    levels=phrase,
                ),
                "note",
            )
        )
    sentences = [f"{i.id}. {target_sentence(ctx, i, with_projection=False)}" for i in applicable]
    rating = set(params.plan().get("rating_targets") or [])
    caveat = "" if ctx.is_province else rating_caveat(ctx, ctx.unit_code)
    if caveat:
        sentences = [
            f"{t} {caveat}" if i.id in rating else t
            for i, t in zip(applicable, sentences, strict=True)
        ]
    parts.append(f"<h3>{html.escape(L.text('scorecard.sentences_title'))}</h3>")
    parts.append(bullets(sentences, "sentences"))
    parts.append(f"<h3>{html.escape(L.text('scorecard.legend_title'))}</h3>")
    parts.append(_verdict_legend())
    return section_html(ctx, "scorecard", "\n".join(parts))
