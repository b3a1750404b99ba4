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


__all__ = ["VERDICT_MEANINGS", "scorecard_section"]

# Words the reports print that no other module holds yet (candidates for labels_vi.yaml).


# Words the reports print that no other module holds yet (candidates for labels_vi.yaml).
VERDICT_MEANINGS = {
    "achieved": "giá trị năm mới nhất đạt chỉ tiêu (chỉ tiêu hằng năm: đạt tất cả các năm).",
    "not_achieved": "chỉ tiêu hằng năm có năm chưa đạt, dù năm mới nhất đạt: chỉ tiêu hằng năm "
    "chỉ được coi là đạt khi năm nào cũng đạt.",
    "on_track": "chưa đạt nhưng tốc độ thay đổi từ năm gốc đủ để đạt chỉ tiêu đúng hạn.",
    "needs_acceleration": "thay đổi đúng hướng nhưng chậm hơn mức cần để đạt chỉ tiêu đúng hạn.",
    "moving_away": "thay đổi ngược hướng chỉ tiêu so với năm gốc.",
    "not_assessable": "thiếu số liệu năm gốc hoặc các năm sau năm gốc.",
}


def _verdict_legend(verdicts: list[str] | None = None) -> str:
    items = []
    for code in verdicts or L.VERDICTS:
        items.append(f"<li>{L.verdict_badge_html(code)} {html.escape(VERDICT_MEANINGS[code])}</li>")
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
        f"Đánh giá {len(ids)} chỉ tiêu mục tiêu của Nghị quyết đối với {ctx.unit_name}"
        + (f", số liệu đến năm {latest}" if latest and not older else "")
        + (
            f", {latest_year_note(own)} (đơn vị chưa có số liệu năm {latest}, các chỉ tiêu "
            f"được đánh giá theo số liệu năm {own})"
            if older
            else ""
        )
        + f", so với năm gốc {ctx.baseline_year}: "
        + "; ".join(f"{n} chỉ tiêu “{L.verdict_word(v)}”" for v, n in counts)
        + "."
    )
    if not ids:
        summary = f"Không có chỉ tiêu mục tiêu nào của Nghị quyết tính cho {ctx.unit_name}."
    parts.append(paragraph(summary))
    styler = scorecard_table(
        ctx.indicators,
        ctx.part.progress,
        ctx.unit_code,
        ctx.part.years,
        indicator_ids=ids,
        baseline_year=ctx.baseline_year,
        title_vi=ctx.table_title("scorecard", f"Kết quả thực hiện các mục tiêu – {ctx.unit_name}"),
    )
    parts.append(styled(styler))
    skipped = [i for i in targets if not ctx.applies(i)]
    for phrase in dict.fromkeys(level_phrase(i) for i in skipped):
        same = [i.id for i in skipped if level_phrase(i) == phrase]
        parts.append(
            paragraph(
                f"{'Các chỉ tiêu' if len(same) > 1 else 'Chỉ tiêu'} {', '.join(same)} không áp "
                f"dụng cho {ctx.unit_name} (chỉ tính cho {phrase}).",
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
    parts.append("<h3>Nhận định từng chỉ tiêu</h3>")
    parts.append(bullets(sentences, "sentences"))
    parts.append("<h3>Cách đọc kết quả đánh giá</h3>")
    parts.append(_verdict_legend())
    return section_html(ctx, "scorecard", "\n".join(parts))
