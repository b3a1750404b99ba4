"""The sections of a review report, one call per notebook cell.

A report notebook (``notebooks/unit_report.py``, ``notebooks/province_report.py``) calls
:func:`load_context` once, then one section function per cell. Each section function returns ONE
``IPython.display.HTML`` whose HTML is self-contained:

- charts are PNG ``data:`` URIs (:func:`analysis.present.plots.fig_to_data_uri`), 16 cm wide;
- tables are pandas Styler HTML (:mod:`analysis.present.tables` or the small tables built here);
- every string that comes from data (unit, village and indicator names, codes, messages) goes
  through :func:`html.escape`; the markup added here is built from fixed texts;
- numbers are Vietnamese (:mod:`analysis.present.formats`): ``1.234``, ``90,5%``;
- no path, URL or code leaves this module: the input is named by its file or folder name and
  its fingerprint only.


The package:

- :mod:`~analysis.present.report.context`: :func:`load_context` (and
  :func:`load_national_context`), the :class:`ReportContext`, the per-process caches;
- :mod:`~analysis.present.report.scope`: the :class:`Scope` of a report (unit, province or
  national): its sections and the words for its reporting units;
- :mod:`~analysis.present.report.render`: every piece of HTML markup (paragraph, list, table,
  figure, section), the layer a second renderer implements;
- :mod:`~analysis.present.report.sections`: one module per section; sections never import each
  other, what they share is in :mod:`~analysis.present.report.common`,
  :mod:`~analysis.present.report.village_tables`, :mod:`~analysis.present.report.messages`,
  :mod:`~analysis.present.report.sentences` and :mod:`~analysis.present.report.crosscheck`.


The national report is the same sections with the national :class:`Scope`: its reporting
units are the provinces and its total is the nation.

Headings: the title page holds the only ``<h1>``; every section starts with an ``<h2>``; targets
and sub-parts are ``<h3>``. Sections are numbered (province reports have one more section, the
heat table), the appendix tables are "Phụ lục 1 …" as ``params/appendices.yaml`` numbers them.

Nothing here computes a statistic: intervals, verdicts, projections, funnel limits, O/E ratios
and village changes all come from the :class:`analysis.measure.review.Review`, computed once per
build, pickled, and loaded here through ``bundle_path`` (cached per process, so a warm kernel
loads it once for all reports of a build).
"""

from analysis import params
from analysis.present.report.context import (
    ReportContext,
    clear_cache,
    context_from_review,
    load_context,
    load_national_context,
    load_review,
    national_context,
)
from analysis.present.report.messages import period_message, plain_message
from analysis.present.report.render import CHART_DPI
from analysis.present.report.scope import (
    NATIONAL,
    NATIONAL_SECTIONS,
    PROVINCE,
    PROVINCE_SECTIONS,
    SECTION_TITLES,
    UNIT,
    UNIT_SECTIONS,
    Scope,
)
from analysis.present.report.sections.appendix import appendix_section
from analysis.present.report.sections.data_notes import data_notes_section
from analysis.present.report.sections.heat import heat_table_section
from analysis.present.report.sections.integrity import integrity_section
from analysis.present.report.sections.leader import leader_summary, leader_summary_section
from analysis.present.report.sections.process import process_section
from analysis.present.report.sections.scorecard import scorecard_section
from analysis.present.report.sections.targets import target_sections, tile_map
from analysis.present.report.sections.title import title_page
from analysis.present.report.sections.villages import village_counts_sentence, villages_section

#: The tile map of one target (tests call it by its former private name).
_tile_map = tile_map

__all__ = [
    "CHART_DPI",
    "NATIONAL",
    "NATIONAL_SECTIONS",
    "PROVINCE",
    "PROVINCE_SECTIONS",
    "SECTION_TITLES",
    "UNIT",
    "UNIT_SECTIONS",
    "ReportContext",
    "Scope",
    "appendix_section",
    "clear_cache",
    "context_from_review",
    "data_notes_section",
    "heat_table_section",
    "integrity_section",
    "leader_summary",
    "leader_summary_section",
    "load_context",
    "load_national_context",
    "load_review",
    "national_context",
    "params",
    "period_message",
    "plain_message",
    "process_section",
    "scorecard_section",
    "target_sections",
    "tile_map",
    "title_page",
    "village_counts_sentence",
    "villages_section",
]
