"""Workbook sources: refusing what is not a workbook (archives, zip bombs, ``.xls``), the
sheets read with calamine (:func:`fast_sheets`) or openpyxl (:func:`workbook_sheet`),
percent formats read as shown, and formulas Excel never computed.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from analysis.data import workbook_values
from analysis.data.findings import ERROR, WARNING, Finding
from analysis.data.reading.common import HEADER_SCAN_ROWS, debug, int_vi
from analysis.data.reading.sources import Sheet

# --- limits (module constants so that tests can lower them) --------------------------------
#: Refuse a workbook whose members add up to more than this when uncompressed.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: Refuse a workbook compressed more than this many times (checked above RATIO_MIN_BYTES).
MAX_COMPRESSION_RATIO = 100
#: Small files may legitimately compress very well; the ratio test starts above this size.
RATIO_MIN_BYTES = 1024 * 1024

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
FORMAT_NAMES = {
    ".xls": "Excel 97–2003 (.xls)",
    ".xlsb": "Excel nhị phân (.xlsb)",
    ".ods": "OpenDocument (.ods)",
    ".numbers": "Apple Numbers (.numbers)",
    ".xltx": "mẫu Excel (.xltx)",
    ".xltm": "mẫu Excel (.xltm)",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SAVE_AS_XLSX = "hãy mở bằng Excel và lưu lại dạng .xlsx (Excel Workbook)"
# A formula element (<f>…</f> or <f …/>) followed by no value, or an empty one, then </c>.
_FORMULA_NO_VALUE = re.compile(
    rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)


# --- workbook sources -----------------------------------------------------------------------
#: Archives: unpacked by the user, never by the reader.
ARCHIVE_SUFFIXES = {".zip": "ZIP", ".rar": "RAR", ".7z": "7-Zip", ".gz": "gzip", ".tar": "tar"}


def archive_finding(name: str, members: list[str] | None = None, renamed: bool = False,
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


def zip_members(path: Path) -> list[str]:
    """Names inside a zip archive (nothing extracted), or [] when it is not one."""
    try:
        with zipfile.ZipFile(path) as zf:
            return [unicodedata.normalize("NFC", n) for n in zf.namelist()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return []


def check_workbook_file(path: Path) -> Finding | None:
    """Refuse files that are not zip workbooks, and zip bombs, before openpyxl sees them."""
    name = path.name
    with open(path, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(_OLE_MAGIC):
        return Finding(
            ERROR, "unreadable_format",
            f"Tệp «{name}» có định dạng Excel 97–2003 (.xls) hoặc được đặt mật khẩu nên không "
            f"đọc được; {SAVE_AS_XLSX}, không đặt mật khẩu.",
            file=name,
        )
    if not zipfile.is_zipfile(path):
        return Finding(
            ERROR, "corrupt_file",
            f"Tệp «{name}» bị hỏng hoặc không phải bảng tính Excel; {SAVE_AS_XLSX}.",
            file=name,
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return Finding(
            ERROR, "corrupt_file",
            f"Tệp «{name}» bị hỏng (không giải nén được); {SAVE_AS_XLSX}.",
            file=name,
        )
    total = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    ratio = total / packed
    too_big = total > MAX_UNCOMPRESSED_BYTES
    if too_big or (total > RATIO_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO):
        return Finding(
            ERROR, "zip_bomb",
            f"Tệp «{name}» khi giải nén lên tới {int_vi(total / 1024**2)} MB (gấp "
            f"{int_vi(ratio)} lần "
            "kích thước tệp): có thể là tệp hỏng hoặc tệp độc hại, nên không được đọc. Hãy "
            "kiểm tra lại tệp, xóa các dòng, cột thừa hoặc chia số liệu thành nhiều tệp.",
            file=name,
        )
    # a zip of other files renamed .xlsx (no workbook part; ODS has its «mimetype»)
    names = [i.filename for i in infos]
    if not any(n.startswith("xl/") or n in ("[Content_Types].xml", "mimetype") for n in names):
        return archive_finding(name, names, renamed=True)
    return None


def fast_sheets(path: Path) -> list[Sheet] | None:
    """The sheets of a workbook read with calamine (:mod:`analysis.data.workbook_values`), or
    None when openpyxl must read it: the same values, about ten times faster."""
    book = workbook_values.open_fast(path)
    if book is None:
        return None
    try:
        out = []
        for title in book.titles:
            rows = book.rows(title)
            out.append(Sheet(
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
        if debug():
            raise
        return None
    finally:
        book.close()


def workbook_sheet(path: Path, wb: Any, ws: Any) -> Sheet:
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

    return Sheet(file=path.name, sheet=ws.title, head=head, rows=rows,
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
