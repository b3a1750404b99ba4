"""Fast reading of a workbook's cell values with python-calamine, the same values as openpyxl.

:mod:`analysis.data.intake` reads the cells of a workbook as
``openpyxl.load_workbook(read_only=True, data_only=True)`` gives them. openpyxl parses each
cell's XML in Python, which was most of the time of collecting the returned workbooks (a
pre-filled sheet is twice as wide as its table: the greyed previous-year columns). calamine
(Rust) reads the values about ten times faster, but differs from openpyxl in a few places.
:func:`open_fast` reads a workbook with calamine only where the values cannot differ, and
answers None (read it with openpyxl, as before) otherwise; :meth:`FastBook.rows` raises
:class:`NeedOpenpyxl` for a sheet that openpyxl must read (the caller then reads the whole
workbook with openpyxl):

* **number formats**: calamine and openpyxl each decide from a cell's number format whether a
  number is a date, and the reader shows a percent-formatted number as its text («100%»). A
  workbook whose cell styles (``styles.xml`` ``cellXfs``) have any format other than plain
  numbers and text (a date, a time, a duration, a percentage, a builtin format openpyxl does
  not know) is left to openpyxl. So calamine never yields a date, and the percent guarantee
  (``percent_in_count``) stays openpyxl's;
* **cells** (the sheet's XML is searched with a few regular expressions): an error value
  (``t="e"``: openpyxl reads «#DIV/0!», calamine an empty cell), an ISO date cell (``t="d"``),
  a formula without a cached value (located by openpyxl's second pass, ``formula_no_value``),
  a number openpyxl reads as a float although whole («2.0», «1E+3») or beyond a float's
  precision, a text or value starting or ending with white space without
  ``xml:space="preserve"`` (calamine trims it), an empty inline text (openpyxl: «»), phonetic
  runs, tags with a namespace prefix: the sheet is left to openpyxl;
* **escapes**: calamine turns ``_xHHHH_`` into the character; openpyxl keeps inline texts raw
  and takes «x005F_» out of shared strings (``read_string_table``). So the shared strings are
  read here as openpyxl reads them and written back plainly, and every «_x» of the texts is
  given to calamine with a private-use character between «_» and «x» (taken out again): the
  texts come back exactly as openpyxl reads them, for the reader to unescape as before;
* **size**: calamine holds a sheet as a dense grid from A1 to its last cell; a sheet whose grid
  would exceed :data:`DENSE_CELLS_MAX` (a stray value in a far-away cell) is left to openpyxl,
  which streams it;
* **structure**: the sheets are found from the package's relationships as openpyxl finds them;
  chart sheets are skipped (openpyxl does not list them); dialog and macro sheets, missing
  parts, sheet names with escapes or names that do not match calamine's leave the workbook to
  openpyxl.

The values are then converted to openpyxl's: an empty cell is None (calamine: «»), a whole
number below 10^15 is an ``int`` (calamine reads every number as a ``float``; openpyxl gives an
``int`` when the stored text has no decimal point, and the text of any other whole number sends
the sheet to openpyxl, above). Row *n* of the result is Excel row *n* (calamine starts the grid
at A1: ``skip_empty_area=False``). Rows are as long as the sheet is wide (openpyxl's stop at
their last cell) and trailing blank rows are not listed: the reader treats both alike.
``tests/data/test_workbook_values.py`` reads workbooks both ways and compares.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

#: The largest sheet (rows × columns, from A1 to its last cell) read with calamine.
DENSE_CELLS_MAX = 2_000_000
#: A sheet (or shared strings) XML larger than this is left to openpyxl (which streams it).
SHEET_XML_MAX = 64 * 1024 * 1024
#: The sheets and strings held in memory at once, at most (else openpyxl reads the workbook).
PARTS_MAX = 128 * 1024 * 1024
#: Numbers below this (in absolute value) that are whole come back as ``int``.
INT_LIMIT = 10**15

_REL_DOC = "/officeDocument"
_REL_SHEET = "/worksheet"
_REL_CHART = "/chartsheet"
_REL_STRINGS = "/sharedStrings"
_REL_STYLES = "/styles"
_NS_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
#: Put between «_» and «x» of every ``_x`` before calamine reads the text (so that it unescapes
#: nothing) and taken out of its values: a private-use character, refused if a part has it.
_GUARD = "\ue000"
_GUARD_BYTES = _GUARD.encode()

# What makes calamine's values differ from openpyxl's (see the module docstring), searched in
# the sheet's <sheetData> (tags without a namespace prefix, else openpyxl reads the sheet). Each
# pattern starts with a literal, which the regular expression engine finds fast.
_TYPE_ED = re.compile(rb"<c [^>]*\bt=[\"'][ed][\"']")              # error value, ISO date
_TYPE_ED_LITERALS = (b't="e"', b"t='e'", b't="d"', b"t='d'")
_CELL_OBSTACLES = (
    # a number openpyxl reads as a float although whole («2.0», «1E+3»), or as an int beyond
    # a float's precision (16 digits and more); a value starting or ending with white space
    re.compile(rb"<v>(?:[+-]?(?:\d{16,}|\d*\.0*|\d*\.?\d+[eE][+-]?\d+)</v>|\s|[^<]*\s</v>)"),
    # a text starting or ending with white space without xml:space="preserve" (calamine trims
    # it, openpyxl keeps it)
    re.compile(rb"<t>(?:\s|[^<]*\s</t>)"),
)
# a formula element (<f>…</f> or <f …/>) followed by no value, or an empty one, then </c>
_FORMULA_NO_VALUE = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")
#: texts openpyxl reads as «» and calamine as an empty cell; phonetic runs; odd tags
_CELL_LITERALS = (b"<t/>", b"<t></t>", b'<t xml:space="preserve"></t>',
                  b'<t xml:space="preserve"/>', b"<rPh", b"<v ")
#: the main namespace, declared once as the default one: tags in <sheetData> have no prefix
_MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_MAIN_DEFAULT = b'xmlns="' + _MAIN_NS + b'"'
_NAME_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")
_XML_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*<(?:\?xml[^>]*encoding\s*=\s*[\"']utf-8[\"']"
                        rb"|\?xml(?![^>]*encoding)|[^?])", re.IGNORECASE)
_ROW_REF = re.compile(rb'<row r="(\d+)"')
_WIDE_REF = re.compile(rb'<c r="[A-Za-z]{3}')
_COL_REF = re.compile(rb'<c r="([A-Za-z]{1,3})\d')
#: columns A to ZZ
_NARROW_COLUMNS = 702
#: Builtin number formats that show a number as a number or text (openpyxl's table): General,
#: 0, 0.00, #,##0, #,##0.00, currencies, scientific, fractions, accounting, text «@».
_PLAIN_BUILTIN = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, *range(37, 45), 48, 49})
_QUOTED = re.compile(r'"[^"]*"|\\.|_.|\*.')
_BRACKET = re.compile(r"\[[^\]]*\]")
_DURATION = re.compile(r"\[(?:h+|m+|s+)\]", re.IGNORECASE)


class NeedOpenpyxl(Exception):
    """Raised while reading a sheet whose values calamine would give differently."""


def plain_number_format(code: str) -> bool:
    """True when a number format shows numbers as numbers (no date, time or percentage).

    Conservative: any letter left once quoted text, escapes, «General», colours, conditions
    and the scientific «E+»/«E-» are taken out makes the format not plain.
    """
    if _DURATION.search(code):
        return False
    rest = _BRACKET.sub("", _QUOTED.sub("", code))
    rest = re.sub(r"(?i)general", "", rest)
    rest = re.sub(r"[eE][+-]", "", rest)
    return "%" not in rest and not re.search(r"[A-Za-z]", rest)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _rels(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(id, type, target part) of the relationships of ``part`` ("" for the package)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    root = ElementTree.fromstring(zf.read(rels))
    out = []
    for el in root:
        if _local(el.tag) != "Relationship" or el.get("TargetMode") == "External":
            continue
        target = el.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        out.append((el.get("Id", ""), el.get("Type", ""), target))
    return out


def _special_styles(zf: zipfile.ZipFile, part: str | None) -> bool:
    """True when a cell style of ``styles.xml`` has a format that is not plain numbers/text."""
    if part is None:
        return False
    root = ElementTree.fromstring(zf.read(part))
    custom: dict[int, str] = {}
    xfs: list[int] = []
    for el in root:
        name = _local(el.tag)
        if name == "numFmts":
            for f in el:
                custom[int(f.get("numFmtId", "0"))] = f.get("formatCode", "")
        elif name == "cellXfs":
            xfs = [int(x.get("numFmtId", "0")) for x in el if _local(x.tag) == "xf"]
    for fid in xfs:
        if fid in custom:
            if not plain_number_format(custom[fid]):
                return True
        elif fid not in _PLAIN_BUILTIN:
            return True
    return False


def _sheet_shape(cells: bytes) -> tuple[int, int] | None:
    """(rows, columns) from A1 to the last cell of a sheet's <sheetData> (an upper bound of
    the columns when that bound is small enough); None when a row or cell has no reference or
    the reference is not the first attribute (calamine would place it itself)."""
    rows = [int(r) for r in _ROW_REF.findall(cells)]
    if len(rows) != cells.count(b"<row ") + cells.count(b"<row>"):
        return None
    if cells.count(b'<c r="') != cells.count(b"<c ") + cells.count(b"<c>"):
        return None
    nrows = max(rows, default=0)
    if not _WIDE_REF.search(cells) and nrows * _NARROW_COLUMNS <= DENSE_CELLS_MAX:
        return (nrows, _NARROW_COLUMNS)
    ncols = 0
    for letters in set(_COL_REF.findall(cells)):
        n = 0
        for ch in letters.upper():
            n = n * 26 + ch - 64
        ncols = max(ncols, n)
    return (nrows, ncols)


def _sheet_obstacle(data: bytes) -> str | None:
    """Why calamine would read this sheet's XML differently from openpyxl, or None."""
    if not _XML_START.match(data) or _GUARD_BYTES in data:
        return "encoding"
    start = data.find(b"<sheetData")
    if start < 0 or data.count(_MAIN_NS) != 1 or _MAIN_DEFAULT not in data[:start]:
        return "namespaces (tags with a prefix?)"
    end = data.find(b"</sheetData>", start)
    cells = data[start:] if end < 0 else data[start:end]
    if (any(lit in cells for lit in _CELL_LITERALS)
            or cells.count(b"<t ") != cells.count(b'<t xml:space="preserve">')
            or any(p.search(cells) for p in _CELL_OBSTACLES)
            or (any(lit in cells for lit in _TYPE_ED_LITERALS) and _TYPE_ED.search(cells))
            or (b"<f" in cells and _FORMULA_NO_VALUE.search(cells))):
        return "cells"
    shape = _sheet_shape(cells)
    if shape is None:
        return "cells without a reference"
    if shape[0] * shape[1] > DENSE_CELLS_MAX:
        return f"{shape[0]} rows × {shape[1]} columns"
    return None


_SHEET_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SST_HEAD = (f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{_SHEET_MAIN}">').encode()
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _shared_strings(data: bytes) -> bytes | None:
    """The shared strings as openpyxl reads them, written back plainly for calamine.

    openpyxl's table (``openpyxl.reader.strings.read_string_table``): each ``<si>``'s text and
    the texts of its runs, joined, with every «x005F_» taken out. Written back one ``<t>`` per
    string, spaces kept, «_x» guarded. None when a string has phonetic runs or a shape openpyxl
    might read otherwise (several texts, a text that is not a direct child).
    """
    if not _XML_START.match(data) or _GUARD_BYTES in data:
        return None
    t_tag, r_tag, si_tag = (f"{{{_SHEET_MAIN}}}{n}" for n in ("t", "r", "si"))
    out = [_SST_HEAD]
    for _, el in ElementTree.iterparse(io.BytesIO(data)):
        if el.tag != si_tag:
            continue
        texts = [c for c in el if c.tag == t_tag]
        if len(texts) > 1 or any(c.tag not in (t_tag, r_tag) for c in el):
            return None
        snippets = [texts[0].text or ""] if texts else []
        for run in el.iter(r_tag):
            ts = [c for c in run if c.tag == t_tag]
            if len(ts) > 1:
                return None
            if ts:
                snippets.append(ts[0].text or "")
        text = "".join(snippets).replace("x005F_", "")
        out.append(b'<si><t xml:space="preserve">' + text.translate(_XML_ESCAPES).encode()
                   + b"</t></si>")
        el.clear()
    out.append(b"</sst>")
    return b"".join(out)


def _guarded(data: bytes) -> bytes:
    return data.replace(b"_x", b"_" + _GUARD_BYTES + b"x") if b"_x" in data else data


@dataclass
class FastBook:
    """A workbook read with calamine (see :func:`open_fast`)."""

    path: Path
    #: worksheets in workbook order: title -> (hidden, the sheet's XML or why openpyxl must
    #: read it)
    sheets: dict[str, tuple[bool, bytes | str]]
    _book: Any = field(repr=False)
    #: values may hold :data:`_GUARD` (taken out)
    _guard: bool = False

    @property
    def titles(self) -> list[str]:
        """The worksheets' names in workbook order (chart sheets left out, as openpyxl)."""
        return list(self.sheets)

    def hidden(self, title: str) -> bool:
        """True when the sheet is hidden or very hidden."""
        return self.sheets[title][0]

    def rows(self, title: str, max_col: int | None = None) -> list[tuple]:
        """The rows of a sheet, row 1 first, as openpyxl's ``values_only`` gives them.

        Parameters
        ----------
        title : str
            A name of :attr:`titles`.
        max_col : int, optional
            Keep only the first ``max_col`` cells of each row.

        Raises
        ------
        NeedOpenpyxl
            When the sheet holds something calamine reads differently (module docstring).
        """
        hidden, xml = self.sheets[title]
        why = xml if isinstance(xml, str) else _sheet_obstacle(xml)
        if why is not None:
            self.sheets[title] = (hidden, why)
            raise NeedOpenpyxl(f"«{title}»: {why}")
        grid = self._book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        value = _guarded_value if self._guard else _value
        out = []
        for row in grid:
            if max_col is not None:
                row = row[:max_col]
            out.append(tuple([value(v) for v in row]))
        while out and all(v is None for v in out[-1]):
            out.pop()
        return out

    def close(self) -> None:
        """Release calamine's workbook."""
        self._book.close()


def _value(v: Any) -> Any:
    t = v.__class__
    if t is str:
        return None if v == "" else v
    if t is float:
        return int(v) if v.is_integer() and -INT_LIMIT < v < INT_LIMIT else v
    if t is bool or t is int:
        return v
    raise NeedOpenpyxl(f"value of type {t.__name__}")  # no dates without date formats


def _guarded_value(v: Any) -> Any:
    if v.__class__ is str and _GUARD in v:
        return v.replace(_GUARD, "")
    return _value(v)


def open_fast(path: Path) -> FastBook | None:
    """The workbook read with calamine, or None when openpyxl must read it.

    Never raises: anything unusual (a part missing, a number format, a sheet type, calamine
    failing to open it) answers None, and openpyxl reads the workbook as before, with its
    findings. A sheet openpyxl must read is known here already (:meth:`FastBook.rows` raises
    :class:`NeedOpenpyxl` for it).
    """
    try:
        import python_calamine
    except ImportError:  # pragma: no cover - a dependency; openpyxl still reads everything
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            doc = next((t for _, typ, t in _rels(zf, "") if typ.endswith(_REL_DOC)), None)
            if doc is None or doc not in names:
                return None
            rels = _rels(zf, doc)
            by_id = {rid: (typ, target) for rid, typ, target in rels}
            styles = next((t for _, typ, t in rels if typ.endswith(_REL_STYLES)), None)
            strings = next((t for _, typ, t in rels if typ.endswith(_REL_STRINGS)), None)
            if any(p is not None and p not in names for p in (styles, strings)):
                return None
            if _special_styles(zf, styles):
                return None
            book_xml = zf.read(doc)
            if not _XML_START.match(book_xml) or _NAME_ESCAPE.search(book_xml):
                return None
            sheets: dict[str, tuple[bool, bytes | str]] = {}
            parts: dict[str, bytes] = {}
            if strings is not None:
                if zf.getinfo(strings).file_size > SHEET_XML_MAX:
                    return None
                table = _shared_strings(zf.read(strings))
                if table is None:
                    return None
                parts[strings] = table
            for el in ElementTree.fromstring(book_xml).iter():
                if _local(el.tag) != "sheet":
                    continue
                typ, target = by_id.get(el.get(_NS_R, ""), ("", ""))
                if typ.endswith(_REL_CHART):
                    continue
                if not typ.endswith(_REL_SHEET) or target not in names:
                    return None
                hidden = el.get("state", "visible") != "visible"
                size = zf.getinfo(target).file_size
                if size > SHEET_XML_MAX or sum(map(len, parts.values())) + size > PARTS_MAX:
                    sheets[el.get("name", "")] = (hidden, "sheet XML too large to hold")
                    continue
                data = zf.read(target)
                sheets[el.get("name", "")] = (hidden, data)  # checked when read
                parts[target] = data
            guard = any(b"_x" in data for data in parts.values())
            if guard or strings is not None:  # the package with the parts rewritten
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
                    for info in zf.infolist():
                        data = parts[info.filename] if info.filename in parts else zf.read(info)
                        out.writestr(info.filename, _guarded(data) if info.filename in parts
                                     else data)
                buf.seek(0)
                book = python_calamine.CalamineWorkbook.from_filelike(buf)
            else:
                book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception:  # noqa: BLE001 - openpyxl reads it and says what is wrong
        return None
    kinds = {m.name: m.typ for m in book.sheets_metadata}
    work = python_calamine.SheetTypeEnum.WorkSheet
    if [n for n in book.sheet_names if kinds.get(n) == work] != list(sheets):
        book.close()
        return None
    return FastBook(path, sheets, book, guard)
