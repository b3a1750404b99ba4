"""Executed notebook -> self-contained HTML page -> A4 PDF.

HTML: nbconvert's ``HTMLExporter`` in-process with the suite's own template
(``analysis/run/templates/tccsd``): outputs only (no input code, no prompts), images as data
URIs, no JavaScript, no MathJax/require.js/CDN/web fonts, a print stylesheet embedded in the
page. Before export the notebook is cleaned: error outputs, stderr streams (warnings, logging
— they carry machine paths), papermill's error marker cells, the injected-parameters cell,
cells tagged ``remove-cell``/outputs tagged ``remove-output``, and all metadata are dropped.
After export any remaining external reference (``src``/``href``/CSS ``url()`` pointing to
``http(s)://`` or ``//``), ``<script>``, ``<link>``, ``<iframe>``, ``<object>``, ``<embed>`` is
removed, so the page never loads anything and the string ``https://`` does not appear in it.

PDF: WeasyPrint, offline (its URL fetcher may only read ``data:`` URLs), fonts forced to
DejaVu Sans by the stylesheet. The bytes are reproducible (same HTML -> same bytes, across
processes and days):

* WeasyPrint writes no creation/modification date unless the HTML has ``dcterms.created`` /
  ``dcterms.modified`` meta tags (ours has none; ``weasyprint/pdf/__init__.py``);
* the embedded font subsets: without the HarfBuzz-subset library WeasyPrint subsets with
  fontTools, which stamps the current time into each font's ``head`` table unless
  ``SOURCE_DATE_EPOCH`` is set (``fontTools.misc.timeTools.timestampNow``; the
  reproducible-builds variable WeasyPrint itself supports since v57, Kozea/WeasyPrint#1553):
  the render pins it when the caller has not;
* ``pdf_identifier`` is a digest of the HTML, so the trailer ``/ID`` is
  ``[identifier, md5(document)]`` (pydyf), a function of the content.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import hashlib
import logging
import os
import re
import struct
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.atomic import atomic_write_bytes
from analysis.reproducible import pinned_source_date_epoch

if TYPE_CHECKING:
    import nbformat

__all__ = [
    "TEMPLATES_DIR",
    "clean_notebook",
    "html_to_pdf",
    "notebook_to_html",
    "scrub_html",
    "warm_up",
]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "tccsd"

_DROP_CELL_TAGS = {
    "papermill-error-cell-tag",
    "injected-parameters",
    "remove-cell",
    "remove_cell",
}
_DROP_OUTPUT_TAGS = {"remove-output", "remove_output"}


# --------------------------------------------------------------------------- HTML


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` holding only what a reader may see (see module docstring)."""
    import nbformat  # heavy (~1 s of schema validators), and loaded by whoever made ``nb``

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & _DROP_CELL_TAGS:
            continue
        if cell.cell_type == "code":
            if tags & _DROP_OUTPUT_TAGS:
                cell.outputs = []
            else:
                cell.outputs = [
                    o
                    for o in cell.get("outputs", [])
                    if o.get("output_type") != "error"
                    and not (o.get("output_type") == "stream" and o.get("name") != "stdout")
                ]
            cell.execution_count = None
        cell.metadata = {}
        cells.append(cell)
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    nb.cells = cells
    nb.metadata = nbformat.NotebookNode({"language_info": {"name": "python"}})
    return nb


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.exclude_anchor_links = True
    c.HTMLExporter.embed_images = True
    c.HTMLExporter.sanitize_html = False  # scrub_html below is stricter about resources
    # nbconvert's default puts JavaScript and widgets first: an output carrying both a script
    # and an HTML/PNG fallback would render as the (dropped) script. Static types only.
    c.NbConvertBase.display_data_priority = [
        "text/html",
        "text/markdown",
        "image/svg+xml",
        "image/png",
        "image/jpeg",
        "text/latex",
        "text/plain",
    ]
    return HTMLExporter(
        config=c, template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)]
    )


_RE_BLOCK = re.compile(
    r"<(script|iframe|object|embed|noscript)\b[^>]*>.*?</\1\s*>|"
    r"<(?:script|iframe|object|embed|link|base)\b[^>]*/?>",
    re.IGNORECASE | re.DOTALL,
)
_EXTERNAL = r"(?:[a-z][a-z0-9+.-]*:)?//"  # http://, https://, ftp://, protocol-relative //
_RE_EXT_ATTR = re.compile(
    r"\s(?:src|href|srcset|poster|background|action|formaction|data|xlink:href)\s*=\s*"
    r"(?:\"\s*" + _EXTERNAL + r"[^\"]*\"|'\s*" + _EXTERNAL + r"[^']*'|" + _EXTERNAL + r"[^\s>]*)",
    re.IGNORECASE,
)
_RE_CSS_URL = re.compile(r"url\(\s*(['\"]?)\s*" + _EXTERNAL + r"[^)]*\)", re.IGNORECASE)
_RE_CSS_IMPORT = re.compile(r"@import\b[^;]*;", re.IGNORECASE)
_RE_AUTOLINK_TEXT = re.compile(r"(?<![\w/])(?:https?|ftp)://", re.IGNORECASE)


def scrub_html(html: str) -> str:
    """Remove everything that would make a browser or WeasyPrint fetch something."""
    html = _RE_BLOCK.sub("", html)
    html = _RE_EXT_ATTR.sub("", html)
    html = _RE_CSS_IMPORT.sub("", html)
    html = _RE_CSS_URL.sub("none", html)
    # Bare URLs left in the text (e.g. a markdown autolink whose href was removed) are shown
    # without their scheme: nothing in the page looks like a loadable address.
    html = _RE_AUTOLINK_TEXT.sub("", html)
    return html


_RE_STYLE = re.compile(r"<style\b([^>]*)>(.*?)</style\s*>\n?", re.IGNORECASE | re.DOTALL)
_RE_MEDIA = re.compile(r"""\bmedia\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


def gather_styles(html: str) -> str:
    """Every ``<style>`` of the page (the template's, the title page's, one per styled table
    and per appendix table) as ONE ``<style>`` at the end of ``<head>``, each distinct block
    once.

    The cascade is unchanged: a style element applies to the whole document wherever it sits,
    in document order, and of two identical blocks only the later one can win, so the earlier
    copies are dropped (each block keeps the place of its last copy). What it saves: the PDF
    renderer matches every element against every style sheet, ~20 sheets per report before.
    """
    blocks = []
    for match in _RE_STYLE.finditer(html):
        css = match.group(2).strip()
        media = _RE_MEDIA.search(match.group(1))
        media = next((m for m in media.groups() if m), "") if media else ""
        if media and media.strip().lower() != "all":
            css = f"@media {media} {{\n{css}\n}}"
        if css:
            blocks.append(css)
    if len(blocks) < 2 or "</head>" not in html:
        return html
    last = {css: i for i, css in enumerate(blocks)}
    merged = "\n".join(css for i, css in enumerate(blocks) if last[css] == i)
    html = _RE_STYLE.sub("", html)
    return html.replace("</head>", f"<style>\n{merged}\n</style>\n</head>", 1)


def notebook_to_html(
    nb: nbformat.NotebookNode,
    title: str,
    lang: str = "vi",
    *,
    base_dir: str | os.PathLike[str] | None = None,
) -> str:
    """Render an executed notebook as one self-contained HTML page (outputs only).

    ``base_dir`` is where relative images in markdown cells are read from (they are embedded);
    by default none are read. Deterministic: the same notebook gives the same bytes.
    """
    resources = {
        "tccsd": {"title": str(title), "lang": lang},
        "metadata": {"name": "report", "path": str(base_dir) if base_dir else ""},
    }
    with _gc_paused():
        body, _ = _exporter().from_notebook_node(clean_notebook(nb), resources=resources)
    html = gather_styles(scrub_html(body))
    html = re.sub(r"[ \t]+\n", "\n", html)
    html = re.sub(r"\n{3,}", "\n\n", html).strip() + "\n"
    return html


# --------------------------------------------------------------------------- PDF


class _OncePerMessage(logging.Filter):
    """WeasyPrint repeats its "Using fontTools instead of HarfBuzz-Subset" advice for every
    font of every PDF; say it once per process."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if "HarfBuzz-Subset" not in msg:
            return True
        key = msg.split('"')[0]
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


_WEASY_FILTER = _OncePerMessage()


def _url_fetcher(images: dict[str, tuple[str, bytes]] | None = None):
    """WeasyPrint's fetcher, allowed ``data:`` URLs only, plus the page's own images under
    the keys :func:`_detach_images` gave them."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class _Fetcher(URLFetcher):
        def fetch(self, url, headers=None):
            found = (images or {}).get(url)
            if found is not None:
                mime, data = found
                return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})
            return super().fetch(url, headers)

    return _Fetcher(allowed_protocols={"data"}, timeout=5)


_IMAGE_PREFIX = "tccsd-image:"
_RE_DATA_IMAGE = re.compile(
    r"""(<img\b[^>]*?\ssrc=)(["'])data:(image/(?:png|jpeg|gif|svg\+xml));base64,"""
    r"""([A-Za-z0-9+/=\s]+)\2""",
    re.IGNORECASE,
)


def _detach_images(html: str) -> tuple[str, dict[str, tuple[str, bytes]]]:
    """The page with each ``<img src="data:image/…;base64,…">`` replaced by a short key, and
    the decoded images by key. The same pixels reach the PDF; what it saves is WeasyPrint
    handling ~50 kB URLs as text (IRI quoting, ``data:`` URL unquoting, the parser): ~20% of
    a report's PDF time with its 17 charts."""
    images: dict[str, tuple[str, bytes]] = {}

    def detach(match: re.Match) -> str:
        import base64
        import binascii

        try:
            data = base64.b64decode(match.group(4), validate=False)
        except (binascii.Error, ValueError):
            return match.group(0)  # left to WeasyPrint as it was
        key = f"{_IMAGE_PREFIX}{len(images)}"
        images[key] = (match.group(3).lower(), data)
        return f"{match.group(1)}{match.group(2)}{key}{match.group(2)}"

    return _RE_DATA_IMAGE.sub(detach, html), images


@contextlib.contextmanager
def _gc_paused():
    """No cyclic garbage collection during one render. A render allocates a few hundred
    thousand objects, and each automatic full collection it triggers walks every object of the
    process (nbconvert, WeasyPrint, pandas…): ~0.5 s of a report's PDF. Its garbage is collected
    afterwards, in one go (a few MB more at peak)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _png_idat(pillow_image) -> bytes | None:
    """The zlib stream (IDAT chunks) of an 8-bit RGB or grey, non-interlaced PNG opened from
    bytes, or None. That stream is exactly what WeasyPrint embeds for such an image
    (``/FlateDecode`` with PNG predictors, ``/Colors`` 3 or 1)."""
    if getattr(pillow_image, "format", None) != "PNG" or pillow_image.mode not in ("RGB", "L"):
        return None
    getvalue = getattr(getattr(pillow_image, "fp", None), "getvalue", None)
    if getvalue is None:
        return None
    data = getvalue()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height, depth, colour, compression, filters, interlace = struct.unpack(
        ">IIBBBBB", data[16:29]
    )
    expected_colour = 2 if pillow_image.mode == "RGB" else 0
    if (width, height) != pillow_image.size or (depth, colour) != (8, expected_colour):
        return None
    if compression or filters or interlace:
        return None
    chunks, pos = [], 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        elif kind == b"IEND":
            break
        pos += 12 + length
    return b"".join(chunks) or None


def _pass_png_through() -> None:
    """Embed the charts' PNG data as it is. WeasyPrint (70) decodes every PNG and encodes it
    again only to get the zlib stream it then embeds (``RasterImage._get_png_data``); for the
    images :func:`_png_idat` accepts, that stream is the one already in the file (~10 ms per
    chart saved, same pixels). Other images keep WeasyPrint's own path. Installed once per
    process; a WeasyPrint without that method is left alone."""
    try:
        from weasyprint.images import RasterImage
    except ImportError:  # pragma: no cover
        return
    current = RasterImage.__dict__.get("_get_png_data")
    if not isinstance(current, staticmethod) or getattr(current.__func__, "_tccsd", False):
        return
    reencode = current.__func__

    def _get_png_data(pillow_image):
        data = _png_idat(pillow_image)
        return data if data is not None else reencode(pillow_image)

    _get_png_data._tccsd = True
    RasterImage._get_png_data = staticmethod(_get_png_data)


@lru_cache(maxsize=1)
def _font_config():
    """One fontconfig set-up per process (the reports declare no ``@font-face``)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: str, out_pdf: str | os.PathLike[str] | None = None) -> bytes:
    """Render ``html`` to PDF bytes with WeasyPrint; write them atomically to ``out_pdf`` when
    given. Same HTML, same bytes (see module docstring). Nothing is fetched from the network
    or the file system: only ``data:`` URLs are loaded."""
    from weasyprint import HTML

    weasy_log = logging.getLogger("weasyprint")
    if _WEASY_FILTER not in weasy_log.filters:
        weasy_log.addFilter(_WEASY_FILTER)
    _pass_png_through()
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    page, images = _detach_images(html)
    # fontTools stamps each embedded font with the clock unless SOURCE_DATE_EPOCH is set
    with pinned_source_date_epoch(), _gc_paused():
        document = HTML(string=page, base_url=None, url_fetcher=_url_fetcher(images))
        pdf = document.write_pdf(
            pdf_identifier=identifier,
            custom_metadata=False,
            optimize_images=False,
            uncompressed_pdf=False,
            font_config=_font_config(),
        )
    if out_pdf is not None:
        atomic_write_bytes(out_pdf, pdf)
    return pdf


def warm_up() -> None:
    """Pay the one-off costs (nbconvert template compile, WeasyPrint import, fontconfig and
    Pango initialisation, DejaVu Sans lookup) before the first real report; then freeze what
    is loaded so far out of the cyclic garbage collector (modules and their caches stay for
    the life of the process: no collection needs to walk them again)."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Khởi động")])
    html_to_pdf(notebook_to_html(nb, "Khởi động"))
    gc.collect()
    gc.freeze()
