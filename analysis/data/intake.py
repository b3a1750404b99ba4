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
* **Cells** are converted column by column with vectorised pandas string operations; only the
  failing cells are visited one by one to write findings, and at most :data:`FINDINGS_CAP`
  findings are written per table, rule and column, followed by one "… và N dòng khác".

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

import csv
import hashlib
import io
import operator
import os
import re
import traceback
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import params
from analysis.data import schema, workbook_values
from analysis.data.findings import ERROR, WARNING, Finding
from analysis.data.template import (
    COVER_SHEET,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    PREFILLED_SHEET,
    REFERENCE_PREFIX,
    sheet_name,
)
from analysis.textsafe import ESCAPED_UNDERSCORE, unescape_text, visible

# --- limits (module constants so that tests can lower them) --------------------------------
#: Refuse a workbook whose members add up to more than this when uncompressed.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: Refuse a workbook compressed more than this many times (checked above RATIO_MIN_BYTES).
MAX_COMPRESSION_RATIO = 100
#: Small files may legitimately compress very well; the ratio test starts above this size.
RATIO_MIN_BYTES = 1024 * 1024
#: Rows searched for the header row.
HEADER_SCAN_ROWS = 10
#: Findings written per table, rule and column before one summary finding.
FINDINGS_CAP = 50
#: Cell values in findings are cut to this many characters.
VALUE_MAX_CHARS = 100
#: Codes longer than this are refused (they are identifiers, not text).
CODE_MAX_CHARS = 64
#: Counts at or above this are refused as implausible (and would not fit a whole number).
MAX_COUNT = 10**9

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_FORMAT_NAMES = {
    ".xls": "Excel 97–2003 (.xls)",
    ".xlsb": "Excel nhị phân (.xlsb)",
    ".ods": "OpenDocument (.ods)",
    ".numbers": "Apple Numbers (.numbers)",
    ".xltx": "mẫu Excel (.xltx)",
    ".xltm": "mẫu Excel (.xltm)",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAVE_AS_XLSX = "hãy mở bằng Excel và lưu lại dạng .xlsx (Excel Workbook)"

#: Text that stands for "no value" in a number cell (compared case-insensitively, trimmed).
NA_TOKENS = frozenset({"", "n/a", "na", "-", "--", "—", "–", "x", "nan", "null", "none"})
#: The same for other cells: "x" is a tick ("Có") in yes/no columns and may be a code.
TEXT_NA_TOKENS = NA_TOKENS - {"x"}
_EXCEL_ERRORS = frozenset(
    {"#n/a", "#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!", "#spill!", "#calc!",
     "#getting_data", "#field!", "#blocked!", "#unknown!", "#busy!", "#connect!", "#python!"}
)
#: Column headers (match keys) that hold people's names: never read, always reported.
PERSONAL_NAME_HEADERS = frozenset(
    {"ho ten", "ho va ten", "ho ten dang vien", "ho va ten dang vien", "ten dang vien",
     "ho ten can bo", "ho va ten can bo", "ten can bo", "ho ten bi thu", "ten bi thu",
     "ho ten nguoi", "ho dem", "ho va ten dem", "ho", "name", "full name", "fullname",
     "first name", "last name", "given name", "family name", "surname"}
)
#: Other personal data that the suite never needs.
PERSONAL_DATA_HEADERS = frozenset(
    {"ngay sinh", "nam sinh", "ngay thang nam sinh", "ngay vao dang", "so cmnd", "cmnd",
     "so cccd", "cccd", "can cuoc", "so can cuoc", "so dien thoai", "dien thoai", "email",
     "dia chi", "que quan", "so the dang vien", "date of birth", "phone"}
)
#: Row-number columns ("STT") are common and carry nothing: dropped without a finding.
ORDINAL_HEADERS = frozenset({"stt", "tt", "so tt", "so thu tu", "no", "#"})
_TOTAL_EXACT = frozenset({"cong", "tong", "total", "grand total", "tong cong", "tong so"})
# "Cộng năm 2019" / "Tổng năm 2020": sheets grouped by year carry a subtotal under each block.
_TOTAL_PREFIXES = ("tong cong ", "tong so ", "total ", "cong toan ", "cong nam ", "tong nam ")

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
#: Control characters in a cell (ESC sequences, NUL, DEL, C1): removed with a warning. Tab and
#: line breaks are whitespace (collapsed to one space), as in any multi-line cell.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A formula element (<f>…</f> or <f …/>) followed by no value, or an empty one, then </c>.
_FORMULA_NO_VALUE = re.compile(
    rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)

_STRING = pd.StringDtype()
_UNIT_COLUMNS = ("unit_code", "reporting_unit", "commune_code", "code", "old_code")
_YEAR_COLUMNS = ("year", "snapshot_year", "effective_year")
_PROVENANCE = ("_file", "_sheet", "_row")


# --- public API -----------------------------------------------------------------------------
@dataclass
class InputData:
    """The input tables, typed and normalised, with where they came from.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Every table of ``tables.yaml`` in schema order; an absent table is an empty frame with
        the schema columns. Provenance columns ``_file``, ``_sheet``, ``_row`` follow.
    source : Path
        The workbook or folder that was read.
    fingerprint : str
        First 12 hex digits of a sha256: of the file's bytes for a single file; for a folder,
        of every CSV's name and bytes in name order (a renamed CSV is another table).
    files : list of str
        Names of the files the fingerprint covers.
    """

    tables: dict[str, pd.DataFrame]
    source: Path
    fingerprint: str
    files: list[str] = field(default_factory=list)


def empty_frame(table_name: str) -> pd.DataFrame:
    """An empty, correctly typed frame of one table (schema columns and provenance)."""
    table = schema.table(table_name)
    cols: dict[str, Any] = {c.name: pd.array([], dtype=_dtype(c)) for c in table.columns}
    cols["_file"] = pd.array([], dtype=_STRING)
    cols["_sheet"] = pd.array([], dtype=_STRING)
    cols["_row"] = np.array([], dtype="int64")
    return pd.DataFrame(cols)


def read_input(path: str | Path) -> tuple[InputData, list[Finding]]:
    """Read a workbook or a folder of CSV; return the typed tables and every finding.

    Never raises on user input: a missing path, an unreadable format or an unexpected error
    while reading a file becomes an error finding (set ``TCCSD_DEBUG=1`` to re-raise the
    latter).
    """
    source = Path(path)
    if not source.is_dir() and source.suffix.lower() in (".sqlite", ".sqlite3", ".db"):
        from analysis.data import store  # the collection store: its current accepted versions

        return store.read_store(source)
    if source.is_dir():  # a folder of returned workbooks: analysis.data.returns
        from analysis.data import returns

        mixed = returns.mixed_folder_finding(source)
        if mixed is not None:
            empty = {name: empty_frame(name) for name in schema.tables()}
            return InputData(tables=empty, source=source, fingerprint=""), [mixed]
        if returns.is_returns_folder(source):
            return returns.read_returns(source)
    findings: list[Finding] = []
    parts: dict[str, list[pd.DataFrame]] = {}
    emitters: dict[str, _Emitter] = {}
    reader = _Reader(findings, parts, emitters)
    files: list[Path] = []
    name = source.name or str(source)

    if not source.exists():
        findings.append(Finding(
            ERROR, "input_missing",
            f"Không tìm thấy tệp hoặc thư mục «{source}». Hãy kiểm tra lại đường dẫn.",
            file=name,
        ))
    elif source.is_dir():
        files = reader.read_folder(source)
    else:
        files = [source]
        reader.read_file(source)

    if source.exists() and not reader.matched_any and not any(f.is_error for f in findings):
        reader.no_tables(name, folder=source.is_dir())
    tables = reader.assemble()
    if source.is_file() and source.suffix.lower() in WORKBOOK_SUFFIXES:
        _unescape_tables(tables)
    if reader.matched_any and not any(len(df) for df in tables.values()):
        findings.append(Finding(
            WARNING, "no_data",
            "Chưa có dòng số liệu nào: các bảng mới chỉ có dòng tiêu đề hoặc còn trống. Hãy nhập "
            "số liệu bên dưới dòng tiêu đề (trong tệp mẫu: từ dòng 3) rồi kiểm tra lại.",
            file=name,
        ))
    names = [p.relative_to(source).as_posix() if source.is_dir() else p.name for p in files]
    fingerprint = _fingerprint(files, folder=source.is_dir(), names=names)
    data = InputData(tables=tables, source=source, fingerprint=fingerprint, files=sorted(names))
    return data, findings


def _unescape_tables(tables: dict[str, pd.DataFrame]) -> None:
    """Workbook text escaped OOXML-style (``_x005f_`` = «_», as the suite's writers and Excel
    write a literal «_x…_»), back to literal; openpyxl reads cells without unescaping."""
    needle = ESCAPED_UNDERSCORE.casefold()
    for frame in tables.values():
        for col in frame.columns:
            if col.startswith("_") or frame[col].dtype != "string":
                continue
            s = frame[col]
            # one look at the whole column first: almost no text holds «_x005f_»
            if needle not in "\0".join(s.to_numpy(dtype=object, na_value="").tolist()).casefold():
                continue
            has = s.str.contains(ESCAPED_UNDERSCORE, case=False, regex=False, na=False)
            if has.any():
                frame.loc[has, col] = s[has].map(unescape_text)


# --- sources: what a sheet or a CSV looks like to the table reader --------------------------
@dataclass
class _Sheet:
    file: str
    sheet: str
    head: list[tuple[int, tuple]]
    rows: Callable[[], Iterator[tuple[int, tuple]]]
    hidden: bool = False
    #: (kept row numbers, {column position: schema name}) -> [(row, position, formula)]
    formulas: Callable[[list[int], dict[int, str]], list[tuple[int, int, str]]] | None = None
    #: CSV tokenised by pandas' C parser: rows are selected and cells converted with numpy
    #: masks instead of row by row (``rows`` still yields the same records, for completeness)
    grid: _Grid | None = None


def _debug() -> bool:
    return os.environ.get("TCCSD_DEBUG") == "1"


def _unexpected(exc: BaseException, file: str, sheet: str = "") -> Finding:
    where = f"bảng «{sheet}» của tệp «{file}»" if sheet else f"tệp «{file}»"
    return Finding(
        ERROR, "read_failed",
        f"Không đọc được {where} do lỗi không lường trước ({type(exc).__name__}: "
        f"{_cut(str(exc))}). Hãy mở tệp bằng Excel, lưu lại dạng .xlsx và thử lại; nếu vẫn "
        "lỗi, gửi tệp cho người phụ trách phần mềm.",
        file=file, sheet=sheet,
        extra={"traceback": traceback.format_exc()},
    )


class _Reader:
    """Collects sheets from files, reads each into its table, and assembles the tables."""

    def __init__(self, findings: list[Finding], parts: dict[str, list[pd.DataFrame]],
                 emitters: dict[str, _Emitter]):
        self.findings = findings
        self.parts = parts
        self.emitters = emitters
        self.sources: dict[str, list[str]] = {}
        self.matched_any = False

    # files -------------------------------------------------------------------------------
    def read_folder(self, folder: Path) -> list[Path]:
        """Read every ``.csv`` of ``folder`` and of its sub-folders (one per year, say, to
        :data:`MAX_FOLDER_DEPTH`); a file's name in findings and provenance keeps its
        sub-folder («2015/organizations.csv»). Returns the files read."""
        csvs: list[tuple[Path, str]] = []
        self._walk(folder, "", csvs)
        for p, label in csvs:
            self.read_file(p, label)
        sub = sorted({label.rpartition("/")[0] for _, label in csvs if "/" in label})
        if sub:
            n = sum("/" in label for _, label in csvs)
            shown = ", ".join(f"«{d}/»" for d in sub[:8]) + (" …" if len(sub) > 8 else "")
            self.findings.append(Finding(
                WARNING, "csv_in_subfolders",
                f"Đã đọc cả {_int_vi(n)} tệp .csv trong {_int_vi(len(sub))} thư mục con của "
                f"«{folder.name}»: {shown}. Trong các thông báo, tên tệp có kèm thư mục con "
                f"(ví dụ «{next(lb for _, lb in csvs if '/' in lb)}»). Nếu thư mục con chứa "
                "bản sao cũ, hãy chuyển nó ra khỏi thư mục số liệu.",
                file=folder.name, extra={"folders": sub, "files": n},
            ))
        return [p for p, _ in csvs]

    def _walk(self, folder: Path, prefix: str, csvs: list[tuple[Path, str]],
              depth: int = 0) -> None:
        for p in sorted(folder.iterdir(), key=lambda p: p.name):
            label = f"{prefix}{p.name}"
            if p.name.startswith((".", "~$")) or p.name == "__MACOSX":
                continue
            if p.is_dir():
                if p.is_symlink():
                    continue  # no loops, nothing outside the folder given
                if p.name == "outputs" or any((p / m).exists() for m in _OUTPUT_MARKERS):
                    self.findings.append(Finding(
                        WARNING, "folder_ignored",
                        f"Thư mục «{label}/» là kết quả do phần mềm tạo ra (báo cáo, bảng "
                        "tổng hợp), không phải số liệu, nên không được đọc. Nên để kết quả ở "
                        "ngoài thư mục số liệu.",
                        file=label,
                    ))
                    continue
                if depth + 1 > MAX_FOLDER_DEPTH:
                    self.findings.append(Finding(
                        WARNING, "folder_ignored",
                        f"Thư mục «{label}/» nằm sâu quá {MAX_FOLDER_DEPTH} cấp nên các tệp "
                        "trong đó không được đọc. Hãy chuyển các tệp .csv lên thư mục số liệu "
                        "hoặc một thư mục con trực tiếp của nó.",
                        file=label,
                    ))
                    continue
                self._walk(p, f"{label}/", csvs, depth + 1)
                continue
            if not p.is_file():
                continue
            if p.suffix.lower() == ".csv":
                csvs.append((p, label))
            elif p.suffix.lower() in ARCHIVE_SUFFIXES:
                self.findings.append(_archive_finding(label, in_folder=True))
            elif p.suffix.lower() in (*WORKBOOK_SUFFIXES, *_FORMAT_NAMES):
                self.findings.append(Finding(
                    WARNING, "file_ignored",
                    f"Tệp «{label}» không được đọc: trong một thư mục chỉ các tệp .csv được "
                    "đọc. Muốn dùng bảng tính, hãy chỉ đường dẫn tới chính tệp .xlsx.",
                    file=label,
                ))

    def read_file(self, path: Path, label: str | None = None) -> None:
        """Read one workbook or CSV; ``label`` is its name in findings (default its name)."""
        name = label or path.name
        try:
            suffix = path.suffix.lower()
            if suffix in WORKBOOK_SUFFIXES:
                self._read_workbook(path)
            elif suffix == ".csv":
                sheets = _csv_sheets(path, self.findings, name)
                self._dispatch(sheets, csv_file=True)
            elif suffix in ARCHIVE_SUFFIXES:
                members = _zip_members(path) if suffix == ".zip" else []
                self.findings.append(_archive_finding(name, members))
            else:
                fmt = _FORMAT_NAMES.get(suffix, f"«{suffix or 'không có đuôi'}»")
                self.findings.append(Finding(
                    ERROR, "unreadable_format",
                    f"Tệp «{name}» có định dạng {fmt} không đọc được; {_SAVE_AS_XLSX}.",
                    file=name,
                ))
        except Exception as exc:  # noqa: BLE001 - user files must never crash the suite
            if _debug():
                raise
            self.findings.append(_unexpected(exc, name))

    def _read_workbook(self, path: Path) -> None:
        # openpyxl warns in English about features it drops (extensions, print settings…);
        # nothing of that matters for reading values, so the user is not shown it.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"openpyxl(\..*)?$")
            warnings.filterwarnings("ignore", category=UserWarning, message=r".*openpyxl.*")
            self._read_workbook_quietly(path)

    def _read_workbook_quietly(self, path: Path) -> None:
        name = path.name
        problem = _check_workbook_file(path)
        if problem is not None:
            self.findings.append(problem)
            return
        fast = _fast_sheets(path)
        if fast is not None:
            self._dispatch(fast)
            return
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # noqa: BLE001
            if _debug():
                raise
            self.findings.append(Finding(
                ERROR, "corrupt_file",
                f"Tệp «{name}» bị hỏng hoặc không phải bảng tính Excel hợp lệ "
                f"({type(exc).__name__}); {_SAVE_AS_XLSX}.",
                file=name,
            ))
            return
        try:
            sheets = [_workbook_sheet(path, wb, ws) for ws in wb.worksheets]
            self._dispatch(sheets)
        finally:
            wb.close()

    # sheets -> tables ----------------------------------------------------------------------
    def _dispatch(self, sheets: list[_Sheet], csv_file: bool = False) -> None:
        keys = _table_keys()
        for sh in sheets:
            key = schema.match_key(sh.sheet)
            if key in _TEMPLATE_SHEET_KEYS:
                self._pasted_into_template_sheet(sh)
                continue
            table_name = keys.get(key)
            if table_name is None:
                non_empty = any(not _blank_row(v) for _, v in sh.head)
                if not non_empty:
                    continue
                table_name = _guess_table(sh.head)
                if table_name is None:
                    self.findings.append(_unknown_sheet(sh, csv_file))
                    continue
                title = schema.table(table_name).title_vi
                self.findings.append(Finding(
                    WARNING, "sheet_matched_by_columns",
                    f"«{sh.sheet}» được đọc như bảng «{title}» vì có đủ các cột của bảng này; "
                    f"nên đặt tên là «{sheet_name(schema.table(table_name))}».",
                    file=sh.file, sheet=sh.sheet,
                ))
            if csv_file:
                sh.sheet = table_name  # a CSV's "sheet" is its table
            self.matched_any = True
            if sh.hidden:
                self.findings.append(Finding(
                    WARNING, "hidden_sheet",
                    f"Bảng «{sh.sheet}» đang bị ẩn nhưng vẫn được đọc như bảng "
                    f"«{schema.table(table_name).title_vi}». Nếu không muốn dùng số liệu "
                    "này, hãy xóa bảng khỏi tệp.",
                    file=sh.file, sheet=sh.sheet,
                ))
            emitter = self.emitters.setdefault(table_name, _Emitter())
            try:
                frame = _read_table(sh, schema.table(table_name), emitter)
            except Exception as exc:  # noqa: BLE001
                if _debug():
                    raise
                self.findings.append(_unexpected(exc, sh.file, sh.sheet))
                continue
            if frame is not None:
                self.parts.setdefault(table_name, []).append(frame)
                self.sources.setdefault(table_name, []).append(f"«{sh.sheet}» ({sh.file})")

    def _pasted_into_template_sheet(self, sh: _Sheet) -> None:
        """Rows of a data table pasted into the instructions, lists or cover sheet: never
        read (the sheet is the template's own), so an error names where they are."""
        found = _table_in_rows(sh.rows(), TEMPLATE_SHEET_SCAN_ROWS)
        if found is None:
            return
        table_name, header_row, n_rows = found
        target = sheet_name(schema.table(table_name))
        self.findings.append(Finding(
            ERROR, "data_in_template_sheet",
            f"Bảng «{sh.sheet}» là bảng của mẫu (không chứa số liệu) nên không được đọc, "
            f"nhưng từ dòng {header_row} có tiêu đề các cột của bảng «{target}» và "
            f"{_int_vi(n_rows)} dòng số liệu bên dưới. Hãy chép các dòng này sang bảng "
            f"«{target}» (dưới dòng tiêu đề của bảng đó) rồi xóa khỏi bảng «{sh.sheet}».",
            file=sh.file, sheet=sh.sheet, row=header_row,
            extra={"table": table_name, "rows": n_rows},
        ))

    def no_tables(self, file: str, folder: bool = False) -> None:
        where = f"thư mục «{file}» (cần các tệp .csv)" if folder else f"tệp «{file}»"
        self.findings.append(Finding(
            ERROR, "no_tables",
            f"Không tìm thấy bảng số liệu nào trong {where}. Tên bảng cần là một trong: "
            f"{_table_list()}. Có thể tạo mẫu bằng lệnh: python -m analysis template mau.xlsx",
            file=file,
        ))

    def assemble(self) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for name, table in schema.tables().items():
            frames = [f for f in self.parts.get(name, []) if len(f)] or self.parts.get(name, [])
            if not frames:
                out[name] = empty_frame(name)
                continue
            frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
            emitter = self.emitters.setdefault(name, _Emitter())
            srcs = self.sources.get(name, [])
            if len(srcs) > 1:
                self.findings.append(Finding(
                    WARNING, "table_multiple_sheets",
                    f"Bảng «{table.title_vi}» được ghép từ {len(srcs)} nơi: {', '.join(srcs)}. "
                    "Hãy kiểm tra không có số liệu bị nhập hai lần.",
                    file=frame["_file"].iat[0], sheet=frame["_sheet"].iat[0],
                ))
            try:
                _check_duplicate_keys(frame, table, emitter)
            except Exception as exc:  # noqa: BLE001
                if _debug():
                    raise
                self.findings.append(_unexpected(exc, frame["_file"].iat[0], table.title_vi))
            out[name] = frame.reset_index(drop=True)
        for name in schema.tables():
            if name in self.emitters:
                self.findings.extend(self.emitters[name].finish())
        return out


# --- workbook sources -----------------------------------------------------------------------
#: Archives: unpacked by the user, never by the reader.
ARCHIVE_SUFFIXES = {".zip": "ZIP", ".rar": "RAR", ".7z": "7-Zip", ".gz": "gzip", ".tar": "tar"}


def _archive_finding(name: str, members: list[str] | None = None, renamed: bool = False,
                     in_folder: bool = False) -> Finding:
    """The finding for a compressed archive given as data: unzip it, do not re-save it."""
    inside = ""
    if members:
        shown = [m for m in members if not m.endswith("/")][:5]
        inside = f" (chứa {', '.join(f'«{m}»' for m in shown)}{' …' if len(members) > 5 else ''})"
    if renamed:
        return Finding(
            ERROR, "archive_file",
            f"Tệp «{name}» không phải bảng tính Excel mà là một tệp nén (.zip) bị đổi đuôi"
            f"{inside}. Hãy đổi đuôi tệp thành .zip, giải nén, rồi chỉ đường dẫn tới tệp .xlsx "
            "hoặc thư mục các tệp .csv bên trong.",
            file=name,
        )
    kind = ARCHIVE_SUFFIXES.get(Path(name).suffix.lower(), "")
    if in_folder:
        return Finding(
            WARNING, "file_ignored",
            f"Tệp «{name}» là tệp nén {kind} nên không được đọc. Nếu trong đó có số liệu, hãy "
            "giải nén vào thư mục này (các tệp .csv trong thư mục con cũng được đọc).",
            file=name,
        )
    return Finding(
        ERROR, "archive_file",
        f"Tệp «{name}» là tệp nén {kind}{inside}, không phải bảng tính. Hãy giải nén, rồi chỉ "
        "đường dẫn tới tệp .xlsx hoặc thư mục các tệp .csv bên trong (không cần lưu lại bằng "
        "Excel).",
        file=name,
    )


def _zip_members(path: Path) -> list[str]:
    """Names inside a zip archive (nothing extracted), or [] when it is not one."""
    try:
        with zipfile.ZipFile(path) as zf:
            return [unicodedata.normalize("NFC", n) for n in zf.namelist()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return []


def _check_workbook_file(path: Path) -> Finding | None:
    """Refuse files that are not zip workbooks, and zip bombs, before openpyxl sees them."""
    name = path.name
    with open(path, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(_OLE_MAGIC):
        return Finding(
            ERROR, "unreadable_format",
            f"Tệp «{name}» có định dạng Excel 97–2003 (.xls) hoặc được đặt mật khẩu nên không "
            f"đọc được; {_SAVE_AS_XLSX}, không đặt mật khẩu.",
            file=name,
        )
    if not zipfile.is_zipfile(path):
        return Finding(
            ERROR, "corrupt_file",
            f"Tệp «{name}» bị hỏng hoặc không phải bảng tính Excel; {_SAVE_AS_XLSX}.",
            file=name,
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return Finding(
            ERROR, "corrupt_file",
            f"Tệp «{name}» bị hỏng (không giải nén được); {_SAVE_AS_XLSX}.",
            file=name,
        )
    total = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    ratio = total / packed
    too_big = total > MAX_UNCOMPRESSED_BYTES
    if too_big or (total > RATIO_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO):
        return Finding(
            ERROR, "zip_bomb",
            f"Tệp «{name}» khi giải nén lên tới {_int_vi(total / 1024**2)} MB (gấp "
            f"{_int_vi(ratio)} lần "
            "kích thước tệp): có thể là tệp hỏng hoặc tệp độc hại, nên không được đọc. Hãy "
            "kiểm tra lại tệp, xóa các dòng, cột thừa hoặc chia số liệu thành nhiều tệp.",
            file=name,
        )
    # a zip of other files renamed .xlsx (no workbook part; ODS has its «mimetype»)
    names = [i.filename for i in infos]
    if not any(n.startswith("xl/") or n in ("[Content_Types].xml", "mimetype") for n in names):
        return _archive_finding(name, names, renamed=True)
    return None


def _fast_sheets(path: Path) -> list[_Sheet] | None:
    """The sheets of a workbook read with calamine (:mod:`analysis.data.workbook_values`), or
    None when openpyxl must read it: the same values, about ten times faster."""
    book = workbook_values.open_fast(path)
    if book is None:
        return None
    try:
        out = []
        for title in book.titles:
            rows = book.rows(title)
            out.append(_Sheet(
                file=path.name, sheet=title,
                head=list(enumerate(rows[:HEADER_SCAN_ROWS + 1], start=1)),
                rows=lambda rows=rows: enumerate(rows, start=1),
                # no formula without a cached value: open_fast leaves those to openpyxl
                hidden=book.hidden(title), formulas=None,
            ))
        return out
    except workbook_values.NeedOpenpyxl:
        return None
    except Exception:  # noqa: BLE001 - openpyxl reads it and reports what is wrong
        if _debug():
            raise
        return None
    finally:
        book.close()


def _workbook_sheet(path: Path, wb: Any, ws: Any) -> _Sheet:
    ws.reset_dimensions()  # some writers store a wrong <dimension>; read every row
    percent = _percent_styles(wb)

    def rows() -> Iterator[tuple[int, tuple]]:
        if not percent:  # the usual case: values only, no cell objects
            return enumerate(ws.iter_rows(values_only=True), start=1)
        return enumerate(_percent_as_text(ws, percent), start=1)

    head = []
    for rownum, values in rows():
        if rownum > HEADER_SCAN_ROWS + 1:
            break
        head.append((rownum, values))

    def formulas(rownums: list[int], positions: dict[int, str]) -> list[tuple[int, int, str]]:
        return _formulas_without_value(path, ws, rownums, positions)

    return _Sheet(file=path.name, sheet=ws.title, head=head, rows=rows,
                  hidden=getattr(ws, "sheet_state", "visible") != "visible", formulas=formulas)


def _percent_styles(wb: Any) -> frozenset[int]:
    """Cell style ids whose number format shows a percentage («0%», «0.00%», «#,##0.0%»…).

    Typing «100%» into a cell stores the number 1 with such a format: read as a value only, it
    would be a count of 1. The formats are looked at once per workbook (a few dozen styles).
    """
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

    found = set()
    custom = getattr(wb, "_number_formats", [])
    for i, style in enumerate(getattr(wb, "_cell_styles", [])):
        fid = getattr(style, "numFmtId", 0)
        if fid < BUILTIN_FORMATS_MAX_SIZE:
            fmt = BUILTIN_FORMATS.get(fid, "")
        else:
            fmt = custom[fid - BUILTIN_FORMATS_MAX_SIZE] if fid - BUILTIN_FORMATS_MAX_SIZE < len(
                custom) else ""
        # a «%» outside quoted text and not escaped by a backslash
        if "%" in re.sub(r'"[^"]*"|\\.', "", str(fmt)):
            found.add(i)
    return frozenset(found)


def _percent_as_text(ws: Any, percent: frozenset[int]) -> Iterator[tuple]:
    """Rows of values in which a number shown as a percentage is the text the user typed
    («1» formatted «0%» → «100%»), so that a count column refuses it (``percent_in_count``)."""
    for row in ws.iter_rows():
        out = []
        for c in row:
            v = getattr(c, "value", None)
            if (getattr(c, "_style_id", 0) in percent and c.data_type == "n"
                    and isinstance(v, (int, float)) and not isinstance(v, bool)):
                shown = format(round(v * 100, 9), "g").replace(".", ",")
                v = f"{shown}%"
            out.append(v)
        yield tuple(out)


def _sheet_has_uncached_formula(path: Path, ws: Any) -> bool:
    """Stream the sheet XML once; True when a formula cell has no cached value."""
    member = getattr(ws, "_worksheet_path", None)
    if not member:
        return True
    member = member.lstrip("/")
    with zipfile.ZipFile(path) as zf:
        try:
            fh = zf.open(member)
        except KeyError:
            return True
        with fh:
            tail = b""
            while chunk := fh.read(1 << 20):
                buf = tail + chunk
                if _FORMULA_NO_VALUE.search(buf):
                    return True
                tail = buf[-512:]
    return False


def _formulas_without_value(path: Path, ws: Any, rownums: list[int],
                            positions: dict[int, str]) -> list[tuple[int, int, str]]:
    """(row, position, formula) of kept cells holding a formula that Excel never computed."""
    if not rownums or not _sheet_has_uncached_formula(path, ws):
        return []
    return _locate_formulas(path, ws, rownums, positions)


def _locate_formulas(path: Path, ws: Any, rownums: list[int],
                     positions: dict[int, str]) -> list[tuple[int, int, str]]:
    """Second pass with ``data_only=False``: where are the formulas among the kept cells."""
    import openpyxl

    wanted = set(rownums)
    last = max(rownums)
    out: list[tuple[int, int, str]] = []
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        ws2 = wb[ws.title]
        ws2.reset_dimensions()
        for rownum, values in enumerate(ws2.iter_rows(values_only=True), start=1):
            if rownum > last:
                break
            if rownum not in wanted:
                continue
            for j in positions:
                if j < len(values):
                    v = values[j]
                    text = getattr(v, "text", v)  # ArrayFormula keeps its text in .text
                    if isinstance(text, str) and text.startswith("="):
                        out.append((rownum, j, text))
    finally:
        wb.close()
    return out


# --- CSV sources ----------------------------------------------------------------------------
def _decode(data: bytes, name: str, findings: list[Finding]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1258")
        findings.append(Finding(
            WARNING, "encoding_cp1258",
            f"Tệp «{name}» không ở dạng UTF-8; đã đọc theo bảng mã Windows tiếng Việt (cp1258). "
            "Hãy kiểm tra dấu tiếng Việt; tốt nhất lưu lại bằng Excel dạng «CSV UTF-8».",
            file=name,
        ))
        return text
    except UnicodeDecodeError:
        findings.append(Finding(
            ERROR, "encoding_unknown",
            f"Tệp «{name}» không ở bảng mã UTF-8 hay Windows tiếng Việt; một số chữ không đọc "
            "được (thay bằng «�»). Hãy lưu lại bằng Excel dạng «CSV UTF-8».",
            file=name,
        ))
        return data.decode("utf-8", errors="replace")


def _drop_nul(text: str, path: Path, findings: list[Finding], name: str | None = None
              ) -> str:
    """``text`` without its NUL characters, and a warning saying how many and from which line.

    A file copied from a failing USB stick, or saved while the disk filled up, holds runs of
    NUL bytes (often a whole block at its end). They are no data: the rows read without them,
    and a row they cut through gets the cell findings it deserves.
    """
    name = name or path.name
    n = text.count("\x00")
    at = text.index("\x00")
    line = text.count("\n", 0, at) + 1 if "\n" in text else text.count("\r", 0, at) + 1
    findings.append(Finding(
        WARNING, "nul_bytes",
        f"Tệp «{name}» có {_int_vi(n)} ký tự rỗng (NUL, \\x00), từ dòng {line}: thường "
        "do tệp bị hỏng khi chép qua USB hoặc lưu dở. Các ký tự này đã được bỏ đi khi đọc; hãy "
        "kiểm tra số liệu của tệp, tốt nhất lấy lại bản gốc.",
        file=name, sheet=path.stem, row=line,
    ))
    return text.replace("\x00", "")


def _sniff_delimiter(text: str) -> str:
    sample = text[: 64 * 1024]
    best, best_score = ",", (-1, -1)
    for delim in (",", ";", "\t"):
        try:
            rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim) if r]
        except csv.Error:
            continue
        rows = rows[:30]
        if not rows:
            continue
        widths = Counter(len(r) for r in rows)
        mode, count = max(widths.items(), key=lambda kv: (kv[1], kv[0]))
        score = (count if mode > 1 else 0, mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _csv_sheets(path: Path, findings: list[Finding], name: str | None = None
                ) -> list[_Sheet]:
    """The CSV file as one sheet (named by its stem); ``name`` is the file's name in findings
    and provenance (with its sub-folder), ``path.name`` by default."""
    name = name or path.name
    text = _decode(path.read_bytes(), name, findings)
    if "\x00" in text:
        text = _drop_nul(text, path, findings, name)
    delim = _sniff_delimiter(text)
    grid = _csv_grid(text, delim)
    if grid is not None:
        head = [(i + 1, grid.row(i)) for i in range(min(grid.nrows, HEADER_SCAN_ROWS + 1))]
        return [_Sheet(file=name, sheet=path.stem, head=head, rows=grid.rows, grid=grid)]
    # Slow path, row by row: files the C parser does not read exactly as ``csv`` does
    # (quotes not closed, fields over the size limit, NUL characters, a leading BOM…).
    records, too_long = _csv_records(text, delim, name, path.stem, findings)
    if too_long:
        lines = ", ".join(str(n) for n in too_long[:5]) + (" …" if len(too_long) > 5 else "")
        what = "dòng" if len(too_long) == 1 else f"{_int_vi(len(too_long))} dòng"
        findings.append(Finding(
            ERROR, "corrupt_file",
            f"Tệp «{name}» có {what} không đọc được (dòng {lines}: có một ô dài quá "
            f"{_int_vi(CSV_FIELD_LIMIT)} ký tự); {'dòng' if len(too_long) == 1 else 'các dòng'} "
            "này bị bỏ qua, các dòng khác vẫn được đọc. Hãy mở tệp bằng Excel, kiểm tra rồi "
            "lưu lại.",
            file=name, sheet=path.stem, row=too_long[0], extra={"rows": too_long},
        ))

    def rows() -> Iterator[tuple[int, tuple]]:
        return enumerate(records, start=1)

    head = list(enumerate(records[: HEADER_SCAN_ROWS + 1], start=1))
    return [_Sheet(file=name, sheet=path.stem, head=head, rows=rows)]


#: Longest CSV field read, in characters (``csv``'s own default is 131,072: a 200,000-character
#: note would stop the file there). A longer field loses its line only, with an error.
CSV_FIELD_LIMIT = 1 << 20
#: A quoted cell running over several lines and longer than this (``csv``'s own default
#: limit) is taken for a quote left open, as before the limit was raised.
_CSV_QUOTED_LINES_LIMIT = 131_072


def _csv_records(text: str, delim: str, name: str, sheet: str, findings: list[Finding]
                 ) -> tuple[list[tuple], list[int]]:
    """Records of ``text`` read by ``csv`` (fields up to :data:`CSV_FIELD_LIMIT`), and the
    record numbers of the lines left out for a longer field (each kept as an empty record,
    so the rows below keep their numbers). Any other CSV error stops the reading there, with
    an error ``corrupt_file``."""
    records: list[tuple] = []
    too_long: list[int] = []
    saved = csv.field_size_limit()
    csv.field_size_limit(CSV_FIELD_LIMIT)

    def broken(line: int) -> None:
        findings.append(Finding(
            ERROR, "corrupt_file",
            f"Tệp «{name}» có dòng không đọc được (dòng {line}: sai định dạng CSV, thường do "
            "dấu ngoặc kép không đóng); chỉ đọc được các dòng phía trên. Hãy mở tệp bằng "
            "Excel, kiểm tra dòng này rồi lưu lại.",
            file=name, sheet=sheet, row=line,
        ))

    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        while True:
            start = reader.line_num + 1  # the line the next record starts on
            try:
                rec = tuple(next(reader))
            except StopIteration:
                break
            except csv.Error as exc:
                if "field larger" in str(exc) and reader.line_num == start:
                    records.append(())  # one line, one over-long cell: that line only
                    too_long.append(len(records))
                    continue
                broken(start)  # a quote left open runs over the lines below
                break
            if reader.line_num > start and any(
                    len(v) > _CSV_QUOTED_LINES_LIMIT and ("\n" in v or "\r" in v) for v in rec):
                broken(start)  # the same, read to the end of a smaller file
                break
            records.append(rec)
    finally:
        csv.field_size_limit(saved)
    return records, too_long


#: The fast CSV path gives up (and the row-by-row reader is used) when padding ragged rows to
#: one width would make the grid this many times larger than the file's fields, plus a margin.
GRID_PADDING_FACTOR = 4
#: Bytes of a CSV looked at to guess its number of columns.
CSV_SAMPLE_BYTES = 1 << 20


class _Grid:
    """A CSV tokenised by pandas' C parser, each column factorised over all its records.

    Holds, per column position ``j``, integer ``codes`` (one per record, row ``i`` is Excel row
    ``i + 1``) into ``uniques`` (the distinct cell texts). A field missing from a short record
    reads as ``""``: both are blank, and every later step treats them alike. Flags that cost a
    Python call per value (blank, totals word) are computed once per distinct text.
    """

    def __init__(self, codes: list[np.ndarray], uniques: list[np.ndarray], nrows: int):
        self.codes = codes
        self.uniques = uniques
        self.nrows = nrows
        self.width = len(codes)
        self._blank: dict[int, np.ndarray] = {}

    def row(self, i: int) -> tuple:
        return tuple(u[c[i]] for c, u in zip(self.codes, self.uniques, strict=True))

    def rows(self) -> Iterator[tuple[int, tuple]]:
        return ((i + 1, self.row(i)) for i in range(self.nrows))

    def blank_values(self, j: int) -> np.ndarray:
        """Per distinct value of column ``j``: is it blank (:func:`_blank`)?"""
        if j not in self._blank:
            u = self.uniques[j]
            c0 = _leading_chars(u, 1)[:, 0]
            # only "" and texts starting with a space or a non-ASCII character can be blank
            maybe = np.flatnonzero((c0 <= 32) | (c0 >= 127))
            flags = np.zeros(len(u), dtype=bool)
            flags[maybe] = [_blank(v) for v in u[maybe]]
            self._blank[j] = flags
        return self._blank[j]

    def blank(self, j: int, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self.blank_values(j)[self.codes[j][rows]]

    def total_words(self, j: int, rows: np.ndarray) -> np.ndarray:
        """Per record of ``rows``: does column ``j`` hold a totals word (:func:`_is_total_word`)?"""
        u = self.uniques[j]
        codes = self.codes[j][rows]
        used = np.bincount(codes, minlength=len(u)).astype(bool)
        flags = np.zeros(len(u), dtype=bool)
        idx = np.flatnonzero(used & _maybe_total_word(u))
        flags[idx] = [_is_total_word(v) for v in u[idx]]
        return flags[codes]


def _leading_chars(values: np.ndarray, k: int) -> np.ndarray:
    """Code points of the first ``k`` characters of each string (0 past the end), as (n, k)."""
    if not len(values):
        return np.zeros((0, k), dtype=np.uint32)
    return values.astype(f"<U{k}").view(np.uint32).reshape(-1, k)


_TOTAL_FIRST = np.array([ord(ch) for ch in "tcgTCG"], dtype=np.uint32)
_TOTAL_SECOND = np.array([ord(ch) for ch in "orOR"], dtype=np.uint32)
_ASCII_ALNUM = np.zeros(128, dtype=bool)
_ASCII_ALNUM[[i for i in range(128) if chr(i).isalnum()]] = True


def _maybe_total_word(values: np.ndarray) -> np.ndarray:
    """False where :func:`_is_total_word` is surely False, judged by the first two characters.

    A totals word starts (after spaces) with t, c or g (``_is_total_word``'s cheap exit), and its
    match key with "co", "to" or "gr": an ASCII letter or digit after the first letter that is
    not o or r rules it out (codes such as "tan_yen", "cam_khe").
    """
    lead = _leading_chars(values, 2)
    c0, c1 = lead[:, 0], lead[:, 1]
    printable0 = (c0 > 32) & (c0 < 127)
    tcg = np.isin(c0, _TOTAL_FIRST)
    alnum1 = (c1 < 128) & _ASCII_ALNUM[np.minimum(c1, 127)]
    surely_not = (printable0 & ~tcg) | (tcg & alnum1 & ~np.isin(c1, _TOTAL_SECOND))
    return ~surely_not


def _max_fields(data: bytes, delim: str) -> int:
    """Most fields on one line of ``data``, counting every delimiter as a field break."""
    a = np.frombuffer(data, dtype=np.uint8)
    starts = np.flatnonzero((a == 10) | (a == 13)) + 1
    starts = np.concatenate(([0], starts[starts < len(a)], [len(a)]))
    per_line = np.diff(np.searchsorted(np.flatnonzero(a == ord(delim)), starts))
    return int(per_line.max()) + 1


def _read_csv_c(data: bytes, delim: str, width: int) -> pd.DataFrame | None:
    """Every field of every record as text, by pandas' C parser; None if it fails."""
    try:
        with warnings.catch_warnings():
            # a record wider than ``width`` loses fields with only a warning: refuse instead
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                io.BytesIO(data), sep=delim, header=None, names=range(width), index_col=False,
                dtype=object, na_filter=False, keep_default_na=False, skip_blank_lines=False,
                quotechar='"', doublequote=True, escapechar=None, comment=None,
                skipinitialspace=False, encoding="utf-8", engine="c", low_memory=False,
            )
    except Exception:  # noqa: BLE001 - any doubt: the csv module reads the file
        return None


def _csv_grid(text: str, delim: str) -> _Grid | None:
    """Tokenise ``text`` with pandas' C parser, or None to use the ``csv`` module instead.

    The C parser reads the same records and fields as ``csv.reader`` (default dialect, checked
    by a differential test) except in cases refused here: a BOM left at the start (pandas drops
    it), NUL characters, text that is not valid Unicode, a field over :data:`CSV_FIELD_LIMIT`
    (``csv`` leaves its line out with an error), a quoted field running over several lines with more
    fields than any single line, and any error of the C parser (quotes not closed…).
    """
    if not text or text[0] == "\ufeff" or "\x00" in text:
        return None
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return None
    # The C parser needs the number of columns: guess it from the first MiB, and only if a
    # later record is wider (the parse fails) count the whole file and parse again.
    lines = data.count(b"\n") + data.count(b"\r") + 1
    fields = data.count(delim.encode()) + lines
    frame = None
    tried = 0
    for sample in (data[:CSV_SAMPLE_BYTES], data):
        width = _max_fields(sample, delim)
        if width <= tried or width * lines > GRID_PADDING_FACTOR * fields + 10**6:
            return None  # no wider, or a few very wide lines: the grid would be mostly empty
        tried = width
        frame = _read_csv_c(data, delim, width)
        if frame is not None or len(sample) == len(data):
            break
    if frame is None:
        return None
    del data
    nrows = len(frame)
    if not nrows:
        return None
    limit = CSV_FIELD_LIMIT
    check_size = len(text) >= limit
    codes: list[np.ndarray] = []
    uniques: list[np.ndarray] = []
    for j in range(width):
        c, u = pd.factorize(frame[j].to_numpy(dtype=object))
        u = np.asarray(u, dtype=object)
        if (c < 0).any() or pd.api.types.infer_dtype(u, skipna=False) not in ("string", "empty"):
            return None  # not text: never seen, but every later step relies on it
        if check_size and max(map(len, u)) >= limit:
            return None
        codes.append(c.astype(np.int32) if len(u) < 2**31 else c)
        uniques.append(u)
    return _Grid(codes, uniques, nrows)


# --- matching sheets and headers --------------------------------------------------------------
_TEMPLATE_SHEET_KEYS = frozenset(schema.match_key(s) for s in (
    INSTRUCTIONS_SHEET, LISTS_SHEET, COVER_SHEET, PREFILLED_SHEET))
#: Reference columns of pre-filled workbooks (names, previous year): never data, no finding.
_REFERENCE_KEY = schema.match_key(REFERENCE_PREFIX)


@cache
def _table_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for t in schema.tables().values():
        for label in (t.name, t.title_vi, t.title_vi[:31], sheet_name(t)):
            keys.setdefault(schema.match_key(label), t.name)
    return keys


def _table_list() -> str:
    return ", ".join(f"«{sheet_name(t)}»" for t in schema.tables().values())


@cache
def _header_lookup(table_name: str) -> dict[str, str]:
    table = schema.table(table_name)
    lookup: dict[str, str] = {}
    for c in table.columns:
        lookup.setdefault(schema.match_key(c.name), c.name)
    for c in table.columns:
        lookup.setdefault(schema.match_key(c.header_vi), c.name)
    return lookup


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if v.__class__ is str:
        return v == "" or v.isspace()
    return isinstance(v, float) and v != v  # NaN


def _blank_row(values: Iterable[Any]) -> bool:
    return all(_blank(v) for v in values)


def _cell_key(v: Any) -> str:
    return "" if _blank(v) else _text_key(str(v))


@lru_cache(maxsize=1 << 16)
def _text_key(text: str) -> str:
    """The match key of a cell's text, computed once per distinct text: header rows and the
    template's own sheets repeat in every workbook of a collection."""
    return schema.match_key(_norm_text(text))


def _is_personal(key: str) -> str | None:
    if key in PERSONAL_NAME_HEADERS or key.startswith(("ho ten ", "ho va ten ")):
        return "name"
    if key in PERSONAL_DATA_HEADERS:
        return "data"
    return None


def _header_score(values: tuple, lookup: dict[str, str]) -> int:
    """Number of known headers in a row, or 0 when the row is not a header row."""
    keys = [_cell_key(v) for v in values]
    keys = [k for k in keys if k and k not in ORDINAL_HEADERS and _is_personal(k) is None
            and not k.startswith(_REFERENCE_KEY)]
    hits = sum(k in lookup for k in keys)
    return hits if hits >= 2 and 2 * hits >= len(keys) else 0


def _find_header(head: list[tuple[int, tuple]], table_name: str) -> tuple[int, tuple] | None:
    lookup = _header_lookup(table_name)
    for rownum, values in head[:HEADER_SCAN_ROWS]:
        if _header_score(values, lookup):
            return rownum, values
    return None


#: Sub-folders of a CSV folder read (``2015/`` … is depth 1); deeper ones are named, not read.
MAX_FOLDER_DEPTH = 2
#: A sub-folder holding one of these was written by the suite (``analysis.run.build``, a
#: report): its tables are results, never read as data.
_OUTPUT_MARKERS = (".build-manifest.json", ".manifest.json")
#: Rows of a template sheet (instructions, lists, cover) looked through for pasted data.
TEMPLATE_SHEET_SCAN_ROWS = 5000


@cache
def _all_header_keys() -> frozenset[str]:
    """The match keys naming a column of any table (:func:`_header_lookup`)."""
    return frozenset(k for name in schema.tables() for k in _header_lookup(name))


def _table_columns_in(values: tuple) -> tuple[str, set[str]] | None:
    """The table most of whose columns head ``values`` (a candidate header row), and those
    columns: at least 3 distinct ones, half of its required columns and half of the row's
    cells, or None.

    Stricter than :func:`_header_score`: the instructions sheet lists each column as a row
    («Mã cũ», «old_code», …), two known headers of one column in a short row.
    """
    keys = {k for k in (_cell_key(v) for v in values) if k}
    if len(keys) < 3 or len(keys & _all_header_keys()) < 3:  # 3 columns need 3 known keys
        return None
    best: tuple[str, set[str]] | None = None
    for name, table in schema.tables().items():
        lookup = _header_lookup(name)
        known = [k for k in keys if k in lookup]
        mapped = {lookup[k] for k in known}
        required = {c.name for c in table.columns if c.required}
        # most of the row's cells are the table's headers (the lists sheet heads its lists
        # with vocabulary names, a few of which are column names too)
        if len(mapped) >= 3 and 2 * len(known) >= len(keys) and (
                2 * len(mapped & required) >= len(required)) and (
                best is None or len(mapped) > len(best[1])):
            best = (name, mapped)
    return best


def _table_in_rows(rows: Iterable[tuple[int, tuple]], limit: int
                   ) -> tuple[str, int, int] | None:
    """(table, header row, non-blank rows under it) of the first header row of a data table
    among ``rows`` (the first ``limit``) that has at least one row under it; None if none."""
    found: tuple[str, int] | None = None
    n = 0
    for rownum, values in rows:
        if rownum > limit:
            break
        if _blank_row(values):
            continue
        if found is None:
            hit = _table_columns_in(values)
            if hit is not None:
                found = (hit[0], rownum)
            continue
        if _table_columns_in(values) is None:  # a repeated header row is not data
            n += 1
    if found is None or n == 0:
        return None
    return found[0], found[1], n


def _unknown_sheet(sh: _Sheet, csv_file: bool) -> Finding:
    """``unknown_sheet``; when a row of the sheet heads most columns of a table, the table
    is named, with the required columns it lacks."""
    what = "Tệp" if csv_file else "Bảng (sheet)"
    base = f"{what} «{sh.sheet}» không thuộc mẫu nhập liệu nên không được đọc."
    for rownum, values in sh.head:
        hit = _table_columns_in(values)
        if hit is None:
            continue
        table = schema.table(hit[0])
        target = sheet_name(table)
        lacking = [c.header_vi for c in table.columns if c.required and c.name not in hit[1]]
        named = ", ".join(f"«{h}»" for h in lacking[:5]) + (" …" if len(lacking) > 5 else "")
        rename = (f"đặt tên {'tệp' if csv_file else 'bảng'} là "
                  f"«{table.name + '.csv' if csv_file else target}»")
        lacks = (f" nhưng thiếu các cột bắt buộc {named}" if lacking else "")
        return Finding(
            WARNING, "unknown_sheet",
            f"{base} Dòng {rownum} có {_int_vi(len(hit[1]))} cột của bảng «{target}»{lacks}. "
            f"Nếu đây là số liệu của bảng «{target}», hãy {rename}"
            + (" và bổ sung các cột còn thiếu." if lacking else "."),
            file=sh.file, sheet=sh.sheet, row=rownum, extra={"table": table.name},
        )
    return Finding(WARNING, "unknown_sheet", f"{base} Tên bảng cần là một trong: "
                   f"{_table_list()}.", file=sh.file, sheet=sh.sheet)


def _guess_table(head: list[tuple[int, tuple]]) -> str | None:
    """The one table whose required columns all appear in a header row of ``head``."""
    scores: dict[str, int] = {}
    for name, table in schema.tables().items():
        found = _find_header(head, name)
        if found is None:
            continue
        lookup = _header_lookup(name)
        mapped = {lookup.get(_cell_key(v)) for v in found[1]} - {None}
        required = {c.name for c in table.columns if c.required}
        if required <= mapped:
            scores[name] = len(mapped)
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def _is_second_header(values: tuple, table_name: str) -> bool:
    """True for a row of column codes (or headers) right under the header row."""
    lookup = _header_lookup(table_name)
    keys = [k for k in (_cell_key(v) for v in values) if k and not k.startswith(_REFERENCE_KEY)]
    hits = sum(k in lookup for k in keys)
    return hits >= 2 and 2 * hits >= len(keys)


def _is_total_word(v: Any) -> bool:
    if v.__class__ is not str or len(v) > 60:
        return False
    head = v.lstrip()[:1].casefold()
    if head.isascii() and head not in ("t", "c", "g"):  # cheap exit for codes and numbers
        return False
    key = schema.match_key(v)
    return key in _TOTAL_EXACT or key.startswith(_TOTAL_PREFIXES)


def _column_letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


# --- findings with a cap ----------------------------------------------------------------------
class _Emitter:
    """Findings of one table, capped per (rule, column) with one summary finding each."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self._count: Counter[tuple[str, str]] = Counter()
        self._last: dict[tuple[str, str], Finding] = {}

    def room(self, rule: str, column: str) -> int:
        return max(FINDINGS_CAP - self._count[(rule, column)], 0)

    def add(self, finding: Finding) -> None:
        key = (finding.rule, finding.column)
        self._count[key] += 1
        self._last[key] = finding
        if self._count[key] <= FINDINGS_CAP:
            self.findings.append(finding)

    def skip(self, rule: str, column: str, n: int, template: Finding) -> None:
        """Count ``n`` more findings like ``template`` without writing them."""
        if n > 0:
            self._count[(rule, column)] += n
            self._last.setdefault((rule, column), template)

    def finish(self) -> list[Finding]:
        out = list(self.findings)
        for (rule, column), n in self._count.items():
            if n > FINDINGS_CAP:
                last = self._last[(rule, column)]
                where = f" ở cột «{column}»" if column else ""
                out.append(Finding(
                    last.severity, rule,
                    f"… và {_int_vi(n - FINDINGS_CAP)} dòng khác có cùng vấn đề{where} "
                    f"(chỉ liệt kê {FINDINGS_CAP} dòng đầu).",
                    file=last.file, sheet=last.sheet, column=column,
                    extra={"summary": True, "count": n},
                ))
        self.findings = []
        self._count.clear()
        return out


@dataclass
class _Issue:
    """Cells of one column failing one rule (positions into the sheet's kept rows)."""

    severity: str
    rule: str
    column: str
    positions: np.ndarray
    message: Callable[[str], str]
    once: bool = False


# --- reading one sheet into one table ---------------------------------------------------------
def _read_table(sh: _Sheet, table: schema.Table, emitter: _Emitter) -> pd.DataFrame | None:
    where = {"file": sh.file, "sheet": sh.sheet}
    grid = sh.grid
    if grid is not None:
        empty = all(grid.blank_values(j).all() for j in range(grid.width))
    else:
        empty = (all(_blank_row(v) for _, v in sh.head)
                 and all(_blank_row(v) for _, v in sh.rows()))
    if empty:
        emitter.add(Finding(WARNING, "empty_sheet",
                            f"Bảng «{sh.sheet}» trống, không có số liệu.", **where))
        return None
    found = _find_header(sh.head, table.name)
    if found is None:
        examples = ", ".join(f"«{c.header_vi}»" for c in table.columns[:3])
        emitter.add(Finding(
            ERROR, "header_not_found",
            f"Không tìm thấy dòng tiêu đề trong {HEADER_SCAN_ROWS} dòng đầu của bảng "
            f"«{sh.sheet}»: cần một dòng ghi tên các cột như trong mẫu (ví dụ {examples}). "
            "Bảng này không được đọc.",
            **where,
        ))
        return None
    header_row, header = found
    codes: tuple = ()
    skip_to = header_row
    for rownum, values in sh.head:
        if rownum == header_row + 1 and _is_second_header(values, table.name):
            codes, skip_to = values, rownum
    header_lookup = _header_lookup(table.name)

    positions: dict[int, str] = {}
    display: dict[str, str] = {}
    unnamed: list[int] = []
    width = max(len(header), len(codes))
    for j in range(width):
        h = header[j] if j < len(header) else None
        k = codes[j] if j < len(codes) else None
        name = header_lookup.get(_cell_key(h)) if not _blank(h) else None
        if name is None and not _blank(k):
            name = header_lookup.get(_cell_key(k))
        shown = next((_norm_text(str(x)) for x in (h, k) if not _blank(x)), "")
        if name is not None:
            if name in display:
                emitter.add(Finding(
                    ERROR, "duplicate_column",
                    f"Cột «{shown}» (cột {_column_letter(j)}) trùng với cột «{display[name]}» "
                    "đã có; chỉ đọc cột đầu tiên. Hãy xóa hoặc đổi tên cột thừa.",
                    row=header_row, column=shown, **where,
                ))
                continue
            positions[j] = name
            display[name] = shown
            continue
        if not shown:
            unnamed.append(j)
            continue
        key = _cell_key(shown)
        personal = _is_personal(key)
        if personal == "name":
            emitter.add(Finding(
                WARNING, "personal_name_column",
                f"Cột «{shown}» ghi họ tên người: phần mềm không cần và không lưu họ tên, cột "
                "đã bị bỏ qua. Xin không ghi họ tên vào tệp số liệu.",
                row=header_row, column=shown, **where,
            ))
        elif personal == "data":
            emitter.add(Finding(
                WARNING, "personal_data_column",
                f"Cột «{shown}» chứa thông tin cá nhân: phần mềm không cần và không lưu, cột đã "
                "bị bỏ qua. Xin không ghi thông tin cá nhân vào tệp số liệu.",
                row=header_row, column=shown, **where,
            ))
        elif key not in ORDINAL_HEADERS and not key.startswith(_REFERENCE_KEY):
            emitter.add(Finding(
                WARNING, "unknown_column",
                f"Cột «{shown}» không có trong mẫu, bỏ qua.",
                row=header_row, column=shown, **where,
            ))
    for col in table.columns:
        if col.name not in display and col.required:
            emitter.add(Finding(
                ERROR, "missing_column",
                f"Thiếu cột bắt buộc «{col.header_vi}» (mã cột {col.name}) trong bảng "
                f"«{sh.sheet}».",
                row=header_row, column=col.header_vi, **where,
            ))

    # rows ------------------------------------------------------------------------------------
    idxs = list(positions)
    names = [positions[j] for j in idxs]
    code_keys = [i for i, n in enumerate(names)
                 if n in table.key and table.column(n).type == "code"]
    # Each selected column's cells as (codes into distinct values, distinct values): CSV read
    # by the C parser; or as one array of cells (workbooks, CSV read by the csv module).
    factored: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    raw: pd.DataFrame | None = None
    repeated = _header_texts(table, header, codes)
    if grid is not None:
        kept = _grid_rows(grid, skip_to, idxs, [idxs[i] for i in code_keys],
                          [*unnamed, *range(width, grid.width)], emitter, where, repeated)
        for j, name in positions.items():
            factored[name] = _used_values(grid.codes[j][kept], grid.uniques[j])
        rownums: list[int] | np.ndarray = kept + 1
        nrows = len(kept)
    else:
        raw, rownums = _loop_rows(sh, skip_to, idxs, names, code_keys, unnamed, width,
                                  emitter, where, repeated)
        nrows = len(raw)

    # formulas that Excel never computed ------------------------------------------------------
    formula_mask: dict[str, np.ndarray] = {}
    formula_text: dict[tuple[str, int], str] = {}
    issues: list[_Issue] = []
    if sh.formulas is not None and raw is not None and nrows:
        pos_of_row = {r: i for i, r in enumerate(rownums)}
        per_col: dict[str, list[int]] = {}
        for rownum, j, text in sh.formulas(list(rownums), positions):
            i = pos_of_row[rownum]
            name = positions[j]
            if raw[name].iat[i] is None:
                per_col.setdefault(name, []).append(i)
                formula_text[(name, i)] = text
        for name, pos in per_col.items():
            mask = np.zeros(nrows, dtype=bool)
            mask[pos] = True
            formula_mask[name] = mask
            issues.append(_Issue(
                ERROR, "formula_no_value", name, np.array(pos, dtype=np.int64),
                _msg("Ô có công thức «{v}» nhưng công thức chưa có giá trị (chưa được tính): "
                     "hãy mở tệp bằng Excel, để Excel tính xong rồi lưu lại, hoặc nhập số "
                     "trực tiếp."),
            ))

    # conversion ------------------------------------------------------------------------------
    plan = params.plan()
    years = (int(plan["first_year"]), int(plan["last_year"]))
    out: dict[str, Any] = {}
    present = [col for col in table.columns if col.name in display]
    if grid is not None:
        # Converted once per distinct value, then spread over the rows: a cell's result
        # and findings depend on its own value only.
        arrays = [factored[col.name][1] for col in present]
        excluded = [np.zeros(len(a), dtype=bool) for a in arrays]
    else:
        assert raw is not None
        arrays = [raw[col.name].to_numpy(dtype=object) for col in present]
        excluded = [formula_mask.get(col.name, np.zeros(nrows, dtype=bool)) for col in present]
    converted = dict(zip([col.name for col in present],
                         _convert_columns(present, arrays, excluded, years), strict=True))
    for col in table.columns:
        if col.name not in display:
            out[col.name] = _repeat(pd.array([None], dtype=_dtype(col)), nrows)
            continue
        result, col_issues = converted[col.name]
        if col.name in factored:
            codes, distinct = factored[col.name]
            out[col.name] = result.take(codes)
            issues.extend(_spread(issue, codes, len(distinct)) for issue in col_issues)
        else:
            out[col.name] = result
            issues.extend(col_issues)
    frame = pd.DataFrame(out, index=pd.RangeIndex(nrows))
    frame["_file"] = _repeat(pd.array([sh.file], dtype=_STRING), nrows)
    frame["_sheet"] = _repeat(pd.array([sh.sheet], dtype=_STRING), nrows)
    frame["_row"] = np.asarray(rownums, dtype="int64")

    if raw is not None:
        def value_at(name: str, i: int, raw: pd.DataFrame = raw) -> Any:
            return raw[name].iat[i]
    else:
        def value_at(name: str, i: int) -> Any:
            codes, distinct = factored[name]
            return distinct[codes[i]]
    _materialise(issues, value_at, frame, display, emitter, sh, formula_text)
    return frame


def _repeat(one: Any, n: int) -> Any:
    """An array of ``n`` copies of the single element of ``one`` (same dtype)."""
    return one.take(np.zeros(n, dtype=np.intp))


def _used_values(codes: np.ndarray, distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` renumbered over the distinct values they use (in their order), and those."""
    used = np.bincount(codes, minlength=len(distinct)).astype(bool)
    if used.all():
        return codes, distinct
    renumber = np.cumsum(used) - 1
    return renumber[codes], distinct[used]


def _spread(issue: _Issue, codes: np.ndarray, n_distinct: int) -> _Issue:
    """An issue found on distinct values, moved to the rows holding them (in row order)."""
    hit = np.zeros(n_distinct, dtype=bool)
    hit[issue.positions] = True
    return _Issue(issue.severity, issue.rule, issue.column, np.flatnonzero(hit[codes]),
                  issue.message, issue.once)


def _loop_rows(sh: _Sheet, skip_to: int, idxs: list[int], names: list[str],
               code_keys: list[int], unnamed: list[int], width: int, emitter: _Emitter,
               where: dict[str, str], header_texts: frozenset[str] = frozenset()
               ) -> tuple[pd.DataFrame, list[int]]:
    """Rows kept under the header, read one by one (workbooks, CSV read by ``csv``)."""
    need = max(idxs) + 1 if idxs else 0
    unnamed_set = set(unnamed)
    if len(idxs) > 1:
        pick = operator.itemgetter(*idxs)
    else:
        def pick(values: tuple, j: int = idxs[0]) -> tuple:
            return (values[j],)
    unnamed_data: dict[int, int] = {}
    records: list[tuple] = []
    rownums: list[int] = []
    for rownum, values in sh.rows():
        if rownum <= skip_to:
            continue
        n = len(values)
        if n < need:
            values = tuple(values) + (None,) * (need - n)
        picked = pick(values)
        if (unnamed_set or n > width) and len(unnamed_data) < 20:
            for j in [*unnamed, *range(width, n)]:
                if j < n and j not in unnamed_data and not _blank(values[j]):
                    unnamed_data[j] = rownum
        if _blank_row(picked):
            continue
        if (code_keys and _maybe_header_text(picked[code_keys[0]], header_texts)
                and _is_repeated_header(picked, header_texts)):
            _repeated_header(emitter, rownum, where)
            continue
        if code_keys and all(_blank(picked[i]) or _is_total_word(picked[i]) for i in code_keys):
            firsts = [v for v in values if not _blank(v)][:2]
            if any(_is_total_word(v) for v in firsts):
                label = next(v for v in firsts if _is_total_word(v))
                _totals_row(emitter, rownum, label, where)
                continue
        records.append(picked)
        rownums.append(rownum)
    _unnamed_columns(emitter, unnamed_data, where)
    raw = pd.DataFrame(records, columns=names, dtype=object) if records else \
        pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
    return raw, rownums


def _grid_rows(grid: _Grid, skip_to: int, idxs: list[int], code_keys: list[int],
               unnamed: list[int], emitter: _Emitter, where: dict[str, str],
               header_texts: frozenset[str] = frozenset()) -> np.ndarray:
    """Positions of the rows kept under the header: :func:`_loop_rows` with numpy masks.

    Emits the same findings in the same order (repeated header rows and totals rows in row
    order, then columns without a header holding data).
    """
    n = grid.nrows
    first = min(skip_to, n)  # record i is Excel row i + 1; rows up to the header are skipped
    body = np.zeros(n, dtype=bool)
    body[first:] = True

    # columns without a header that hold data: the first row of each; once 20 are known, the
    # row-by-row reader stops looking (it may pass 20 within the row that reaches it)
    found: list[tuple[int, int]] = []
    for j in unnamed:
        if j < grid.width:
            filled = ~grid.blank(j, slice(first, None))
            if filled.any():
                found.append((first + int(np.argmax(filled)) + 1, j))
    unnamed_data: dict[int, int] = {}
    for rownum, j in sorted(found):
        if len(unnamed_data) >= 20 and rownum > max(unnamed_data.values()):
            break
        unnamed_data[j] = rownum

    # blank rows: every selected cell blank
    blank = ~body
    todo = np.flatnonzero(body)
    for j in idxs:
        todo = todo[grid.blank(j, todo)]
        if not len(todo):
            break
    blank[todo] = True
    keep = ~blank
    events: list[tuple[int, Any]] = []  # (row, totals label or None for a repeated header)

    # repeated header rows: judged per distinct value of the first code key, then row by row
    if code_keys and header_texts:
        j0 = code_keys[0]
        maybe = np.array([_maybe_header_text(v, header_texts) for v in grid.uniques[j0]],
                         dtype=bool)
        for i in np.flatnonzero(keep & maybe[grid.codes[j0]]):
            if _is_repeated_header(tuple(grid.uniques[j][grid.codes[j][i]] for j in idxs),
                                   header_texts):
                events.append((int(i) + 1, None))
                keep[i] = False

    # totals rows: every code key blank or a totals word, and one in the first two filled cells
    if code_keys:
        cand = np.flatnonzero(keep)
        for j in code_keys:
            if not len(cand):
                break
            cand = cand[grid.blank(j, cand) | grid.total_words(j, cand)]
        if len(cand):
            # the first two filled cells of each row, and the first of them holding a totals word
            seen = np.zeros(len(cand), dtype=np.intp)
            label = np.full(len(cand), -1, dtype=np.intp)
            for j in range(grid.width):
                firsts = ~grid.blank(j, cand) & (seen < 2)
                sub = np.flatnonzero(firsts & (label < 0))
                if len(sub):
                    label[sub[grid.total_words(j, cand[sub])]] = j
                seen += firsts
                if (seen >= 2).all():
                    break
            totals = label >= 0
            for i, j in zip(cand[totals], label[totals], strict=True):
                events.append((int(i) + 1, grid.uniques[j][grid.codes[j][i]]))
            keep[cand[totals]] = False
    for rownum, label in sorted(events, key=operator.itemgetter(0)):
        if label is None:
            _repeated_header(emitter, rownum, where)
        else:
            _totals_row(emitter, rownum, label, where)
    _unnamed_columns(emitter, unnamed_data, where)
    return np.flatnonzero(keep)


def _header_texts(table: schema.Table, header: tuple, codes: tuple) -> frozenset[str]:
    """Texts that name a column of ``table``: its codes and headers, and the sheet's own."""
    texts = {c.name for c in table.columns} | {_norm_text(c.header_vi) for c in table.columns}
    texts |= {_norm_text(str(v)) for v in (*header, *codes) if not _blank(v)}
    return frozenset(texts)


def _maybe_header_text(v: Any, header_texts: frozenset[str]) -> bool:
    """Cheap test on one cell (a key code column): could the row repeat the header row?"""
    return v.__class__ is str and _norm_text(v) in header_texts


def _is_repeated_header(values: tuple, header_texts: frozenset[str]) -> bool:
    """A data row that repeats the header (or code) row: blocks pasted one under another."""
    filled = [v for v in values if not _blank(v)]
    hits = sum(v.__class__ is str and _norm_text(v) in header_texts for v in filled)
    return hits >= 2 and 2 * hits >= len(filled)


def _repeated_header(emitter: _Emitter, rownum: int, where: dict[str, str]) -> None:
    emitter.add(Finding(
        WARNING, "repeated_header",
        "Dòng này lặp lại dòng tiêu đề cột (thường do dán nhiều bảng nối tiếp nhau), không "
        "tính.",
        row=rownum, **where,
    ))


def _totals_row(emitter: _Emitter, rownum: int, label: Any, where: dict[str, str]) -> None:
    emitter.add(Finding(
        WARNING, "totals_row",
        "Dòng tổng cộng, không tính (phần mềm tự cộng từ các dòng chi tiết).",
        row=rownum, value=_value_text(label), **where,
    ))


def _unnamed_columns(emitter: _Emitter, unnamed_data: dict[int, int],
                     where: dict[str, str]) -> None:
    for j, rownum in sorted(unnamed_data.items()):
        letter = _column_letter(j)
        emitter.add(Finding(
            WARNING, "unnamed_column",
            f"Cột {letter} có số liệu (từ dòng {rownum}) nhưng không có tiêu đề nên không được "
            "đọc; hãy ghi tiêu đề cột theo mẫu.",
            row=rownum, column=f"Cột {letter}", **where,
        ))


def _materialise(issues: list[_Issue], value_at: Callable[[str, int], Any], frame: pd.DataFrame,
                 display: dict[str, str], emitter: _Emitter, sh: _Sheet,
                 formula_text: dict[tuple[str, int], str]) -> None:
    unit = next((c for c in _UNIT_COLUMNS if c in display), None)
    year = next((c for c in _YEAR_COLUMNS if c in display), None)
    units = frame[unit] if unit else None
    yrs = frame[year] if year else None
    rows = frame["_row"].to_numpy()
    for issue in issues:
        header = display.get(issue.column, issue.column)
        positions = issue.positions[:1] if issue.once else issue.positions
        room = emitter.room(issue.rule, header)
        for i in positions[:room]:
            i = int(i)
            formula = formula_text.get((issue.column, i))
            value = visible(formula if formula is not None
                            else _value_text(value_at(issue.column, i)))
            emitter.add(Finding(
                issue.severity, issue.rule, issue.message(_cut(value)),
                file=sh.file, sheet=sh.sheet, row=int(rows[i]), column=header,
                value=_cut(value),
                unit_code=_context_text(units.iat[i]) if units is not None else "",
                year=_context_int(yrs.iat[i]) if yrs is not None else None,
            ))
        rest = len(positions) - min(room, len(positions))
        if rest > 0:
            emitter.skip(issue.rule, header, rest, Finding(
                issue.severity, issue.rule, "", file=sh.file, sheet=sh.sheet, column=header,
            ))


def _context_text(v: Any) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def _context_int(v: Any) -> int | None:
    return None if v is None or v is pd.NA else int(v)


def _check_duplicate_keys(frame: pd.DataFrame, table: schema.Table, emitter: _Emitter) -> None:
    keys = list(table.key)
    if not len(frame) or not all(k in frame for k in keys):
        return
    complete = frame[keys].notna().all(axis=1).to_numpy()
    sub = frame.loc[complete, [*keys, *_PROVENANCE]]
    dup = sub.duplicated(subset=keys, keep="first").to_numpy()
    if not dup.any():
        return
    first = sub.drop_duplicates(subset=keys, keep="first")
    later = sub[dup].reset_index()
    merged = later.merge(first, on=keys, how="left", suffixes=("", "_first"))
    headers = ", ".join(table.column(k).header_vi for k in keys)
    unit = next((c for c in _UNIT_COLUMNS if c in frame), None)
    year = next((c for c in _YEAR_COLUMNS if c in frame), None)
    n = len(merged)
    room = emitter.room("duplicate_key", headers)
    for r in merged.head(room).to_dict("records"):
        values = ", ".join(str(r[k]) for k in keys)
        where = f"dòng {r['_row_first']}"
        if r["_sheet_first"] != r["_sheet"] or r["_file_first"] != r["_file"]:
            where += f" của bảng «{r['_sheet_first']}»"
        if r["_file_first"] != r["_file"]:
            where += f" tệp «{r['_file_first']}»"
        orig = frame.loc[r["index"]]
        emitter.add(Finding(
            ERROR, "duplicate_key",
            f"Trùng khóa với {where}: đã có một dòng cùng ({headers}) = ({values}). Mỗi tổ hợp "
            "này chỉ được ghi một dòng; hãy xóa dòng thừa hoặc sửa lại.",
            file=r["_file"], sheet=r["_sheet"], row=int(r["_row"]), column=headers,
            value=_cut(values),
            unit_code=_context_text(orig[unit]) if unit else "",
            year=_context_int(orig[year]) if year else None,
            extra={"first_row": int(r["_row_first"])},
        ))
    if n > room:
        emitter.skip("duplicate_key", headers, n - room, Finding(
            ERROR, "duplicate_key", "", file=str(merged["_file"].iat[-1]),
            sheet=str(merged["_sheet"].iat[-1]), column=headers,
        ))


# --- text and values --------------------------------------------------------------------------
def _norm_text(s: str) -> str:
    """NFC, no zero-width characters, trimmed, inner whitespace collapsed to one space."""
    if not s.isascii():
        s = unicodedata.normalize("NFC", _INVISIBLE.sub("", s))
    return " ".join(s.split())


def _norm_series(s: pd.Series) -> pd.Series:
    """``_norm_text`` over a column, computed once per distinct value."""
    values = s.to_numpy(dtype=object)
    uniques = pd.unique(values)
    if len(uniques) * 2 < len(values):
        lookup = {u: _norm_text(u) for u in uniques}
        out = [lookup[v] for v in values]
    else:
        out = [_norm_text(v) for v in values]
    return pd.Series(out, index=s.index, dtype=object)


def _int_vi(x: float) -> str:
    """A whole number with Vietnamese thousands dots (1.234.567)."""
    return f"{round(x):,}".replace(",", ".")


def _cut(text: str) -> str:
    return text if len(text) <= VALUE_MAX_CHARS else text[: VALUE_MAX_CHARS - 1] + "…"


def _value_text(v: Any) -> str:
    """A cell value as the user would read it (dates day/month/year, decimal comma)."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v).replace(".", ",")
    if isinstance(v, datetime):
        return v.strftime("%d/%m/%Y") if v.time() == time(0) else v.strftime("%d/%m/%Y %H:%M")
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, time):
        return v.strftime("%H:%M")
    return _cut(str(v))


def _dtype(col: schema.Column) -> Any:
    if col.type in ("year", "count"):
        return "Int64"
    if col.type == "bool":
        return "boolean"
    return _STRING


@dataclass
class _Cells:
    """One column's raw values split by Python type, with normalised text."""

    raw: np.ndarray
    none: np.ndarray
    is_str: np.ndarray
    is_num: np.ndarray
    is_bool: np.ndarray
    is_date: np.ndarray
    is_other: np.ndarray
    text: np.ndarray      # normalised text of str cells, else None
    na: np.ndarray        # str cells holding an "empty" marker (NA_TOKENS)
    na_text: np.ndarray   # same with TEXT_NA_TOKENS
    xl_error: np.ndarray  # str cells holding an Excel error (#N/A, #DIV/0! …)
    ctrl: np.ndarray      # str cells that held control characters (removed from ``text``)

    def cut(self, lo: int, hi: int) -> _Cells:
        """The cells ``lo:hi`` (views)."""
        return _Cells(*(getattr(self, f.name)[lo:hi] for f in fields(self)))


def _split(raw: np.ndarray) -> _Cells:
    n = len(raw)
    s = pd.Series(raw, dtype=object)
    none = s.isna().to_numpy()
    false = np.zeros(n, dtype=bool)
    is_str = is_num = is_bool = is_date = is_other = false
    inferred = pd.api.types.infer_dtype(s, skipna=True) if n else "empty"
    if inferred == "string":
        is_str = ~none
    elif inferred in ("integer", "floating", "mixed-integer-float"):
        is_num = ~none
    elif inferred == "boolean":
        is_bool = ~none
    elif inferred != "empty":
        types = s.map(type).to_numpy(dtype=object)
        is_str = np.fromiter((issubclass(t, str) for t in types), bool, n)
        is_bool = np.fromiter((t is bool or t is np.bool_ for t in types), bool, n)
        is_num = np.fromiter(
            (t is not bool and t is not np.bool_ and issubclass(t, (int, float, np.number))
             for t in types), bool, n) & ~none
        is_date = np.fromiter((issubclass(t, (date, time, timedelta)) for t in types), bool, n)
        is_other = ~(none | is_str | is_bool | is_num | is_date)
    text = np.full(n, None, dtype=object)
    na = na_text = xl_error = ctrl = false
    if is_str.any():
        # Work on the distinct values only: a column of 600,000 counts has a few hundred.
        codes, uniques = pd.factorize(s[is_str].astype(object))  # all str: no NA sentinel
        distinct = pd.Series(uniques, dtype=object)
        has_ctrl = distinct.str.contains(_CONTROL, regex=True).to_numpy(dtype=bool)
        if has_ctrl.any():  # ESC, NUL, DEL…: removed, and a warning names the cell
            distinct[has_ctrl] = distinct[has_ctrl].str.replace(_CONTROL, "", regex=True)
            ctrl = false.copy()
            ctrl[is_str] = has_ctrl[codes]
        norm = _norm_series(distinct)
        text[is_str] = norm.to_numpy(dtype=object)[codes]
        low = norm.str.casefold()
        na = false.copy()
        na[is_str] = low.isin(NA_TOKENS).to_numpy(dtype=bool)[codes]
        na_text = false.copy()
        na_text[is_str] = low.isin(TEXT_NA_TOKENS).to_numpy(dtype=bool)[codes]
        xl_error = false.copy()
        xl_error[is_str] = low.isin(_EXCEL_ERRORS).to_numpy(dtype=bool)[codes]
    if is_other.any():  # Decimal and other exotic types: read as their text
        idx = np.flatnonzero(is_other)
        text[idx] = [_norm_text(str(v)) for v in raw[idx]]
        is_str = is_str | is_other
    return _Cells(raw, none, is_str, is_num, is_bool, is_date, is_other, text, na, na_text,
                  xl_error, ctrl)


def _positions(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)


def _msg(text: str) -> Callable[[str], str]:
    return lambda v: text.format(v=v)


#: Cells converted in one pass at most (the columns of a table are converted together).
CONVERT_BATCH_CELLS = 1 << 20


def _batch_key(col: schema.Column) -> tuple[str, str]:
    """Columns converted by one call: same type (and vocabulary), hence the same messages."""
    return col.type, (col.vocabulary or "") if col.type == "enum" else ""


def _convert_columns(cols: list[schema.Column], raws: list[np.ndarray],
                     excluded: list[np.ndarray], years: tuple[int, int]
                     ) -> list[tuple[Any, list[_Issue]]]:
    """:func:`_convert` of each column, computed in a few passes over the columns joined.

    A cell's result and findings depend on its own value and its column's type only, so the
    cells of all columns are split by Python type in one pass (:func:`_split`), then converted
    once per type (and vocabulary); results and issues are cut back per column, in the order
    a column-by-column conversion gives them. At most :data:`CONVERT_BATCH_CELLS` cells are
    joined at a time.
    """
    results: list[tuple[Any, list[_Issue]] | None] = [None] * len(cols)
    order = sorted(range(len(cols)), key=lambda k: _batch_key(cols[k]))  # stable
    start = 0
    while start < len(order):
        stop, size = start, 0
        while stop < len(order) and (stop == start
                                     or size + len(raws[order[stop]]) <= CONVERT_BATCH_CELLS):
            size += len(raws[order[stop]])
            stop += 1
        chunk = order[start:stop]
        start = stop
        joined = raws[chunk[0]] if len(chunk) == 1 else np.concatenate([raws[k] for k in chunk])
        cells = _split(joined)
        offset = 0
        i = 0
        while i < len(chunk):
            key = _batch_key(cols[chunk[i]])
            j = i
            while j < len(chunk) and _batch_key(cols[chunk[j]]) == key:
                j += 1
            group = chunk[i:j]
            bounds = np.cumsum([offset, *(len(raws[k]) for k in group)])
            lo, hi = int(bounds[0]), int(bounds[-1])
            part = cells if lo == 0 and hi == len(joined) else cells.cut(lo, hi)
            result, empty, found = _convert_cells(cols[group[0]], part, years)
            for n, k in enumerate(group):
                a, b = int(bounds[n] - lo), int(bounds[n + 1] - lo)
                col_issues = []
                for issue in found:
                    pos = issue.positions
                    inside = pos[(pos >= a) & (pos < b)] - a
                    if len(inside):
                        col_issues.append(_Issue(issue.severity, issue.rule, cols[k].name,
                                                 inside, issue.message, issue.once))
                if cols[k].required:
                    missing = empty[a:b] & ~excluded[k]
                    if missing.any():
                        col_issues.append(_Issue(
                            ERROR, "required_empty", cols[k].name, _positions(missing),
                            lambda v: "Ô bắt buộc bị trống: cần ghi giá trị cho cột này."))
                results[k] = (result if a == 0 and b == len(result) else result[a:b],
                              col_issues)
            offset = hi
            i = j
    return results  # type: ignore[return-value]


def _convert(col: schema.Column, raw: np.ndarray, excluded: np.ndarray,
             years: tuple[int, int]) -> tuple[Any, list[_Issue]]:
    """One column's cells typed as the schema says, and the cells failing each rule."""
    return _convert_columns([col], [raw], [excluded], years)[0]


def _convert_cells(col: schema.Column, cells: _Cells, years: tuple[int, int]
                   ) -> tuple[Any, np.ndarray, list[_Issue]]:
    """Typed values, the empty mask and the issues (but "required") of cells of ``col``'s type."""
    issues: list[_Issue] = []
    if cells.ctrl.any():
        issues.append(_Issue(WARNING, "control_character", col.name, _positions(cells.ctrl), _msg(
            "Ô có ký tự điều khiển không in được («{v}», mỗi ký tự ghi dạng \\xHH); các ký tự "
            "này đã được bỏ đi khi đọc. Hãy kiểm tra và nhập lại ô này.")))
    if cells.xl_error.any():
        issues.append(_Issue(ERROR, "excel_error", col.name, _positions(cells.xl_error), _msg(
            "Ô chứa lỗi công thức Excel «{v}»: hãy sửa công thức hoặc nhập giá trị trực tiếp.")))
    if col.type in ("count", "year"):
        result, empty = _to_int(col, cells, issues, years)
    elif col.type == "bool":
        result, empty = _to_bool(col, cells, issues)
    elif col.type == "enum":
        result, empty = _to_enum(col, cells, issues)
    elif col.type == "code":
        result, empty = _to_code(col, cells, issues)
    else:
        result, empty = _to_text(cells)
    return result, empty, issues


# numbers ---------------------------------------------------------------------------------------
_RE_INT = r"[+-]?\d+"
_RE_THOUSANDS = r"[+-]?\d{1,3}(?:(?:\.\d{3})+|(?:,\d{3})+|(?: \d{3})+)"
_RE_DEC_VI = r"[+-]?\d{1,3}(?:\.\d{3})*,\d+"      # 1.234,5  12,5
_RE_DEC_EN = r"[+-]?\d{1,3}(?:,\d{3})*\.\d+"      # 1,234.5  12.5
_RE_DEC = r"[+-]?\d*[.,]\d+"                      # 1234.5  ,5
_RE_SCI = r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+"


def _parse_numbers(t: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Floats parsed from normalised text (NaN where not a number), and a percent mask.

    Parsed once per distinct value (:func:`_parse_distinct_numbers`), then spread back.
    """
    codes, uniques = pd.factorize(t)  # text: no NA sentinel
    out, pct = _parse_distinct_numbers(pd.Series(uniques, dtype=object))
    return out[codes], pct[codes]


def _parse_distinct_numbers(t: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    t = t.str.replace("\u2212", "-", regex=False)
    n = len(t)
    out = np.full(n, np.nan)

    def fill(mask: np.ndarray, cleaned: pd.Series) -> None:
        if mask.any():
            out[mask] = pd.to_numeric(cleaned[mask], errors="coerce").to_numpy(dtype=float)

    m_int = t.str.fullmatch(_RE_INT).to_numpy(dtype=bool)
    fill(m_int, t)
    rest = ~m_int
    if rest.any():
        r = t.where(rest, "")
        m_th = rest & r.str.fullmatch(_RE_THOUSANDS).to_numpy(dtype=bool)
        fill(m_th, r.str.replace(r"[., ]", "", regex=True))
        m_vi = rest & ~m_th & r.str.fullmatch(_RE_DEC_VI).to_numpy(dtype=bool)
        fill(m_vi, r.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
        m_en = rest & ~m_th & ~m_vi & r.str.fullmatch(_RE_DEC_EN).to_numpy(dtype=bool)
        fill(m_en, r.str.replace(",", "", regex=False))
        m_dec = rest & ~m_th & ~m_vi & ~m_en & (
            r.str.fullmatch(_RE_DEC) | r.str.fullmatch(_RE_SCI)).to_numpy(dtype=bool)
        fill(m_dec, r.str.replace(",", ".", regex=False))
    pct = t.str.endswith("%").to_numpy(dtype=bool)
    return out, pct


def _to_int(col: schema.Column, c: _Cells, issues: list[_Issue],
            years: tuple[int, int]) -> tuple[Any, np.ndarray]:
    n = len(c.raw)
    val = np.full(n, np.nan)
    if c.is_num.any():
        val[c.is_num] = c.raw[c.is_num].astype(float)
    cand = c.is_str & ~c.na & ~c.xl_error
    if cand.any():
        idx = np.flatnonzero(cand)
        parsed, pct = _parse_numbers(pd.Series(c.text[idx], dtype=object))
        val[idx] = parsed
        bad_pct = idx[pct]
        bad_txt = idx[np.isnan(parsed) & ~pct]
        if len(bad_pct):
            what = "số lượng (số nguyên)" if col.type == "count" else "một năm (số nguyên)"
            issues.append(_Issue(ERROR, "percent_in_count", col.name, bad_pct, _msg(
                "«{v}» là tỷ lệ phần trăm; cột này cần " + what + ", không phải tỷ lệ.")))
        if len(bad_txt):
            issues.append(_Issue(ERROR, "not_a_number", col.name, bad_txt, _msg(
                "«{v}» không phải là số; cột này cần một số nguyên.")))
    if c.is_date.any():
        issues.append(_Issue(ERROR, "date_in_number", col.name, _positions(c.is_date), _msg(
            "Ô chứa ngày tháng («{v}»), cần một số. Hãy định dạng ô là số (Number) và nhập "
            "lại.")))
    if c.is_bool.any():
        issues.append(_Issue(ERROR, "bool_in_number", col.name, _positions(c.is_bool), _msg(
            "Ô chứa giá trị đúng/sai («{v}»), cần một số.")))
    finite = np.isfinite(val)
    rounded = np.where(finite, np.round(np.where(finite, val, 0)), np.nan)
    tol = 1e-9 * np.maximum(1.0, np.abs(np.where(finite, val, 0)))
    whole = finite & (np.abs(np.where(finite, val - rounded, 0)) <= tol)
    not_int = finite & ~whole
    negative = whole & (rounded < 0)
    # "1e400" parses to infinity: refused as too large rather than left as a silent gap
    big = (whole & ~negative & (np.abs(np.where(whole, rounded, 0)) >= MAX_COUNT)) | np.isinf(val)
    ok = whole & ~negative & ~big
    if not_int.any():
        issues.append(_Issue(ERROR, "not_integer", col.name, _positions(not_int), _msg(
            "«{v}» không phải số nguyên; cột này cần một số nguyên (không có phần thập phân).")))
    if negative.any():
        issues.append(_Issue(ERROR, "negative", col.name, _positions(negative), _msg(
            "«{v}» là số âm; số lượng không được âm.")))
    if big.any():
        issues.append(_Issue(ERROR, "number_too_large", col.name, _positions(big), _msg(
            "«{v}» là số quá lớn, không hợp lý cho cột này.")))
    if col.type == "year":
        first, last = years
        out_of = ok & ((rounded < first) | (rounded > last))
        if out_of.any():
            issues.append(_Issue(ERROR, "year_out_of_range", col.name, _positions(out_of),
                                 _msg(f"Năm ngoài kỳ kế hoạch ({first}–{last}): ô ghi «{{v}}».")))
        ok &= ~out_of
    data = np.zeros(n, dtype="int64")
    data[ok] = rounded[ok].astype("int64")
    result = pd.arrays.IntegerArray(data, ~ok)
    empty = c.none | c.na
    return result, empty


# yes/no, enums, codes, text ----------------------------------------------------------------------
def _resolve_unique(texts: np.ndarray, vocab: schema.Vocabulary) -> np.ndarray:
    """Vocabulary codes of ``texts`` (None where unknown), resolving each distinct text once."""
    lookup = {u: vocab.resolve(u) for u in pd.unique(pd.Series(texts, dtype=object))}
    out = np.empty(len(texts), dtype=object)
    out[:] = [lookup[t] for t in texts]
    return out


def _number_keys(c: _Cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text keys for numeric cells (whole numbers as digits), and a mask of non-whole ones."""
    idx = np.flatnonzero(c.is_num)
    keys = np.full(len(idx), None, dtype=object)
    frac = np.zeros(len(idx), dtype=bool)
    for k, v in enumerate(c.raw[idx]):
        fv = float(v)
        if np.isfinite(fv) and fv.is_integer():
            keys[k] = str(int(fv))
        else:
            frac[k] = True
    return idx, keys, frac


def _to_bool(col: schema.Column, c: _Cells, issues: list[_Issue]) -> tuple[Any, np.ndarray]:
    vocab = schema.vocabularies()["yes_no"]
    n = len(c.raw)
    out = np.full(n, None, dtype=object)
    invalid = np.zeros(n, dtype=bool)
    bidx = np.flatnonzero(c.is_bool)
    out[bidx] = [bool(v) for v in c.raw[bidx]]
    keys = np.full(n, None, dtype=object)
    cand = c.is_str & ~c.na_text & ~c.xl_error
    keys[cand] = c.text[cand]
    idx, nkeys, frac = _number_keys(c)
    keys[idx] = nkeys
    invalid[idx[frac]] = True
    todo = np.flatnonzero(np.array([k is not None for k in keys], dtype=bool))
    if len(todo):
        codes = _resolve_unique(keys[todo], vocab)
        out[todo] = [None if code is None else code == "co" for code in codes]
        invalid[todo[[code is None for code in codes]]] = True
    invalid |= c.is_date
    if invalid.any():
        allowed = ", ".join(vocab.labels)
        issues.append(_Issue(ERROR, "bool_invalid", col.name, _positions(invalid), _msg(
            "Giá trị «{v}» không hợp lệ; các giá trị hợp lệ: " + allowed + " (hoặc để trống).")))
    return pd.array(out, dtype="boolean"), c.none | c.na_text


def _to_enum(col: schema.Column, c: _Cells, issues: list[_Issue]) -> tuple[Any, np.ndarray]:
    vocab = schema.vocabularies()[col.vocabulary or ""]
    n = len(c.raw)
    out = np.full(n, None, dtype=object)
    keys = np.full(n, None, dtype=object)
    cand = c.is_str & ~c.na_text & ~c.xl_error
    keys[cand] = c.text[cand]
    idx, nkeys, frac = _number_keys(c)
    keys[idx] = nkeys
    invalid = np.zeros(n, dtype=bool)
    invalid[idx[frac]] = True
    invalid |= c.is_date | c.is_bool
    todo = np.flatnonzero(np.array([k is not None for k in keys], dtype=bool))
    if len(todo):
        codes = _resolve_unique(keys[todo], vocab)
        out[todo] = codes
        invalid[todo[[code is None for code in codes]]] = True
    if invalid.any():
        allowed = "; ".join(vocab.labels)
        issues.append(_Issue(ERROR, "enum_invalid", col.name, _positions(invalid), _msg(
            "Giá trị «{v}» không có trong danh mục; các giá trị hợp lệ: " + allowed + ".")))
    return pd.array(out, dtype=_STRING), c.none | c.na_text


def _to_code(col: schema.Column, c: _Cells, issues: list[_Issue]) -> tuple[Any, np.ndarray]:
    n = len(c.raw)
    out = np.full(n, None, dtype=object)
    cand = c.is_str & ~c.na_text & ~c.xl_error
    out[cand] = c.text[cand]
    idx, nkeys, frac = _number_keys(c)
    out[idx] = nkeys
    invalid = np.zeros(n, dtype=bool)
    invalid[idx[frac]] = True
    invalid |= c.is_date | c.is_bool
    has = np.array([v is not None for v in out], dtype=bool)
    if has.any():
        s = pd.Series(out[has], dtype=object)
        lower = s.str.lower()
        good = (lower.str.fullmatch(schema.CODE_PATTERN.pattern).fillna(False).to_numpy(bool)
                & (lower.str.len() <= CODE_MAX_CHARS).to_numpy(dtype=bool))
        # only codes that lower case makes valid: «=HYPERLINK(…)» is refused, not lowered
        # nor is Excel's escaped «_» («_x005F_», undone after reading) an upper-case code
        shown = s.str.replace("_x005F_", ESCAPED_UNDERSCORE, regex=False)
        upper = (shown != lower).to_numpy(dtype=bool) & good
        if upper.any():
            issues.append(_Issue(WARNING, "code_uppercase", col.name, np.flatnonzero(has)[upper],
                                 _msg("Mã viết hoa, đã chuyển thành chữ thường (ví dụ «{v}»); "
                                      "mọi mã viết hoa trong cột này đều được chuyển."),
                                 once=True))
        pathish = lower.str.contains(r"[/\\]|\.\.", regex=True).to_numpy(dtype=bool)
        out[has] = np.where(good, lower.to_numpy(dtype=object), None)
        hidx = np.flatnonzero(has)
        if pathish.any():
            issues.append(_Issue(ERROR, "code_invalid", col.name, hidx[pathish], _msg(
                "Mã «{v}» không hợp lệ: mã không được chứa «/», «\\» hoặc «..»; mã chỉ gồm chữ "
                "thường không dấu (a–z), chữ số và dấu gạch dưới «_».")))
        invalid[hidx[~good & ~pathish]] = True
    if invalid.any():
        out[invalid] = None
        issues.append(_Issue(ERROR, "code_invalid", col.name, _positions(invalid), _msg(
            "Mã «{v}» không hợp lệ: mã chỉ gồm chữ thường không dấu (a–z), chữ số và dấu gạch "
            f"dưới «_», bắt đầu bằng chữ hoặc số, dài tối đa {CODE_MAX_CHARS} ký tự (ví dụ "
            "«yen_dung»).")))
    return pd.array(out, dtype=_STRING), c.none | c.na_text


def _to_text(c: _Cells) -> tuple[Any, np.ndarray]:
    n = len(c.raw)
    out = np.full(n, None, dtype=object)
    cand = c.is_str & ~c.na_text & ~c.xl_error
    out[cand] = c.text[cand]
    other = np.flatnonzero(c.is_num | c.is_bool | c.is_date)
    out[other] = [_value_text(v) for v in c.raw[other]]
    return pd.array(out, dtype=_STRING), c.none | c.na_text


# --- fingerprint ------------------------------------------------------------------------------
def _fingerprint(files: list[Path], folder: bool, names: list[str] | None = None) -> str:
    """Content hash of the files read (in a folder: with their names, sub-folder included)."""
    h = hashlib.sha256()
    names = [p.name for p in files] if names is None else names
    for name, p in sorted(zip(names, files, strict=True), key=lambda np_: np_[0]):
        if folder:
            h.update(name.encode("utf-8") + b"\0")
        try:
            with open(p, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
        except OSError:
            continue
        if folder:
            h.update(b"\0")
    return h.hexdigest()[:12]
