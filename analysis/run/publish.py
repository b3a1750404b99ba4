"""What a build publishes besides the reports: the appendix workbook and the index page."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis import params


def write_appendices(review, assessment_id: str, out: Path) -> Path:
    """Write ``appendix.xlsx`` of one assessment (real numbers, one sheet per table)."""
    from analysis.present.appendices import appendix_specs
    from analysis.present.appendix import write_appendix_xlsx

    out.parent.mkdir(parents=True, exist_ok=True)
    return write_appendix_xlsx(appendix_specs(review, assessment_id), out)


def verdict_counts(review, assessment_id: str, unit_code: str) -> dict[str, int]:
    """How many targets of one unit got each verdict."""
    progress = review.assessments[assessment_id].progress
    rows = progress.loc[
        (progress["unit_code"] == unit_code) & progress["indicator_id"].str.startswith("T")
    ]
    return rows["verdict"].value_counts().to_dict()


_INDEX_CSS = """
body{font-family:"DejaVu Sans",sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#e8edf3}.badge{display:inline-block;
padding:1px 6px;margin:1px;border-radius:3px;font-size:.9em}.failed{color:#b00020;
font-weight:bold}.muted{color:#666;font-size:.9em}
"""


def index_html(review, planned: Sequence, formats: Sequence[str]) -> str:
    """The index page: every report with its verdict summary and links (self-contained)."""
    from analysis.present.formats import fmt_date
    from analysis.present.labels import VERDICTS, verdict_colour, verdict_symbol, verdict_word
    from analysis.reproducible import build_datetime

    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        "<title>Báo cáo đánh giá Nghị quyết – mục lục</title>",
        f"<style>{_INDEX_CSS}</style></head><body>",
        f"<h1>{esc(params.plan()['resolution_title_vi'])}</h1>",
        f"<p class='muted'>Dữ liệu: {esc(review.source_name)} (mã {esc(review.fingerprint)}); "
        f"dựng ngày {esc(fmt_date(build_datetime().date()))}.</p>",
    ]
    by_assessment: dict[str, list] = {}
    for report in planned:
        by_assessment.setdefault(report.assessment_id, []).append(report)
    for assessment_id, reports in by_assessment.items():
        assessment = params.assessment(assessment_id)
        parts.append(f"<h2>{esc(assessment['title_vi'])}</h2>")
        if "xlsx" in formats:
            parts.append(f"<p><a href='{esc(assessment_id)}/appendix.xlsx'>Phụ lục (Excel)</a></p>")
        parts.append("<table><tr><th>Đơn vị</th><th>Chỉ tiêu T1–T7</th><th>Báo cáo</th></tr>")
        for report in reports:
            rel = f"{report.report_dir.parent.name}/{report.report_dir.name}"
            counts = verdict_counts(review, assessment_id, report.unit_code)
            badges = "".join(
                f"<span class='badge' style='background:{verdict_colour(v)}'>"
                f"{esc(verdict_symbol(v))} {esc(verdict_word(v))}: {counts[v]}</span>"
                for v in VERDICTS
                if counts.get(v)
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
                f"<tr><td>{esc(report.unit_name)}</td><td>{badges}</td><td>{links}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_index(review, planned: Sequence, out_dir: Path, formats: Sequence[str]) -> Path:
    """Write ``index.html`` atomically."""
    from analysis.run.files import atomic_write_text

    return atomic_write_text(out_dir / "index.html", index_html(review, planned, formats))


def findings_for_unit(findings: pd.DataFrame, unit_code: str) -> pd.DataFrame:
    """Validation findings that touch one unit."""
    if findings.empty:
        return findings
    return findings.loc[findings["unit_code"].fillna("") == unit_code]
