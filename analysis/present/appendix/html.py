"""An appendix table as an official-looking HTML fragment (Jinja2, autoescaped)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import pandas as pd

from analysis.present.appendix.frame import DEFAULT_SOURCE_VI, own_rows, unit_row_empty
from analysis.present.appendix.ratings import rating_html, rating_specs
from analysis.present.appendix.table import (
    appendix_layout,
    appendix_notes,
    frame_unit,
    year_header,
)
from analysis.present.formats import fmt_number

__all__ = ["appendix_html", "report_appendix_html"]

_APPENDIX_TEMPLATE = """\
<div class="tccsd-appendix">
<style>
.tccsd-appendix{font-family:"Times New Roman","Liberation Serif","DejaVu Serif",serif;}
.tccsd-appendix table{border-collapse:collapse;width:100%;font-size:11pt;}
.tccsd-appendix caption{caption-side:top;text-align:center;padding-bottom:0.3em;}
.tccsd-appendix .pl-title{font-weight:bold;}
.tccsd-appendix .pl-unit{text-align:right;font-style:italic;font-weight:normal;}
.tccsd-appendix th,.tccsd-appendix td{border:0.5pt solid #000;padding:2pt 4pt;}
.tccsd-appendix th{text-align:center;vertical-align:middle;font-weight:bold;}
.tccsd-appendix td.stt{text-align:center;}
.tccsd-appendix td.num{text-align:right;white-space:nowrap;}
.tccsd-appendix tr.group td{font-weight:bold;}
.tccsd-appendix tr.total td{font-weight:bold;}
.tccsd-appendix tr.comparison td{font-style:italic;background:#f4f4f4;}
.tccsd-appendix .pl-n{display:block;font-size:7pt;line-height:1.1;color:#444;}
.tccsd-appendix table{line-height:1.2;}
.tccsd-appendix table td.num{padding:1pt 3pt;}
.tccsd-appendix tbody td:nth-child(2){min-width:3.8cm;}
.tccsd-appendix p{margin:0.2em 0;font-size:10pt;}
.tccsd-appendix p.pl-source{font-style:italic;}
</style>
<table class="phu-luc" id="phu-luc-{{ number }}">
<caption>
<div class="pl-title">Phụ lục {{ number }}. {{ title }}</div>
<div class="pl-unit">Đơn vị tính: {{ unit_label }}</div>
</caption>
<thead>
<tr><th>STT</th><th>Đơn vị</th>{% for h in headers %}<th>{{ h }}</th>{% endfor %}</tr>
</thead>
<tbody>
{%- for row in rows %}
{%- if row.kind == "group" %}
<tr class="group"><td class="stt">{{ row.stt }}</td><td colspan="{{ headers|length + 1 }}">\
{{ row.label }}</td></tr>
{%- else %}
<tr class="{{ row.kind }}"><td class="stt">{{ row.stt }}</td><td>{{ row.label }}</td>\
{% for v, n in row.cells %}<td class="num">{{ v }}\
{% if n %}<span class="pl-n">{{ n }}</span>{% endif %}</td>{% endfor %}</tr>
{%- endif %}
{%- endfor %}
</tbody>
</table>
{%- if notes %}
<p class="pl-note"><em>Ghi chú:</em></p>
{%- for note in notes %}
<p class="pl-note">- {{ note }}</p>
{%- endfor %}
{%- endif %}
<p class="pl-source">{{ source }}</p>
</div>
"""


@lru_cache(maxsize=1)
def _appendix_template():
    """The compiled appendix template (compiled once per process, not once per table)."""
    from jinja2 import Environment

    env = Environment(autoescape=True, keep_trailing_newline=True)
    return env.from_string(_APPENDIX_TEMPLATE)


def appendix_html(
    frame: pd.DataFrame,
    number: int | str,
    title_vi: str,
    unit_label: str,
    *,
    source_vi: str = DEFAULT_SOURCE_VI,
    note_vi: str | None = None,
    total_label: str | None = None,
    counts: Mapping[str, pd.DataFrame] | None = None,
) -> str:
    """An official-looking appendix table (HTML fragment with its own scoped CSS).

    "Phụ lục <n>. <title>" caption, "Đơn vị tính: <unit>" on the right, STT column, group
    headings, bold "Toàn tỉnh" row, thin black borders, right-aligned Vietnamese numbers
    (percent 1 decimal without the sign, counts with thousands dots), notes and "Nguồn: …".
    Every text is HTML-escaped (Jinja2 autoescape). ``total_label``: the total's scope in the
    notes (:func:`appendix_notes`; "toàn quốc" on the national report). ``counts``
    (``{"numerator": frame, "denominator": frame}``, internal build only) prints each rate's
    numerator/denominator under it, e.g. "88,5" over "23/26".
    """
    unit = frame_unit(frame, unit_label)
    decimals = 1 if unit == "percent" else 0
    years, rows = appendix_layout(frame, counts)
    printed = []
    for row in rows:
        cells = [v if isinstance(v, str) else fmt_number(v, decimals) for v in row.values]
        pairs = row.counts or [(None, None)] * len(cells)
        shown = [
            "" if isinstance(v, str) or a is None or b is None
            else f"{fmt_number(a, 0)}/{fmt_number(b, 0)}"
            for v, (a, b) in zip(row.values, pairs, strict=True)
        ]
        printed.append({"kind": row.kind, "stt": row.stt, "label": row.label,
                        "cells": list(zip(cells, shown, strict=True))})
    notes = appendix_notes(frame, unit, total_label=total_label,
                           with_counts=bool(counts) and unit == "percent")
    if note_vi:
        notes.insert(0, note_vi)
    return _appendix_template().render(
        number=number,
        title=title_vi,
        unit_label=unit_label,
        headers=[year_header(y, frame) for y in years],
        rows=printed,
        notes=notes,
        source=source_vi,
    )


def report_appendix_html(
    review,
    assessment_id: str,
    specs: Sequence[Mapping[str, Any]],
    unit_code: str | None = None,
    unit_name: str | None = None,
) -> str:
    """Every appendix table of one report: the indicator tables, then the Đảng bộ's size and
    ratings by level (:mod:`~analysis.present.appendix.ratings`).

    The province report (``unit_code=None``) shows every reporting unit; a unit's report its
    own row and the province's, labelled as a comparison (:func:`~.frame.own_rows`). A table
    whose unit row would be all "–" (e.g. the village tables of a sector committee) is not
    printed: one sentence names those tables as not applicable ("không áp dụng").
    """

    parts: list[str] = []
    skipped: list[str] = []
    tables = [s for s in specs if s.get("kind") != "rating"]
    for spec in tables:
        frame = spec["frame"]
        title = str(spec["title_vi"])
        if unit_code is not None:
            if unit_row_empty(frame, unit_code):
                skipped.append(str(spec["number"]))
                continue
            frame = own_rows(frame, unit_code, unit_name or unit_code)
            title += f" – {unit_name}"
        parts.append(appendix_html(frame, spec["number"], title, str(spec["unit_label"]),
                                   note_vi=spec.get("note_vi"), counts=spec.get("counts")))
    if skipped:
        these = "các chỉ tiêu này" if len(skipped) > 1 else "chỉ tiêu này"
        parts.append(
            f'<p class="pl-not-applicable">Phụ lục {", ".join(skipped)}: không áp dụng đối với '
            f"{html.escape(unit_name or '')} (đơn vị không có số liệu của {these}).</p>"
        )
    numbers = [s["number"] for s in specs if s.get("kind") == "rating"]
    if numbers:
        scope = unit_name if unit_code is not None else review.province_name
        for spec in rating_specs(review, assessment_id, unit_code, int(numbers[0])):
            parts.append(rating_html(spec, scope or ""))
    return "\n".join(parts)
