"""Executed notebook -> self-contained HTML -> reproducible A4 PDF."""

from __future__ import annotations

import copy
import io
import os
import re
import time
from html import unescape
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from analysis.run.executor import execute
from analysis.run.products import write_report_files
from analysis.run.render import html_to_pdf, notebook_to_html, scrub_html

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TITLE = 'Báo cáo tổng kết – Đảng bộ <Huyện> & "Xã"'


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The report fixture, executed (papermill, own kernel) with some noise added that a
    report must never show: an error output with a traceback and a stderr stream."""
    out = tmp_path_factory.mktemp("exec") / "report.ipynb"
    res = execute(FIXTURES / "report_nb.py", {"unit_code": "D01", "n": 21}, out)
    assert res.ok, res.error_value
    nb = copy.deepcopy(res.notebook)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[-1].outputs.append(
        nbformat.v4.new_output(
            "error",
            ename="KeyError",
            evalue="'x'",
            traceback=["\x1b[0;31mTraceback (most recent call last)", '  File "/root/x.py"'],
        )
    )
    code[-1].outputs.append(
        nbformat.v4.new_output("stream", name="stderr", text="/work/main/.venv/lib/warn.py:1")
    )
    return nb


@pytest.fixture(scope="module")
def html(executed):
    t0 = time.perf_counter()
    page = notebook_to_html(executed, TITLE)
    print(f"\nHTML render: {time.perf_counter() - t0:.2f} s ({len(page) / 1024:.0f} KiB)")
    return page


# --------------------------------------------------------------------------- HTML


def test_html_is_self_contained(html):
    for attr in re.findall(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]*)""", html, re.I):
        assert not re.match(r"(?:[a-z]+:)?//", attr, re.I), attr
    assert "https://" not in html and "http://" not in html  # not even as text
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "mathjax" not in html.lower() and "require.js" not in html.lower()
    assert re.search(r'<img alt="" src="data:image/png;base64,[A-Za-z0-9+/=]{100,}', html)


def test_html_shows_outputs_only(html):
    assert "Báo cáo tổng kết" in html  # markdown, Vietnamese intact (not entity-escaped)
    assert "Đơn vị D01" in html and "<strong>42</strong>" in html  # parameterised output
    assert "tỷ lệ" in html and "95.25" in html  # the DataFrame table
    assert "SECRET_SOURCE_MARKER" not in html  # no input code
    assert "import " not in html and "In&nbsp;[" not in html and "Out[" not in html
    assert "unit_code" not in html  # the injected parameters cell is gone


def test_html_has_no_tracebacks_warnings_or_machine_paths(html):
    assert "<pre" not in html  # the fixture prints nothing to stdout
    assert "Traceback" not in html and "KeyError" not in html
    assert "cảnh báo" not in html and "chẩn đoán" not in html  # stderr dropped
    for path in ("/root", "/work", "/tmp", "/home"):
        assert path not in html


def test_html_head(html):
    # nbconvert re-serialises its output with BeautifulSoup: void tags end in "/>"
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="vi">' in html
    assert re.search(r'<meta charset="utf-8"\s*/?>', html)
    (title,) = re.findall(r"<title>(.*?)</title>", html, re.S)
    assert "<" not in title and "&lt;Huyện&gt; &amp;" in title
    assert unescape(title) == TITLE
    assert "@page" in html and "size: A4" in html
    assert 'content: "Trang " counter(page) "/" counter(pages)' in html
    assert '"DejaVu Sans"' in html


def test_html_render_is_deterministic(executed, html):
    assert notebook_to_html(executed, TITLE) == html
    assert notebook_to_html(copy.deepcopy(executed), TITLE) == html


def test_scrub_html_removes_every_external_reference():
    dirty = """<link rel="stylesheet" href="https://cdn.example/x.css">
<script src="https://cdn.example/require.js"></script><script>alert(1)</script>
<style>@import url("https://fonts.example/css"); body{background:url(//x.example/a.png)}</style>
<p><a href="https://example.org/doc">tài liệu</a> <a href="#muc-1">mục 1</a></p>
<img src='http://example.org/a.png' alt="a"><img src="data:image/png;base64,AAAA">
<iframe src="https://e.example"></iframe>"""
    clean = scrub_html(dirty)
    assert "example" not in clean.replace("example.org/doc", "")
    assert "//" not in clean.replace("example.org/doc", "")
    assert "<script" not in clean and "<link" not in clean and "<iframe" not in clean
    assert 'href="#muc-1"' in clean and "data:image/png;base64,AAAA" in clean
    assert "tài liệu" in clean


def test_static_output_is_preferred_to_scripts_and_widgets():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("display(obj)  # SECRET_SOURCE_MARKER")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/javascript": "alert(1)", "text/html": "<b>bảng tĩnh</b>"},
        ),
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {"model_id": "m"},
                "text/plain": "bản thay thế",
            },
        ),
        nbformat.v4.new_output("stream", name="stdout", text="dòng in ra\n"),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Báo cáo tổng kết"), cell]
    page = notebook_to_html(nb, "t")
    assert "<b>bảng tĩnh</b>" in page and "bản thay thế" in page
    assert '<pre class="stdout">dòng in ra' in page
    assert "alert" not in page and "<script" not in page
    assert "SECRET_SOURCE_MARKER" not in page


# --------------------------------------------------------------------------- PDF


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_text_and_page_footer(html, tmp_path):
    out = tmp_path / "report.pdf"
    t0 = time.perf_counter()
    data = html_to_pdf(html, out)
    print(f"\nPDF render: {time.perf_counter() - t0:.2f} s ({len(data) / 1024:.0f} KiB)")
    assert out.read_bytes() == data and data.startswith(b"%PDF-")
    text = _pdf_text(data)
    assert "Báo cáo tổng kết" in text
    assert "Đơn vị D01" in text
    assert "Trang 1" in text
    assert list(tmp_path.glob(".*.tmp-*")) == []


def test_pdf_bytes_are_reproducible(html, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = html_to_pdf(html)
    time.sleep(1.1)  # a wall-clock second later: no timestamp may differ
    second = html_to_pdf(html)
    assert first == second
    assert "SOURCE_DATE_EPOCH" not in os.environ  # pinned only during the render
    assert b"/CreationDate" not in first and b"/ModDate" not in first


def test_pdf_never_fetches_external_resources():
    page = (
        '<html lang="vi"><head><meta charset="utf-8"><title>t</title></head><body>'
        '<p>Báo cáo tổng kết</p><img src="https://192.0.2.1/x.png">'
        '<img src="file:///etc/hostname"></body></html>'
    )
    t0 = time.perf_counter()
    data = html_to_pdf(page)
    assert time.perf_counter() - t0 < 20  # no network timeout was waited for
    assert "Báo cáo tổng kết" in _pdf_text(data)


# --------------------------------------------------------------------------- both


def test_write_report_files_writes_both_formats(executed, tmp_path):
    ipynb = tmp_path / "executed.ipynb"
    nbformat.write(executed, ipynb)
    result = write_report_files(ipynb, tmp_path / "out", TITLE)
    html_path, pdf_path = result.paths["html"], result.paths["pdf"]
    assert html_path == tmp_path / "out" / "report.html"
    assert pdf_path == tmp_path / "out" / "report.pdf"
    assert "Báo cáo tổng kết" in html_path.read_text(encoding="utf-8")
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    assert set(result.seconds) == {"html", "pdf"}
    sec = result.seconds
    print(f"\nwrite_report_files: html {sec['html']:.2f} s, pdf {sec['pdf']:.2f} s")
    only_html = write_report_files(executed, tmp_path / "h", TITLE, formats=("html",))
    assert set(only_html.paths) == {"html"} and not (tmp_path / "h" / "report.pdf").exists()
    with pytest.raises(ValueError):
        write_report_files(executed, tmp_path / "x", TITLE, formats=("docx",))


def test_pdf_embeds_the_page_images_with_their_pixels():
    """Charts reach the PDF (they are handed to WeasyPrint by key, not as data: URLs, which
    is faster): each image once, with its own size and pixels; a key written in the page as
    text is not an image of the page."""
    import base64

    from PIL import Image

    pngs = []
    for colour, size in (((200, 30, 30), (40, 20)), ((30, 30, 200), (16, 32))):
        buf = io.BytesIO()
        Image.new("RGB", size, colour).save(buf, format="PNG")
        pngs.append(buf.getvalue())
    imgs = "".join(
        f'<img src="data:image/png;base64,{base64.b64encode(p).decode()}">' for p in pngs
    )
    page = (
        '<html lang="vi"><head><meta charset="utf-8"><title>t</title></head><body>'
        f"<p>Biểu đồ</p>{imgs}<p>tccsd-image:0</p></body></html>"
    )
    reader = PdfReader(io.BytesIO(html_to_pdf(page)))
    images = [image.image for p in reader.pages for image in p.images]
    assert sorted(i.size for i in images) == [(16, 32), (40, 20)]
    colours = {i.size: i.convert("RGB").getpixel((1, 1)) for i in images}
    assert colours == {(40, 20): (200, 30, 30), (16, 32): (30, 30, 200)}
