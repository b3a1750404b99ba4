"""Publishing mode (``build --publish``): the published appendices and their index only.

Publishing mode writes, per assessment, the appendix tables with small counts of people hidden
(:mod:`analysis.present.appendix`) as ``appendix.xlsx``, ``appendix.html`` and
``appendix.pdf`` (:func:`write_published_appendices`), and an ``index.html`` listing them
(:func:`published_index_html`). No report is built: a report's charts, rankings and target
sections show each unit's rates with their group sizes, from which the hidden counts can be
worked back, so the full reports stay internal documents for the Standing Committee.
"""

from __future__ import annotations

import html
from pathlib import Path

from rich.table import Table

from analysis import params
from analysis.atomic import atomic_write_text
from analysis.present.appendix import (
    PUBLISH_RULE_VI,
    appendix_document_html,
    write_appendix_xlsx,
)
from analysis.present.appendix import appendix_specs as province_appendix_specs
from analysis.present.appendix.national import national_appendix_specs
from analysis.present.formats import fmt_date
from analysis.reproducible import build_datetime
from analysis.run.index_page import INDEX_CSS
from analysis.run.layout import NATIONAL_DIR, unit_slug
from analysis.run.render import TEMPLATE_NAME, TEMPLATES_DIR, html_to_pdf

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
    appendix_specs = national_appendix_specs if kind == "national" else province_appendix_specs
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
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        "<title>Phụ lục số liệu – bản công bố</title>",
        f"<style>{INDEX_CSS}</style></head><body>",
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
