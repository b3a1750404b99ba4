"""An appendix table as an official-looking HTML fragment (Jinja2, autoescaped)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from analysis.present.appendix.frame import DEFAULT_SOURCE_VI
from analysis.present.appendix.table import (
    appendix_layout,
    appendix_notes,
    frame_unit,
    year_header,
)
from analysis.present.formats import fmt_number

__all__ = ["appendix_html"]

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
{% for v in row.cells %}<td class="num">{{ v }}</td>{% endfor %}</tr>
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
) -> str:
    """An official-looking appendix table (HTML fragment with its own scoped CSS).

    "Phụ lục <n>. <title>" caption, "Đơn vị tính: <unit>" on the right, STT column, group
    headings, bold "Toàn tỉnh" row, thin black borders, right-aligned Vietnamese numbers
    (percent 1 decimal without the sign, counts with thousands dots), notes and "Nguồn: …".
    Every text is HTML-escaped (Jinja2 autoescape). ``total_label``: the total's scope in the
    notes (:func:`appendix_notes`; "toàn quốc" on the national report).
    """
    unit = frame_unit(frame, unit_label)
    decimals = 1 if unit == "percent" else 0
    years, rows = appendix_layout(frame)
    printed = []
    for row in rows:
        cells = [v if isinstance(v, str) else fmt_number(v, decimals) for v in row.values]
        printed.append({"kind": row.kind, "stt": row.stt, "label": row.label, "cells": cells})
    notes = appendix_notes(frame, unit, total_label=total_label)
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
