"""Everything "appendix" ("Phụ lục"): the review's appendix tables, numbered as
``params/appendices.yaml`` says, and every writer of them.

- :mod:`~analysis.present.appendix.specs`: which tables, in which order, from the review
  (:func:`appendix_specs`), and the publishing rule (:data:`PUBLISH_RULE_VI`, people masks);
- :mod:`~analysis.present.appendix.frame`: one indicator × reporting units × years, the totals
  row last (:func:`appendix_frame`; :func:`own_rows` for a unit's report);
- :mod:`~analysis.present.appendix.suppress`: small-count suppression (publishing mode);
- :mod:`~analysis.present.appendix.table`: the printed layout every writer shares (numbered
  rows under group headings, year headers, notes) — what a Word writer consumes;
- :mod:`~analysis.present.appendix.html`: one table as an HTML fragment;
- :mod:`~analysis.present.appendix.xlsx`: the Excel workbook, one sheet per table;
- :mod:`~analysis.present.appendix.document`: the published A4 document (HTML, printed to PDF).
"""

from __future__ import annotations

from analysis.present.appendix.document import (
    DOCUMENT_TITLE_VI,
    appendix_document_html,
    document_title,
)
from analysis.present.appendix.frame import (
    DEFAULT_SOURCE_VI,
    NAME_COLUMN,
    appendix_frame,
    own_rows,
)
from analysis.present.appendix.html import appendix_html
from analysis.present.appendix.specs import (
    PUBLISH_RULE_VI,
    appendix_specs,
    people_masks,
    publish_note,
)
from analysis.present.appendix.suppress import (
    PRIMARY_SYMBOL,
    SECONDARY_SYMBOL,
    primary_symbol,
    suppress_table,
)
from analysis.present.appendix.table import (
    AppendixRow,
    appendix_layout,
    appendix_notes,
    frame_unit,
    year_header,
)
from analysis.present.appendix.xlsx import INDEX_SHEET, workbook_bytes, write_appendix_xlsx

__all__ = [
    "DEFAULT_SOURCE_VI",
    "DOCUMENT_TITLE_VI",
    "INDEX_SHEET",
    "NAME_COLUMN",
    "PRIMARY_SYMBOL",
    "PUBLISH_RULE_VI",
    "SECONDARY_SYMBOL",
    "AppendixRow",
    "appendix_document_html",
    "appendix_frame",
    "appendix_html",
    "appendix_layout",
    "appendix_notes",
    "appendix_specs",
    "document_title",
    "frame_unit",
    "own_rows",
    "people_masks",
    "primary_symbol",
    "publish_note",
    "suppress_table",
    "workbook_bytes",
    "write_appendix_xlsx",
    "year_header",
]
