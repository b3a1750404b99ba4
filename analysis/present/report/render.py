"""The rendering layer of the report sections: every piece of HTML markup the sections emit.

The sections (:mod:`analysis.present.report.sections`) decide *what* a report says; the
functions here decide how a paragraph, a bullet list, a table, a chart or a section looks in
HTML. A second renderer (a Word document, issue 12) implements the same small set:

- :func:`escape_text`, :func:`esc`: text from data, escaped (``esc`` prints ``–`` for missing);
- :func:`paragraph`, :func:`bullets`: plain texts (escaped here) as ``<p>`` / ``<ul>``;
- :func:`html_table`: a small table whose cells are already safe markup;
- :func:`styled`: a pandas Styler table (:mod:`analysis.present.tables`) with its print class;
- :func:`figure`, :func:`figure_png`: a chart as an embedded PNG with alt text and caption;
- :func:`section_html`: a numbered section (``<h2>`` and body); :func:`as_html`: the notebook
  display object; :func:`stylesheet`: ``report.css``.


Every string that comes from data goes through :func:`html.escape`; the markup is fixed text.
"""

from __future__ import annotations

import base64
import html
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis.present import plots
from analysis.present.formats import MISSING, is_missing
from analysis.present.tables import cell_classes

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML
    from matplotlib.figure import Figure

    from analysis.present.report.context import ReportContext


__all__ = [
    "CHART_DPI",
    "CSS_FILE",
    "as_html",
    "bullets",
    "esc",
    "escape_text",
    "figure",
    "figure_png",
    "html_table",
    "paragraph",
    "section_html",
    "styled",
    "stylesheet",
]

#: Resolution of the embedded charts (16 cm at 110 dpi ≈ 690 px: sharp on screen and paper).
CHART_DPI = 110
CSS_FILE = Path(__file__).parent.parent / "report.css"


def esc(value: Any) -> str:
    return MISSING if is_missing(value) else html.escape(str(value), quote=True)


def as_html(markup: str) -> HTML:
    from IPython.display import HTML

    return HTML(markup)


@cache
def stylesheet() -> str:
    return CSS_FILE.read_text(encoding="utf-8")


def section_html(ctx: ReportContext, key: str, body: str) -> HTML:
    """A numbered section: ``<section id="muc-<key>">``, its ``<h2>`` title and the body."""
    return as_html(
        f'<section class="tccsd-report tccsd-section" id="muc-{key}">\n'
        f"<h2>{html.escape(ctx.section_title(key))}</h2>\n{body}\n</section>"
    )


def escape_text(text: str) -> str:
    """Escaped text; a number and its "điểm phần trăm" never break across lines."""
    return html.escape(text).replace(" điểm phần trăm", "&nbsp;điểm&nbsp;phần&nbsp;trăm")


def paragraph(text: str, css: str = "") -> str:
    """A paragraph of plain text (escaped here)."""
    cls = f' class="{css}"' if css else ""
    return f"<p{cls}>{escape_text(text)}</p>"


def _release(fig: Figure) -> None:
    """Free a figure's pixel buffer now; the artists go with the last reference. (Not
    ``fig.clear()``: it clears every Axes one by one, ~10 ms each, for nothing.)"""
    canvas = fig.canvas
    if getattr(canvas, "renderer", None) is not None:
        canvas.renderer = None
        canvas._lastKey = None


def figure(fig: Figure, alt: str, caption: str = "") -> str:
    """The figure as an embedded PNG (then freed), with an escaped alt text and caption."""
    try:
        uri = plots.fig_to_data_uri(fig, dpi=CHART_DPI)
    finally:
        _release(fig)
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart"><img src="{uri}" alt="{html.escape(alt)}">{cap}</figure>'


def figure_png(png: bytes, alt: str, caption: str = "") -> str:
    """Like :func:`figure` for a chart already encoded as PNG bytes."""
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart"><img src="{uri}" alt="{html.escape(alt)}">{cap}</figure>'


def styled(styler, css: str = "avoid-break", wide: str = "tbl-wide") -> str:
    """Styler HTML with the print class (``avoid-break`` for small tables, ``long`` else),
    in a ``<div>`` of the same class (so that the caption stays with its table) and of class
    ``wide`` (smaller type, wrapping cells: the table fits the 18 cm text width)."""
    styler.set_table_attributes(f'class="{css}"')
    return f'<div class="{wide} {css}">{styler.to_html()}</div>'


def html_table(
    frame: pd.DataFrame,
    uuid: str,
    caption: str = "",
    numeric: tuple[str, ...] | list[str] = (),
    centre: tuple[str, ...] | list[str] = (),
    css: str = "avoid-break",
    cell_css: pd.DataFrame | None = None,
) -> str:
    """A small table whose cells are ALREADY safe HTML (escape data before calling)."""
    styler = frame.style
    styler.set_uuid(re.sub(r"[^A-Za-z0-9_]", "_", uuid))
    styler.cell_ids = False
    styler.hide(axis="index")
    styler.set_table_attributes(f'class="tccsd-table {css}"')
    if caption:
        styler.set_caption(html.escape(caption))
    classes, rules = cell_classes(frame, numeric, centre, cell_css)
    styler.set_td_classes(classes)
    if rules:
        styler.set_table_styles(rules)
    return f'<div class="{css}">{styler.to_html()}</div>'


def bullets(items: list[str], css: str = "") -> str:
    """A bullet list of plain texts (escaped here)."""
    if not items:
        return ""
    cls = f' class="{css}"' if css else ""
    return f"<ul{cls}>" + "".join(f"<li>{escape_text(t)}</li>" for t in items) + "</ul>"
