"""The appendix document: every appendix table of one review as one A4 page ("Phụ lục số liệu").

What publishing mode (``python -m analysis build --publish``) gives editors: the review's
appendix tables, numbered "Phụ lục N" as ``params/appendices.yaml`` says, in an HTML page that
:func:`analysis.run.render.html_to_pdf` prints to A4. Built in-process from the same
appendix specs as the Excel workbook (:func:`analysis.present.appendix.specs.appendix_specs`)
and the same table HTML as the reports' appendix section
(:func:`analysis.present.appendix.html.appendix_html`), so the three published files show the same
cells.

Layout: the title "Phụ lục số liệu — <assessment>" with the province, the data used (source
name and input fingerprint) and the build date; in publishing mode the suppression rule in
Vietnamese before any table; the list of tables; then each table on the following pages with
its notes (a suppressed table's note first).

Only the text of this module is HTML: every string from data or parameters is escaped, the page
loads nothing (no script, link or external URL) and its stylesheets are embedded.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.present.appendix.html import appendix_html

__all__ = ["DOCUMENT_TITLE_VI", "appendix_document_html", "document_title"]

#: The document's title, before the assessment's title.
DOCUMENT_TITLE_VI = "Phụ lục số liệu"

#: The section styles of the reports (the appendix tables keep the reports' look).
_REPORT_CSS = Path(__file__).parent.parent / "report.css"

_DOCUMENT_CSS = """
.pl-doc-head { text-align: center; margin-bottom: 6mm; }
.tccsd-report.pl-doc-head p, .tccsd-report.pl-doc-head h1 { text-align: center; }
.pl-doc-head .tp-kicker { font-size: 10pt; letter-spacing: 0.05em; text-transform: uppercase;
  color: #444; margin: 0 0 2mm; }
.pl-doc-head h1 { margin: 0 0 3mm; }
.pl-doc-head .tp-resolution { font-size: 11pt; font-style: italic; margin: 0 auto 3mm;
  max-width: 15cm; }
.pl-doc-head .tp-unit { font-size: 14pt; font-weight: bold; margin: 3mm 0 5mm; }
.pl-doc-head table.tp-meta { margin: 0 auto; font-size: 9.5pt; }
.pl-doc-head table.tp-meta th { width: 4.5cm; background: #f4f4f4; text-align: left; }
.pl-doc-head table.tp-meta td { text-align: left; }
.pl-rule { border-left: 3px solid #999; padding: 1mm 0 1mm 3mm; }
.pl-contents ul { list-style: none; margin: 1mm 0 0 0; padding: 0; }
"""


def document_title(assessment_title_vi: str) -> str:
    """``"Phụ lục số liệu — <assessment title>"``: the heading of the document."""
    return f"{DOCUMENT_TITLE_VI} — {assessment_title_vi}"


def _rows(meta: Sequence[tuple[str, str]]) -> str:
    esc = html.escape
    return "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in meta)


def appendix_document_html(
    specs: Sequence[Mapping[str, Any]],
    *,
    assessment_title_vi: str,
    place_vi: str,
    resolution_title_vi: str,
    source_name: str,
    fingerprint: str,
    build_date_vi: str,
    rule_vi: str | None = None,
    page_css: str = "",
) -> str:
    """The appendix tables of one review as one self-contained HTML page (A4 when printed).

    Parameters
    ----------
    specs
        Appendix tables as :func:`analysis.present.appendix.specs.appendix_specs` returns them
        (``number``, ``title_vi``, ``frame``, ``unit_label``, optional ``note_vi``); in
        publishing mode their hidden cells already hold ``"<3"``/``"x"``.
    assessment_title_vi
        The assessment's title (``params/assessments.yaml``), e.g. "Báo cáo tổng kết (2020)".
    place_vi
        Whose tables these are: the province (or the country) name.
    resolution_title_vi
        The resolution reviewed (``params/plan.yaml``).
    source_name, fingerprint
        The input's file name and its fingerprint (the same on every output of one input).
    build_date_vi
        The build date, already formatted (``formats.fmt_date`` of the build date).
    rule_vi
        Publishing mode: the suppression rule, stated before any table. ``None``: an internal
        copy (no rule, kicker "Bản nội bộ").
    page_css
        The page stylesheet (A4 size, margins, page numbers, fonts), embedded first.

    Returns
    -------
    str
        The HTML page (UTF-8 text, ``\\n`` line ends).

    Raises
    ------
    ValueError
        When ``specs`` is empty: a document without tables is a build error, not a page.
    """
    if not specs:
        raise ValueError("Không có bảng phụ lục nào để ghi.")
    esc = html.escape
    title = document_title(assessment_title_vi)
    source = Path(str(source_name)).name
    meta = [
        ("Đơn vị", place_vi),
        ("Kỳ đánh giá", assessment_title_vi),
        ("Nguồn số liệu", f"{source} (mã kiểm tra dữ liệu {fingerprint})"),
        ("Ngày lập", build_date_vi),
    ]
    kicker = "Bản công bố" if rule_vi else "Bản nội bộ"
    contents = "".join(
        f"<li>Phụ lục {esc(str(s['number']))}. {esc(str(s['title_vi']))}</li>" for s in specs
    )
    tables = "\n".join(
        appendix_html(
            spec["frame"],
            spec["number"],
            str(spec["title_vi"]),
            str(spec.get("unit_label") or ""),
            note_vi=spec.get("note_vi"),
        )
        for spec in specs
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="tccsd-review">',
        f"<title>{esc(title)} – {esc(place_vi)}</title>",
        f"<style>\n{page_css}\n{_REPORT_CSS.read_text(encoding='utf-8')}\n{_DOCUMENT_CSS}</style>",
        "</head>",
        "<body>",
        '<main class="report">',
        '<header class="tccsd-report pl-doc-head">',
        f'<p class="tp-kicker">{esc(kicker)}</p>',
        f"<h1>{esc(title)}</h1>",
        f'<p class="tp-resolution">{esc(resolution_title_vi)}</p>',
        f'<p class="tp-unit">{esc(place_vi)}</p>',
        f'<table class="tp-meta avoid-break">{_rows(meta)}</table>',
        "</header>",
    ]
    if rule_vi:
        parts += [
            '<section class="tccsd-report" id="quy-tac-cong-bo">',
            "<h2>Quy tắc công bố số liệu</h2>",
            f'<p class="pl-rule">{esc(rule_vi)}</p>',
            "</section>",
        ]
    parts += [
        '<section class="tccsd-report pl-contents" id="danh-muc-phu-luc">',
        "<h2>Danh mục phụ lục</h2>",
        f"<ul>{contents}</ul>",
        "</section>",
        '<section class="tccsd-report tccsd-appendices" id="muc-phu-luc">',
        tables,
        "</section>",
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"
