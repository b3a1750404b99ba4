"""The Excel fill-in template, and data frames written into its layout.

``write_template(out)`` writes the workbook that districts fill in:

* sheet «Hướng dẫn»: how to fill it in, then one section per table with its description and a
  list of its columns (header, code, kind, required, help, allowed values);
* one sheet per table, named by ``title_vi`` (cut to Excel's 31 characters): row 1 holds the
  Vietnamese headers (orange = required, blue = optional), row 2 the column codes (small grey
  italics), data start at row 3; panes frozen under row 2; dropdown lists for every enum and
  yes/no column, whole-number checks for counts (≥ 0) and years (plan period), number formats;
* a hidden sheet «Danh mục» with the labels of every vocabulary, which the dropdowns reference
  by range (labels contain commas, and Excel's inline lists stop at 255 characters).

``analysis.data.intake`` recognises both header rows, skips «Hướng dẫn» and «Danh mục», and
reads the data from row 3. ``write_workbook(tables, out)`` fills the same layout with data
frames (enum codes written as their labels, yes/no as «Có»/«Không»).

Output bytes are deterministic: the workbook is serialised by
:func:`analysis.reproducible.workbook_bytes` (document dates and zip member times from
``SOURCE_DATE_EPOCH``) and written atomically.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import params
from analysis.atomic import atomic_write_bytes
from analysis.data import schema
from analysis.reproducible import build_datetime, workbook_bytes
from analysis.textsafe import (  # noqa: F401 - re-exported
    ESCAPED_UNDERSCORE,
    EXCEL_ESCAPE_LIKE,
    cell_value,
    excel_text,
    harden_workbook,
    unescape_text,
)

INSTRUCTIONS_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
#: Cover and code-list sheets of the pre-filled workbooks (:mod:`analysis.data.prefill`);
#: intake skips them like the two sheets above.
COVER_SHEET = "Thông tin"
PREFILLED_SHEET = "Mã in sẵn"
#: Columns whose header starts with this are references (names, previous year's values) in
#: pre-filled workbooks: intake never reads them as data.
REFERENCE_PREFIX = "Tham khảo"
# OOXML escapes (``_x`` + hex digits + ``_``): the helpers live in :mod:`analysis.textsafe`;
# re-exported here, where the readers of returned workbooks import them.

#: First data row of every table sheet (row 1 headers, row 2 column codes).
FIRST_DATA_ROW = 3

_REQUIRED_FILL = "FCE4D6"
_OPTIONAL_FILL = "DDEBF7"
_CODE_FILL = "F2F2F2"
_LAST_ROW = 1048576
_NUMBER_FORMATS = {"count": "#,##0", "year": "0", "code": "@", "text": "@"}
_KIND_VI = {
    "code": "mã (chữ thường không dấu, chữ số, «_»)",
    "text": "chữ",
    "year": "năm",
    "count": "số nguyên ≥ 0",
    "bool": "Có / Không",
    "enum": "chọn trong danh sách",
}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(table: schema.Table) -> str:
    """The sheet name of a table in the template (``title_vi``, at most 31 characters)."""
    return _BAD_SHEET_CHARS.sub(" ", table.title_vi).strip()[:31]


def write_template(out: Path) -> Path:
    """Write the empty fill-in workbook to ``out``; return the path."""
    return save(_build({}), Path(out))


def write_workbook(tables: Mapping[str, pd.DataFrame], out: Path) -> Path:
    """Write data frames into the template layout (data from row 3); return the path.

    ``tables`` maps table names to frames with schema columns (as returned by
    ``read_input``); absent tables get an empty sheet, extra columns are ignored.
    """
    return save(_build(tables), Path(out))


# --- building --------------------------------------------------------------------------------
def _build(tables: Mapping[str, pd.DataFrame]) -> Any:
    from openpyxl import Workbook

    plan = params.plan()
    years = (int(plan["first_year"]), int(plan["last_year"]))
    wb = Workbook()
    intro = wb.active
    intro.title = INSTRUCTIONS_SHEET
    ranges = list_ranges()
    write_instructions(intro, years, plan)
    for table in schema.tables().values():
        ws = wb.create_sheet(sheet_name(table))
        write_table_sheet(ws, table, years, ranges)
        frame = tables.get(table.name)
        if frame is not None and len(frame):
            write_rows(ws, table, frame)
    lists = wb.create_sheet(LISTS_SHEET)
    write_lists(lists)
    lists.sheet_state = "hidden"
    wb.active = 0

    stamp = build_datetime()
    props = wb.properties
    props.created = stamp
    props.modified = stamp
    props.creator = "tccsd-review"
    props.lastModifiedBy = None
    props.title = "Mẫu nhập liệu rà soát chất lượng TCCSĐ và đảng viên"
    props.language = "vi-VN"
    return wb


def list_ranges() -> dict[str, str]:
    """Vocabulary name -> absolute range of its labels in the «Danh mục» sheet."""
    from openpyxl.utils import get_column_letter

    out = {}
    for j, (name, vocab) in enumerate(schema.vocabularies().items(), start=1):
        col = get_column_letter(j)
        out[name] = f"'{LISTS_SHEET}'!${col}$2:${col}${1 + len(vocab.labels)}"
    return out


def write_lists(ws: Any) -> None:
    """Fill the hidden «Danh mục» sheet with the labels of every vocabulary."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for j, (name, vocab) in enumerate(schema.vocabularies().items(), start=1):
        ws.cell(row=1, column=j, value=name).font = Font(bold=True)
        for i, label in enumerate(vocab.labels, start=2):
            ws.cell(row=i, column=j, value=label)
        ws.column_dimensions[get_column_letter(j)].width = 30


def write_table_sheet(ws: Any, table: schema.Table, years: tuple[int, int],
                       ranges: dict[str, str]) -> None:
    """Lay out one table sheet: the two header rows, dropdowns, whole-number checks, formats."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    thin = Side(style="thin", color="A6A6A6")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for j, col in enumerate(table.columns, start=1):
        letter = get_column_letter(j)
        head = ws.cell(row=1, column=j, value=col.header_vi)
        head.font = Font(bold=True)
        head.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        head.fill = PatternFill("solid", fgColor=_REQUIRED_FILL if col.required else _OPTIONAL_FILL)
        head.border = border
        code = ws.cell(row=2, column=j, value=col.name)
        code.font = Font(italic=True, size=8, color="808080")
        code.alignment = Alignment(horizontal="center")
        code.fill = PatternFill("solid", fgColor=_CODE_FILL)
        code.border = border
        dim = ws.column_dimensions[letter]
        dim.width = max(10.0, min(30.0, max(len(col.header_vi) * 0.55, len(col.name) * 0.8) + 3))
        if col.type in _NUMBER_FORMATS:
            dim.number_format = _NUMBER_FORMATS[col.type]

        dv = _validation(col, years, ranges, DataValidation)
        if dv is not None:
            dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{_LAST_ROW}")
            ws.add_data_validation(dv)
    ws.row_dimensions[1].height = 60
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"


def _validation(col: schema.Column, years: tuple[int, int], ranges: dict[str, str],
                factory: Any) -> Any:
    prompt = (col.help_vi or "")[:255] or None
    common = {"allow_blank": True, "showErrorMessage": True, "showInputMessage": bool(prompt),
              "prompt": prompt, "promptTitle": col.header_vi[:32] if prompt else None,
              "errorTitle": "Giá trị không hợp lệ"}
    if col.type in ("enum", "bool"):
        vocab = col.vocabulary if col.type == "enum" else "yes_no"
        return factory(type="list", formula1=ranges[vocab],
                       error="Hãy chọn một giá trị trong danh sách.", **common)
    if col.type == "count":
        return factory(type="whole", operator="greaterThanOrEqual", formula1="0",
                       error="Cần một số nguyên không âm.", **common)
    if col.type == "year":
        return factory(type="whole", operator="between", formula1=str(years[0]),
                       formula2=str(years[1]),
                       error=f"Cần một năm từ {years[0]} đến {years[1]}.", **common)
    if prompt:
        return factory(showInputMessage=True, prompt=prompt, promptTitle=col.header_vi[:32],
                       allow_blank=True)
    return None


def write_instructions(ws: Any, years: tuple[int, int], plan: Mapping[str, Any]) -> None:
    """Fill the «Hướng dẫn» sheet: how to fill the workbook, then each table and its columns."""
    from openpyxl.styles import Alignment, Font, PatternFill

    first, last = years
    widths = {"A": 38, "B": 24, "C": 24, "D": 10, "E": 70}
    for letter, w in widths.items():
        ws.column_dimensions[letter].width = w
    total_width = sum(widths.values())
    row = 1

    def paragraph(text: str, *, bold: bool = False, size: float = 11) -> None:
        nonlocal row
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = Font(bold=bold, size=size)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        lines = max(1, math.ceil(len(text) * size / 11 / (total_width * 1.1)))
        ws.row_dimensions[row].height = 15 * lines * size / 11 + 2
        row += 1

    paragraph(f"MẪU NHẬP LIỆU — RÀ SOÁT CHẤT LƯỢNG TỔ CHỨC CƠ SỞ ĐẢNG VÀ ĐẢNG VIÊN "
              f"{first}–{last}", bold=True, size=14)
    if plan.get("resolution_title_vi"):
        paragraph(str(plan["resolution_title_vi"]))
    row += 1
    paragraph("Cách nhập số liệu", bold=True, size=12)
    tables = schema.tables()
    names = ", ".join(f"«{sheet_name(t)}»" for t in tables.values())
    for text in (
        f"1. Mỗi bảng (sheet) {names} là một loại số liệu. Dòng 1 là tên cột, dòng 2 là mã "
        "cột: không sửa, không xóa hai dòng này. Nhập số liệu từ dòng 3 trở đi.",
        "2. Ở các bảng số liệu theo năm, mỗi dòng là một đơn vị trong một năm (mỗi năm một "
        f"dòng). Cột «Năm» ghi năm của số liệu (với xếp loại chất lượng: năm được đánh giá), "
        f"từ {first} đến {last}. Không ghi dòng tổng cộng: phần mềm tự cộng từ các dòng.",
        "3. Cột có tên tô màu cam là bắt buộc; cột tô màu xanh để trống khi không có số liệu "
        "hoặc không áp dụng.",
        "4. Số lượng ghi số nguyên không âm, không ghi dấu % hay chữ. Cột có mũi tên thì chọn "
        "một giá trị trong danh sách; cột Có/Không chọn «Có» hoặc «Không».",
        "5. Mã (mã đơn vị, mã TCCSĐ, mã xã, mã thôn…) viết chữ thường không dấu, chữ số và "
        "dấu gạch dưới, ví dụ «yen_dung». Mã dùng để nối các bảng với nhau nên phải ghi thống "
        "nhất với bảng «Đơn vị».",
        "6. KHÔNG ghi họ tên hay thông tin cá nhân (ngày sinh, số căn cước, điện thoại…) của "
        "bất kỳ ai, kể cả cán bộ chủ chốt: phần mềm không cần các thông tin này và sẽ bỏ qua "
        "các cột đó.",
        "7. Có thể chỉ nhập bảng «Tổng hợp» (số liệu tổng hợp của mỗi đảng bộ trực thuộc Tỉnh "
        "ủy trong mỗi năm), hoặc nhập số liệu chi tiết ở các bảng «TCCSĐ», «Thôn», «Cán bộ chủ "
        "chốt xã». Nơi có cả hai, phần mềm dùng số liệu chi tiết và đối chiếu với số tổng hợp.",
        "8. Lưu tệp dạng Excel Workbook (.xlsx). Kiểm tra tệp bằng lệnh: "
        "python -m analysis validate <đường dẫn tới tệp .xlsx>. Phần mềm liệt kê từng lỗi theo "
        "tệp, bảng, dòng và cột như Excel hiển thị; sửa hết lỗi rồi mới lập báo cáo.",
    ):
        paragraph(text)

    from openpyxl.styles import Font as _Font

    head_fill = PatternFill("solid", fgColor=_OPTIONAL_FILL)
    for table in tables.values():
        row += 1
        paragraph(f"Bảng «{sheet_name(table)}»", bold=True, size=12)
        paragraph(table.description_vi)
        keys = " + ".join(f"«{table.column(k).header_vi}»" for k in table.key)
        paragraph(f"Mỗi dòng xác định bởi {keys}: không được có hai dòng trùng nhau.")
        for j, label in enumerate(("Cột", "Mã cột", "Kiểu", "Bắt buộc", "Ghi chú, giá trị hợp lệ"),
                                  start=1):
            cell = ws.cell(row=row, column=j, value=label)
            cell.font = _Font(bold=True)
            cell.fill = head_fill
        row += 1
        for col in table.columns:
            kind = _KIND_VI[col.type]
            if col.type == "year":
                kind = f"năm ({first}–{last})"
            note = col.help_vi or ""
            if col.type == "enum":
                labels = "; ".join(schema.vocabularies()[col.vocabulary or ""].labels)
                note = f"{note} Giá trị: {labels}.".strip()
            values = (col.header_vi, col.name, kind, "có" if col.required else "", note)
            for j, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=j, value=value)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            lines = max(1, math.ceil(len(note) / 75), math.ceil(len(col.header_vi) / 40))
            ws.row_dimensions[row].height = 15 * lines + 1
            row += 1


def write_rows(ws: Any, table: schema.Table, frame: pd.DataFrame) -> None:
    """Write ``frame``'s rows under the headers (enum codes as labels, yes/no as «Có»/«Không»)."""
    vocabs = schema.vocabularies()
    yes, no = (vocabs["yes_no"].entry(c)["label_vi"] for c in ("co", "khong"))
    n = len(frame)
    columns: list[list[Any]] = []
    for col in table.columns:
        if col.name not in frame:
            columns.append([None] * n)
            continue
        s = frame[col.name].astype(object)
        values = [None if is_blank(v) else v for v in s.tolist()]
        if col.type == "enum":
            labels = {e["code"]: e["label_vi"] for e in vocabs[col.vocabulary or ""].entries}
            values = [labels.get(str(v), v) if v is not None else None for v in values]
        elif col.type == "bool":
            values = [None if v is None else (yes if bool(v) else no) for v in values]
        elif col.type in ("count", "year"):
            values = [None if v is None else int(v) for v in values]
        else:
            values = [None if v is None else cell_value(str(v)) for v in values]
        columns.append(values)
    for values in zip(*columns, strict=True):
        ws.append(values)
    for j, col in enumerate(table.columns, start=1):
        fmt = _NUMBER_FORMATS.get(col.type)
        if fmt is None:
            continue
        for (cell,) in ws.iter_rows(min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW + n - 1,
                                    min_col=j, max_col=j):
            cell.number_format = fmt


def is_blank(v: Any) -> bool:
    """Whether a cell value is empty (None, ``pd.NA`` or NaN)."""
    if v is None or v is pd.NA:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --- saving -----------------------------------------------------------------------------------
def save(wb: Any, out: Path) -> Path:
    """Write a template workbook to ``out``, reproducibly and atomically; return ``out``."""
    # 0o644 zip entries: the templates' bytes as they have always been (the other workbooks 0o600)
    atomic_write_bytes(out, workbook_bytes(wb, entry_mode=0o644))
    return out
