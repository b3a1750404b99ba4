"""What a build publishes besides the reports: the appendix workbook and the index page; in
publishing mode (``build --publish``), the published appendices and their index only.

Publishing mode writes, per assessment, the appendix tables with small counts of people hidden
(:mod:`analysis.present.appendix`) as ``appendix.xlsx``, ``appendix.html`` and
``appendix.pdf`` (:func:`write_published_appendices`), and an ``index.html`` listing them
(:func:`published_index_html`). No report is built: a report's charts, rankings and target
sections show each unit's rates with their group sizes, from which the hidden counts can be
worked back, so the full reports stay internal documents for the Standing Committee.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis import params


def write_appendices(review, assessment_id: str, out: Path, publish: bool = False) -> Path:
    """Write ``appendix.xlsx`` of one assessment (real numbers, one sheet per table).

    ``publish=True``: small counts of people hidden as ``"<3"``/``"x"`` text cells, every other
    cell still a number (:mod:`analysis.present.appendix`).
    """
    from analysis.present.appendix import appendix_specs, write_appendix_xlsx

    out.parent.mkdir(parents=True, exist_ok=True)
    return write_appendix_xlsx(appendix_specs(review, assessment_id, publish=publish), out)


def verdict_counts(review, assessment_id: str, unit_code: str) -> dict[str, int]:
    """How many targets of one unit got each verdict."""
    progress = review.assessments[assessment_id].progress
    rows = progress.loc[
        (progress["unit_code"] == unit_code) & progress["indicator_id"].str.startswith("T")
    ]
    return rows["verdict"].value_counts().to_dict()


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


_INDEX_CSS = """
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
    from analysis.present.formats import fmt_date
    from analysis.present.labels import (
        VERDICTS,
        text_colour,
        verdict_colour,
        verdict_symbol,
        verdict_word,
    )
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
    from analysis.run.files import atomic_write_text

    page = index_html(review, planned, formats,
                      status_link=(Path(out_dir) / "status.html").is_file())
    return atomic_write_text(out_dir / "index.html", page)


def findings_for_unit(findings: pd.DataFrame, unit_code: str) -> pd.DataFrame:
    """Validation findings that touch one unit."""
    if findings.empty:
        return findings
    return findings.loc[findings["unit_code"].fillna("") == unit_code]


# --------------------------------------------------------------------------- publishing mode
#: The published files of one scope, by format (``--formats``), in the order they are listed.
PUBLISHED_FILES = {"pdf": "appendix.pdf", "xlsx": "appendix.xlsx", "html": "appendix.html"}
_FORMAT_LABELS_VI = {"pdf": "PDF", "xlsx": "Excel", "html": "HTML"}

#: Why publishing mode writes only the appendices (console, index page).
APPENDICES_ONLY_VI = (
    "Bản công bố chỉ gồm các phụ lục số liệu. Báo cáo đầy đủ là tài liệu nội bộ, không ghi vào "
    "đây, vì biểu đồ, bảng xếp hạng và các mục chỉ tiêu của báo cáo cho thấy tỷ lệ đứng sau "
    "các ô đã ẩn."
)


def published_scopes(review, assessment_id: str, out_dir: Path) -> list[tuple[str, object, Path]]:
    """``(kind, review of the scope, folder)`` of every appendix set one assessment publishes.

    One province: ``("province", review, <out>/<assessment>)``. A country: the national set
    in ``<out>/<assessment>/national`` (provinces in rows), then one per province in
    ``<out>/<assessment>/<province>``, the same folders as the internal build's.
    """
    from analysis.run.build import NATIONAL_DIR, unit_slug

    folder = Path(out_dir) / assessment_id
    if not getattr(review, "is_country", False):
        return [("province", review, folder)]
    return [
        ("national", part, folder / NATIONAL_DIR) if scope is None
        else ("province", part, folder / unit_slug(scope))
        for scope, part in review.scopes().items()
    ]


def _page_css() -> str:
    """The reports' page stylesheet (A4, margins, page numbers, DejaVu Sans for every glyph)."""
    from analysis.run.render import TEMPLATE_NAME, TEMPLATES_DIR

    return (TEMPLATES_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")


def write_published_appendices(
    review, assessment_id: str, folder: Path, formats, kind: str = "province"
) -> list[Path]:
    """Write the published appendices of one scope and assessment into ``folder``.

    Parameters
    ----------
    review
        The :class:`analysis.measure.review.Review` of the scope (a province, or the national
        review of a country).
    assessment_id
        An assessment of ``params/assessments.yaml``.
    folder
        Where the files go (created if needed).
    formats
        Any of ``"pdf"``, ``"xlsx"``, ``"html"``: ``appendix.<format>`` for each; the HTML
        page is also what the PDF is printed from.
    kind
        ``"province"`` or ``"national"`` (a country's provinces in rows).

    Returns
    -------
    list of Path
        The files written, each atomically (a reader sees the old file or the new one).
    """
    from analysis.present.appendix import (
        PUBLISH_RULE_VI,
        appendix_document_html,
        write_appendix_xlsx,
    )
    from analysis.present.appendix import appendix_specs as province_specs
    from analysis.present.formats import fmt_date
    from analysis.reproducible import build_datetime
    from analysis.run.files import atomic_write_text
    from analysis.run.render import html_to_pdf

    if kind == "national":
        from analysis.present.national import appendix_specs
    else:
        appendix_specs = province_specs
    specs = appendix_specs(review, assessment_id, publish=True)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if "xlsx" in formats:
        written.append(write_appendix_xlsx(specs, folder / PUBLISHED_FILES["xlsx"]))
    if {"html", "pdf"} & set(formats):
        page = appendix_document_html(
            specs,
            assessment_title_vi=str(params.assessment(assessment_id)["title_vi"]),
            place_vi=str(review.province_name),
            resolution_title_vi=str(params.plan()["resolution_title_vi"]),
            source_name=str(review.source_name),
            fingerprint=str(review.fingerprint),
            build_date_vi=fmt_date(build_datetime().date()),
            rule_vi=PUBLISH_RULE_VI,
            page_css=_page_css(),
        )
        if "html" in formats:
            written.append(atomic_write_text(folder / PUBLISHED_FILES["html"], page))
        if "pdf" in formats:
            html_to_pdf(page, folder / PUBLISHED_FILES["pdf"])
            written.append(folder / PUBLISHED_FILES["pdf"])
    return written


def published_index_html(review, published: dict[str, list[tuple[str, list[str]]]]) -> str:
    """The index page of a publishing build: each assessment's appendix files (self-contained).

    ``published``: assessment id → ``[(place name, [file paths relative to the index]), …]``.
    """
    from analysis.present.formats import fmt_date
    from analysis.reproducible import build_datetime

    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        "<title>Phụ lục số liệu – bản công bố</title>",
        f"<style>{_INDEX_CSS}</style></head><body>",
        f"<h1>{esc(params.plan()['resolution_title_vi'])}</h1>",
        "<p><strong>Phụ lục số liệu – bản công bố.</strong> "
        f"{esc(APPENDICES_ONLY_VI)}</p>",
        f"<p class='muted'>Dữ liệu: {esc(Path(str(review.source_name)).name)} "
        f"(mã {esc(review.fingerprint)}); dựng ngày {esc(fmt_date(build_datetime().date()))}.</p>",
    ]
    for assessment_id, places in published.items():
        assessment = params.assessment(assessment_id)
        parts.append(f"<h2>{esc(assessment['title_vi'])}</h2>")
        parts.append("<table><tr><th>Đơn vị</th><th>Phụ lục số liệu</th></tr>")
        for place, files in places:
            links = " · ".join(
                f"<a href='{esc(rel)}'>{esc(_FORMAT_LABELS_VI[Path(rel).suffix[1:]])}</a>"
                for rel in files
            )
            parts.append(f"<tr><td>{esc(place)}</td><td>{links}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def build_published(review, assessment_ids, formats, out_dir: Path, console) -> list[str]:
    """Publishing mode of the build: the published appendices of every assessment and the
    index page, nothing else (no report, no notebook, no cache, no internal file).

    Returns
    -------
    list of str
        Every file written, relative to ``out_dir`` (``index.html`` included), for the
        build's record of a complete build.
    """
    from rich.table import Table

    from analysis.run.files import atomic_write_text

    out_dir = Path(out_dir)
    formats = [f for f in PUBLISHED_FILES if f in formats]
    published: dict[str, list[tuple[str, list[str]]]] = {}
    table = Table(title="Phụ lục số liệu – bản công bố")
    for column in ("Kỳ", "Đơn vị", "Tệp"):
        table.add_column(column)
    files: list[str] = []
    with console.status("Đang ghi phụ lục số liệu (bản công bố)…"):
        for assessment_id in assessment_ids:
            places = []
            for kind, part, folder in published_scopes(review, assessment_id, out_dir):
                paths = write_published_appendices(part, assessment_id, folder, formats, kind)
                rels = [p.relative_to(out_dir).as_posix() for p in paths]
                places.append((str(part.province_name), rels))
                files += rels
                table.add_row(assessment_id, str(part.province_name), ", ".join(rels))
            published[assessment_id] = places
    atomic_write_text(out_dir / "index.html", published_index_html(review, published))
    console.print(table)
    console.print(APPENDICES_ONLY_VI)
    return ["index.html", *files]
