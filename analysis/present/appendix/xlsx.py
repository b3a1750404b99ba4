"""The Excel appendix: one sheet per appendix table, an index sheet, reproducible bytes.

Layout of a sheet ("PL1", "PL2", …), the same as :func:`~.html.appendix_html`:

1. title row "Phụ lục 1. <title>" (merged, bold);
2. unit row "Đơn vị tính: %" (right);
3. header row STT | Đơn vị | Năm 2015 (%) | … (bold, filled, wrapped, bordered);
4. group headings (I, II), units numbered 1, 2, …, the "Toàn tỉnh" row in bold;
5. notes and "Nguồn: …" under the table.

Numbers are stored as numbers (never text): a percent as e.g. ``88.4`` with number format
``0.0``, a count as an integer with ``#,##0``; Excel shows them with the reader's own decimal
and thousands separators. The only text cells are the ``"<3"`` and ``"x"`` of a table in
publishing mode (:mod:`analysis.present.appendix.specs`), so the cells still shown stay numbers.
The total row holds values, not formulas, so the file reads the same without recalculation;
for a count table it equals the sum of the rows (checked upstream by
:func:`~.frame.appendix_frame`), hidden cells included.

Reproducible: the workbook is serialised by :func:`analysis.reproducible.workbook_bytes`
(dates from ``SOURCE_DATE_EPOCH``), so two writes of the same tables are byte-identical, and
written with :func:`analysis.atomic.atomic_write_bytes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.atomic import atomic_write_bytes
from analysis.present.appendix.frame import DEFAULT_SOURCE_VI
from analysis.present.appendix.ratings import rating_header, rating_notes, share_of
from analysis.present.appendix.table import (
    appendix_layout,
    appendix_notes,
    frame_unit,
    year_header,
)
from analysis.reproducible import workbook_bytes as serialise_workbook

__all__ = ["INDEX_SHEET", "workbook_bytes", "write_appendix_xlsx"]

INDEX_SHEET = "Mục lục"
FONT_NAME = "Times New Roman"
_NUMBER_FORMATS = {"percent": "0.0", "count": "#,##0"}
_HEADER_ROW = 3
_FIRST_DATA_ROW = 4


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="000000")
    return {
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "title": Font(name=FONT_NAME, size=13, bold=True),
        "unit": Font(name=FONT_NAME, size=11, italic=True),
        "header": Font(name=FONT_NAME, size=11, bold=True),
        "body": Font(name=FONT_NAME, size=11),
        "bold": Font(name=FONT_NAME, size=11, bold=True),
        "note": Font(name=FONT_NAME, size=10, italic=True),
        "link": Font(name=FONT_NAME, size=11, color="0563C1", underline="single"),
        "fill": PatternFill(fill_type="solid", start_color="D9D9D9", end_color="D9D9D9"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "left": Alignment(horizontal="left", vertical="center", wrap_text=True),
        "right": Alignment(horizontal="right", vertical="center"),
    }


def _sheet_name(number: Any) -> str:
    return f"PL{number}"


def _number(value: float | str | None, unit: str) -> float | int | str | None:
    """A real number for the cell (``int`` for whole counts); text stays text.

    Text is a cell hidden in publishing mode (``"<3"``, ``"x"``: :mod:`~.suppress`),
    written as a string so that every cell still shown remains a number Excel can sum.
    """
    if value is None or isinstance(value, str):
        return value
    if unit == "count" and float(value).is_integer():
        return int(value)
    return float(value)


def _write_heading(ws, spec: Mapping[str, Any], unit_line: str | None, n_cols: int,
                   styles: dict[str, Any]) -> None:
    """Rows 1-2 of an appendix sheet: «Phụ lục N. title» and the unit line, merged across."""
    from openpyxl.utils import get_column_letter

    last = get_column_letter(n_cols)
    ws["A1"] = f"Phụ lục {spec['number']}. {spec['title_vi']}"
    ws["A1"].font = styles["title"]
    ws["A1"].alignment = styles["center"]
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 33
    ws.cell(row=2, column=1, value=unit_line)
    ws.merge_cells(f"A2:{last}2")
    ws["A2"].font = styles["unit"]
    ws["A2"].alignment = styles["right"]


def _write_headers(ws, headers: list[str], styles: dict[str, Any]) -> None:
    """The column header row of an appendix sheet."""
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(row=_HEADER_ROW, column=col, value=text)
        cell.font = styles["header"]
        cell.fill = styles["fill"]
        cell.alignment = styles["center"]
        cell.border = styles["border"]
    ws.row_dimensions[_HEADER_ROW].height = 31


def _finish_sheet(ws, first_row: int, lines: list[str], n_cols: int, name_width: int,
                  value_width: int, styles: dict[str, Any]) -> None:
    """The note lines from ``first_row``, the column widths, frozen panes and print setup."""
    from openpyxl.utils import get_column_letter

    for r, line in enumerate(lines, start=first_row):
        ws.cell(row=r, column=1, value=line).font = styles["note"]
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = name_width
    for i in range(n_cols - 2):
        ws.column_dimensions[get_column_letter(3 + i)].width = value_width
    ws.freeze_panes = ws.cell(row=_FIRST_DATA_ROW, column=3).coordinate
    _print_setup(ws, f"1:{_HEADER_ROW}")


def _write_table(ws, spec: Mapping[str, Any], styles: dict[str, Any]) -> None:

    frame = spec["frame"]
    unit_label = spec.get("unit_label") or ""
    unit = frame_unit(frame, unit_label)
    counts = spec.get("counts") if unit == "percent" else None
    years, rows = appendix_layout(frame, counts)
    n_cols = 2 + len(years) * (3 if counts else 1)

    _write_heading(ws, spec, f"Đơn vị tính: {unit_label}" if unit_label else None, n_cols,
                   styles)

    suffix = f" ({unit_label})" if unit_label else ""
    headers = ["STT", "Đơn vị", *[f"Năm {year_header(y, frame)}{suffix}" for y in years]]
    if counts:  # the counts to the right of the rates, so the rate columns stay where they are
        headers += [f"Tử số {year_header(y, frame)}" for y in years]
        headers += [f"Mẫu số {year_header(y, frame)}" for y in years]
    _write_headers(ws, headers, styles)

    number_format = _NUMBER_FORMATS[unit]
    r = _FIRST_DATA_ROW
    for row in rows:
        bold = row.kind in ("group", "total")
        font = styles["bold"] if bold else styles["body"]
        stt_value: int | str | None = int(row.stt) if row.stt.isdigit() else (row.stt or None)
        stt = ws.cell(row=r, column=1, value=stt_value)
        stt.alignment = styles["center"]
        name = ws.cell(row=r, column=2, value=row.label)
        name.alignment = styles["left"]
        for cell in (stt, name):
            cell.font = font
            cell.border = styles["border"]
        values = [None if row.kind == "group" else _number(v, unit) for v in row.values]
        formats = [number_format] * len(years)
        if counts:
            pairs = row.counts or [(None, None)] * len(years)
            values += [None if row.kind == "group" else _number(a, "count") for a, _ in pairs]
            values += [None if row.kind == "group" else _number(b, "count") for _, b in pairs]
            formats += [_NUMBER_FORMATS["count"]] * (2 * len(years))
        if row.kind == "group":
            values = [None] * (n_cols - 2)
        for i, (value, fmt) in enumerate(zip(values, formats, strict=True)):
            cell = ws.cell(row=r, column=3 + i, value=value)
            cell.number_format = fmt
            cell.alignment = styles["right"]
            cell.font = font
            cell.border = styles["border"]
        r += 1

    notes = appendix_notes(frame, unit, missing="Ô trống")
    if counts:
        notes.insert(1, "Các cột “Tử số”, “Mẫu số”: số đạt và tổng số được tính của mỗi tỷ lệ.")
    if spec.get("note_vi"):
        notes.insert(0, spec["note_vi"])
    lines = ["Ghi chú:", *[f"- {n}" for n in notes], spec.get("source_vi") or DEFAULT_SOURCE_VI]
    _finish_sheet(ws, r + 1, lines, n_cols, name_width=44, value_width=13, styles=styles)


def _write_rating_sheet(ws, spec: Mapping[str, Any], styles: dict[str, Any]) -> None:
    """A table of the Đảng bộ's size or ratings by level: one block per unit (the province
    first), counts per year, then each level's share of the rated (%) per year."""

    years = list(spec["years"])
    blocks = list(spec["blocks"])
    first = blocks[0][1]
    with_shares = bool(first.attrs.get("rating_rows"))
    n_cols = 2 + len(years) * (2 if with_shares else 1)
    _write_heading(ws, spec, f"Đơn vị tính: {spec.get('unit_label') or ''}", n_cols, styles)
    headers = ["STT", "Chỉ tiêu", *[f"Năm {rating_header(y, first)}" for y in years]]
    if with_shares:
        headers += [f"Tỷ lệ {rating_header(y, first)} (%)" for y in years]
    _write_headers(ws, headers, styles)
    r = _FIRST_DATA_ROW
    for name, frame in blocks:
        stt = ws.cell(row=r, column=1)
        head = ws.cell(row=r, column=2, value=name)
        for cell in (stt, head):
            cell.font = styles["bold"]
            cell.border = styles["border"]
        for col in range(3, n_cols + 1):
            ws.cell(row=r, column=col).border = styles["border"]
        r += 1
        for i, label in enumerate(frame.index, start=1):
            values = [_number(frame.at[label, y], "count") for y in years]
            formats = [_NUMBER_FORMATS["count"]] * len(years)
            if with_shares:
                shares = [share_of(frame, label, y) for y in years]
                values += [None if v is None else round(v, 1) for v in shares]
                formats += [_NUMBER_FORMATS["percent"]] * len(years)
            row = [i, label, *values]
            for col, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=col, value=None if _is_nan(value) else value)
                cell.font = styles["body"]
                cell.border = styles["border"]
                cell.alignment = styles["center"] if col == 1 else (
                    styles["left"] if col == 2 else styles["right"])
                if col > 2:
                    cell.number_format = formats[col - 3]
            r += 1
    notes = rating_notes(first)
    notes.append("Khối đầu là toàn tỉnh (tổng các đơn vị), sau đó từng đơn vị.")
    lines = ["Ghi chú:", *[f"- {n.replace('Ô có dấu “–”', 'Ô trống')}" for n in notes],
             DEFAULT_SOURCE_VI]
    _finish_sheet(ws, r + 1, lines, n_cols, name_width=60, value_width=12, styles=styles)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _print_setup(ws, title_rows: str | None) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    if title_rows:
        ws.print_title_rows = title_rows


def _write_index(ws, appendices: Sequence[Mapping[str, Any]], styles: dict[str, Any]) -> None:
    from openpyxl.worksheet.hyperlink import Hyperlink

    ws["A1"] = "Mục lục các phụ lục"
    ws["A1"].font = styles["title"]
    ws.merge_cells("A1:C1")
    for col, text in enumerate(["Phụ lục", "Tên bảng", "Trang tính"], start=1):
        cell = ws.cell(row=3, column=col, value=text)
        cell.font = styles["header"]
        cell.fill = styles["fill"]
        cell.alignment = styles["center"]
        cell.border = styles["border"]
    for i, spec in enumerate(appendices):
        r = 4 + i
        sheet = _sheet_name(spec["number"])
        values = [f"Phụ lục {spec['number']}", spec["title_vi"], sheet]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=value)
            cell.font = styles["body"]
            cell.border = styles["border"]
            cell.alignment = styles["left"]
        link = ws.cell(row=r, column=3)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!A1", display=sheet)
        link.font = styles["link"]
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 12
    ws.freeze_panes = "A4"
    _print_setup(ws, "1:3")


def _check(appendices: Sequence[Mapping[str, Any]]) -> None:
    if not appendices:
        raise ValueError("Không có phụ lục nào để ghi.")
    seen = set()
    for spec in appendices:
        for key in ("number", "title_vi", "blocks" if spec.get("kind") == "rating" else "frame"):
            if key not in spec:
                raise ValueError(f"Phụ lục thiếu trường '{key}': {sorted(spec)}")
        name = _sheet_name(spec["number"])
        if name in seen:
            raise ValueError(f"Trùng số phụ lục: {spec['number']}")
        seen.add(name)


def workbook_bytes(appendices: Sequence[Mapping[str, Any]]) -> bytes:
    """The appendix workbook as bytes (see :func:`write_appendix_xlsx`)."""
    from openpyxl import Workbook


    _check(appendices)
    styles = _styles()
    wb = Workbook()
    index = wb.active
    index.title = INDEX_SHEET
    _write_index(index, appendices, styles)
    for spec in appendices:
        write = _write_rating_sheet if spec.get("kind") == "rating" else _write_table
        write(wb.create_sheet(_sheet_name(spec["number"])), spec, styles)
    wb.properties.creator = "tccsd-review"
    wb.properties.lastModifiedBy = "tccsd-review"
    wb.properties.title = "Phụ lục"
    return serialise_workbook(wb)


def write_appendix_xlsx(appendices: Sequence[Mapping[str, Any]], out: Path | str) -> Path:
    """Write the appendix tables to ``out`` (.xlsx), atomically and reproducibly.

    Parameters
    ----------
    appendices
        ``[{"number": 1, "title_vi": …, "frame": tables.appendix_frame(…), "unit_label": "%",
        "note_vi": … (optional), "source_vi": … (optional)}, …]``; sheet names are ``PL<number>``
        after an index sheet "Mục lục".
    out
        Target path; its folder must exist.

    Returns
    -------
    Path
        ``out``.
    """
    return atomic_write_bytes(out, workbook_bytes(appendices))
