"""The index page of an internal build: per assessment the reports' units × targets, each
cell the unit's verdict, with the links to every report and appendix."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from analysis import params
from analysis.atomic import atomic_write_text
from analysis.present.formats import fmt_date
from analysis.present.labels import (
    VERDICTS,
    text_colour,
    verdict_colour,
    verdict_symbol,
    verdict_word,
)
from analysis.reproducible import build_datetime


def target_verdicts(review, assessment_id: str, unit_code: str) -> dict[str, str]:
    """Target id → verdict code of one unit (targets that do not apply to it are absent)."""
    progress = review.assessments[assessment_id].progress
    rows = progress.loc[
        (progress["unit_code"] == unit_code) & progress["indicator_id"].str.startswith("T")
    ]
    return dict(zip(rows["indicator_id"].astype(str), rows["verdict"], strict=True))


def target_ids(review, assessment_id: str) -> list[str]:
    """The targets (T1, T2, T3a, …) of one assessment, in the catalogue's order."""
    progress = review.assessments[assessment_id].progress
    ids = progress.loc[progress["indicator_id"].str.startswith("T"), "indicator_id"]
    return list(dict.fromkeys(ids.astype(str)))


#: The style sheet of both index pages (internal and published).
INDEX_CSS = """
body{font-family:"DejaVu Sans",sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#e8edf3}.badge{display:inline-block;
padding:1px 6px;margin:1px;border-radius:3px;font-size:.9em}.failed{color:#b00020;
font-weight:bold}.muted{color:#666;font-size:.9em}
td.v{text-align:center;white-space:nowrap;font-size:.85em;padding:3px 4px}
td.na{color:#888;text-align:center}th.t{text-align:center;white-space:nowrap}
.legend span{display:inline-block;padding:1px 6px;margin:2px;border-radius:3px;font-size:.9em}
"""


#: The index's link to the collection status page (``python -m analysis status``).
STATUS_LINK = ("<p><a href='status.html'>Tình hình thu nhận số liệu của các đơn vị</a> "
               "(đơn vị nào đã gửi, chưa gửi, tệp có lỗi)</p>")


def index_html(review, planned: Sequence, formats: Sequence[str],
               status_link: bool = False) -> str:
    """The index page (self-contained): per assessment a matrix of the reports' units ×
    targets, each cell the unit's verdict on that target (symbol, word, colour; "–" where the
    target does not apply to the unit), and the links to each report; with ``status_link``,
    a link to ``status.html`` under the data line."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        "<title>Báo cáo đánh giá Nghị quyết – mục lục</title>",
        f"<style>{INDEX_CSS}</style></head><body>",
        f"<h1>{esc(params.plan()['resolution_title_vi'])}</h1>",
        f"<p class='muted'>Dữ liệu: {esc(review.source_name)} (mã {esc(review.fingerprint)}); "
        f"dựng ngày {esc(fmt_date(build_datetime().date()))}.</p>",
    ]
    if status_link:
        parts.append(STATUS_LINK)
    by_assessment: dict[str, list] = {}
    for report in planned:
        by_assessment.setdefault(report.assessment_id, []).append(report)
    # a country: the national report first, then one heading and table per province
    country = getattr(review, "is_country", False)
    names = review.unit_names() if country else {}

    def cell(code) -> str:
        colour = verdict_colour(code)
        return (f"<td class='v' style='background:{colour};color:{text_colour(colour)}'>"
                f"{esc(verdict_symbol(code))} {esc(verdict_word(code))}</td>")

    legend = "<p class='legend'>" + "".join(
        f"<span style='background:{verdict_colour(v)};color:{text_colour(verdict_colour(v))}'>"
        f"{esc(verdict_symbol(v))} {esc(verdict_word(v))}</span>" for v in VERDICTS
    ) + " <span>–: chỉ tiêu không áp dụng cho đơn vị</span></p>"
    for assessment_id, reports in by_assessment.items():
        assessment = params.assessment(assessment_id)
        targets = target_ids(review.review_for(reports[0].unit_code), assessment_id)
        header = ("<table class='matrix'><tr><th>Đơn vị</th>"
                  + "".join(f"<th class='t'>{esc(t)}</th>" for t in targets)
                  + "<th>Báo cáo</th></tr>")
        parts.append(f"<h2>{esc(assessment['title_vi'])}</h2>")
        parts.append(legend)
        top = f"{assessment_id}/national" if country else assessment_id
        if "xlsx" in formats:
            parts.append(f"<p><a href='{esc(top)}/appendix.xlsx'>Phụ lục (Excel)</a></p>")
        parts.append(header)
        group = ""
        for report in reports:
            province = getattr(report, "province_code", "")
            if province != group:
                group = province
                folder = f"{assessment_id}/{report.report_dir.parent.name}"
                parts.append("</table>")
                parts.append(f"<h3>{esc(names.get(province, province))}</h3>")
                if "xlsx" in formats:
                    link = f"<a href='{esc(folder)}/appendix.xlsx'>Phụ lục (Excel)</a>"
                    parts.append(f"<p>{link}</p>")
                parts.append(header)
            rel = (
                f"{assessment_id}/{report.report_dir.parent.name}/{report.report_dir.name}"
                if province
                else f"{report.report_dir.parent.name}/{report.report_dir.name}"
            )
            verdicts = target_verdicts(review.review_for(report.unit_code), assessment_id,
                                       report.unit_code)
            cells = "".join(
                cell(verdicts[t]) if t in verdicts
                else "<td class='na' title='Không áp dụng'>–</td>"
                for t in targets
            )
            if report.status == "failed":
                links = "<span class='failed'>Lỗi khi dựng: báo cáo chưa được cập nhật</span>"
            else:
                links = " · ".join(
                    f"<a href='{esc(rel)}/report.{fmt}'>{fmt.upper()}</a>"
                    for fmt in ("html", "pdf")
                    if fmt in formats
                )
            parts.append(
                f"<tr><td>{esc(report.unit_name)}</td>{cells}<td>{links}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_index(review, planned: Sequence, out_dir: Path, formats: Sequence[str]) -> Path:
    """Write ``index.html`` atomically."""
    page = index_html(review, planned, formats,
                      status_link=(Path(out_dir) / "status.html").is_file())
    return atomic_write_text(out_dir / "index.html", page)
