"""Reading user input: an ``.xlsx`` workbook or a folder of CSV, normalised to the schema.

``read_input(path)`` never raises on user input. Everything wrong with a file becomes a
:class:`~analysis.data.findings.Finding` that names the file, sheet, Excel row and column header
as the user sees them, in plain Vietnamese. The tables come back typed as described in
``docs/architecture.md`` (codes, text and enum codes as ``string``; years and counts as
``Int64``; yes/no as ``boolean``) with provenance columns ``_file``, ``_sheet``, ``_row``.

How the reading works
---------------------
* **Workbooks** are read as ``openpyxl.load_workbook(read_only=True, data_only=True)`` reads
  them: formulas are never evaluated, macros never run, and only the values Excel cached when
  it last saved the file are read. Before opening, the zip directory is checked (total
  uncompressed size and compression ratio) so that a "zip bomb" is refused in milliseconds.
  The values are read with calamine (:mod:`analysis.data.workbook_values`, ten times faster)
  wherever it gives exactly openpyxl's values, with openpyxl itself otherwise (percent or date
  formats, error values, formulas without a cached value…).
* **Formulas without a cached value** (files written by scripts, or by Excel with manual
  calculation) read as empty cells. To tell them apart cheaply, the raw XML of each sheet is
  streamed once through a regular expression looking for a formula element that is not
  followed by a value element. Only when that finds something is the sheet read a second time
  with ``data_only=False`` to locate the cells; each becomes an error ``formula_no_value``
  (instead of ``required_empty``). Files saved by Excel never take the second pass.
* **Percentages**: «100%» typed into a cell is stored as the number 1 with a percent number
  format. When a workbook has such a format at all, its cells are read with their style and
  a number so formatted becomes the text shown («100%», «94,5%»), which a count column
  refuses (``percent_in_count``) instead of counting 1.
* **CSV** is tokenised by pandas' C parser into one column of texts per field position, each
  factorised once. Blank rows, totals rows and data under columns without a header are then
  found with numpy masks, and cells are converted once per distinct text and spread back over
  the rows, so a table of a million rows costs about as much as its distinct values. Files the
  C parser does not read exactly as Python's ``csv`` module does (quotes not closed, a field
  over :data:`CSV_FIELD_LIMIT`, NUL characters…) are read row by row with ``csv`` as before;
  both paths give the same tables and findings (``tests/data/test_intake_speed.py``).
* **Folders**: every ``.csv`` of the folder and of its sub-folders (one per year, say) to
  :data:`MAX_FOLDER_DEPTH` is read; a file's name in findings and in the rows' ``_file``
  keeps its sub-folder («2015/organizations.csv»), and one warning ``csv_in_subfolders``
  says which sub-folders were read. Deeper folders, folders the suite wrote (a build's
  output) and archives (``.zip``: unzip it) are named in a warning and not read.
* **Sheets** are matched to tables by the table ``name`` or ``title_vi`` (``schema.match_key``);
  a sheet with another name is matched by its header row when that header holds every required
  column of exactly one table (warning ``sheet_matched_by_columns``). Several sheets (or CSV
  files) of one table are stacked (one sheet per year or per district is common), with a
  warning naming them; duplicate keys across them are errors.
* **Header row**: the first row within the first ten in which at least two cells, and at least
  half of the non-empty cells, name columns of the table (by ``name`` or ``header_vi``). Rows
  above it are titles. A row of column codes right under it (the template's row 2) is skipped.
  Row numbers (``_row``) are the ones Excel shows, title rows included.
* **Cells** of a table are converted together, in one pass per column type
  (``reading.cells.convert_columns``), with vectorised pandas string operations; only the
  failing cells are visited one by one to write findings, and at most ``FINDINGS_CAP``
  findings are written per table, rule and column, followed by one "… và N dòng khác".

The modules
-----------
This module is the entry point; the reading is done in :mod:`analysis.data.reading`:
``common`` (typed tables, provenance, text), ``sources`` (what a sheet or CSV looks like),
``workbooks`` and ``csv_files`` (the sources), ``headers`` (sheets to tables, header rows),
``sheets`` (one sheet into one table), ``cells`` (cell conversion) and ``files`` (files and
folders, assembling the tables, fingerprint).

Rule ids (``Finding.rule``)
---------------------------
File level: ``input_missing``, ``unreadable_format``, ``corrupt_file``, ``zip_bomb``,
``read_failed``, ``encoding_cp1258``, ``encoding_unknown``, ``file_ignored``, ``folder_ignored``,
``csv_in_subfolders``, ``archive_file``, ``unknown_sheet``,
``hidden_sheet``, ``sheet_matched_by_columns``, ``table_multiple_sheets``, ``no_tables``,
``no_data``, ``empty_sheet``, ``header_not_found``, ``data_in_template_sheet``.
Columns: ``missing_column``, ``unknown_column``, ``unnamed_column``, ``duplicate_column``,
``personal_name_column``, ``personal_data_column``.
Rows and cells: ``totals_row``, ``repeated_header``, ``required_empty``, ``not_a_number``,
``not_integer``, ``negative``, ``number_too_large``, ``percent_in_count``, ``date_in_number``,
``bool_in_number``, ``year_out_of_range``, ``bool_invalid``, ``enum_invalid``,
``code_invalid``, ``code_uppercase``, ``excel_error``, ``formula_no_value``, ``duplicate_key``.
"""

from __future__ import annotations

from pathlib import Path

from analysis.data import returns, schema, store
from analysis.data.findings import Finding
from analysis.data.reading.common import InputData, empty_frame
from analysis.data.reading.files import read_path
from analysis.data.reading.workbooks import ARCHIVE_SUFFIXES, WORKBOOK_SUFFIXES

__all__ = ["ARCHIVE_SUFFIXES", "WORKBOOK_SUFFIXES", "InputData", "empty_frame", "read_input"]


def read_input(path: str | Path) -> tuple[InputData, list[Finding]]:
    """Read a workbook or a folder of CSV; return the typed tables and every finding.

    Never raises on user input: a missing path, an unreadable format or an unexpected error
    while reading a file becomes an error finding (set ``TCCSD_DEBUG=1`` to re-raise the
    latter). A collection store (``.sqlite``) gives its current accepted versions
    (:func:`analysis.data.store.read_store`); a folder of returned workbooks is read by
    :func:`analysis.data.returns.read_returns`.
    """
    source = Path(path)
    if not source.is_dir() and source.suffix.lower() in (".sqlite", ".sqlite3", ".db"):
        return store.read_store(source)
    if source.is_dir():
        mixed = returns.mixed_folder_finding(source)
        if mixed is not None:
            empty = {name: empty_frame(name) for name in schema.tables()}
            return InputData(tables=empty, source=source, fingerprint=""), [mixed]
        if returns.is_returns_folder(source):
            return returns.read_returns(source)
    return read_path(source)
