"""Workbooks as people fill them: totals rows, title rows, merged headers, hidden or renamed
sheets, numbers stored as text, dates, formulas with and without cached values, macros, and
files that are not ``.xlsx`` at all.

Each case writes the demo slice (``build.LIGHT`` tables) with one quirk and names the finding
it must produce; where the data stay usable, the district's summary must equal the hand
counts (a totals row, say, must never be counted twice).
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl.utils import get_column_letter

from analysis.data.findings import ERROR, WARNING
from analysis.data.template import write_template

from .build import ANY, LIGHT, Built, Expect, Input, Registry, check

CASES = Registry(LIGHT)
ORG_SHEET = "TCCSĐ"
BOOK = "so_lieu.xlsx"
#: Warning of every case whose numbers still add up: the summary sheet disagrees with the
#: detail once a required count is lost (that cell is an error of its own).
MISMATCH = frozenset({"summary_detail_mismatch"})


def _col(inp: Input, column: str, table: str = "organizations") -> str:
    """Excel column letter of a schema column in the written sheet."""
    return get_column_letter(inp.header[table].index(column) + 1)


def _org_with(inp: Input, column: str, value: str | None = None, year: str = "2020") -> int:
    """An organization row of ``year`` (with ``column`` = ``value`` when given)."""
    return inp.first("organizations", lambda r: r["year"] == year and (
        value is None and int(r[column] or 0) > 0 or r[column] == value))


def _cache_formulas(path: Path, values: dict[str, str]) -> None:
    """Give formula cells a cached value, as Excel does when it saves (openpyxl cannot)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                for formula, value in values.items():
                    data = data.replace(f"<f>{formula}</f><v />".encode(),
                                        f"<f>{formula}</f><v>{value}</v>".encode())
            dst.writestr(info, data)
    tmp.replace(path)


# --- totals and layout ------------------------------------------------------------------------
@CASES.add("totals_row_tong_cong")
def _(inp: Input, tmp: Path) -> Built:
    orgs = inp.rows["organizations"]
    totals = {c: sum(int(r[c]) for r in orgs) for c in ("members_total", "admissions")}
    wb = inp.workbook()
    ws = wb[ORG_SHEET]
    row = [None] * len(inp.header["organizations"])
    row[0] = "Tổng cộng"
    for c, v in totals.items():
        row[inp.header["organizations"].index(c)] = v
    ws.append(row)
    wb.save(tmp / BOOK)
    return Built(tmp / BOOK, [Expect(WARNING, "totals_row", BOOK, ORG_SHEET,
                                     inp.excel_row(len(orgs)), "",
                                     "Dòng tổng cộng, không tính")], numbers=inp)


@CASES.add("totals_rows_per_year_with_uncached_formulas")
def _(inp: Input, tmp: Path) -> Built:
    """«Cộng năm 2019» under each year's block and «Tổng cộng» at the end, all formulas."""
    orgs = inp.rows["organizations"]
    header = inp.header["organizations"]
    wb = inp.workbook()
    ws = wb[ORG_SHEET]
    ws.delete_rows(2, ws.max_row)
    letter = _col(inp, "members_total")
    out_row, expect, first = 2, [], 2
    for year in ("2019", "2020"):
        for i, r in enumerate(orgs):
            if r["year"] == year:
                ws.append(inp.records("organizations", workbook=True)[i])
                out_row += 1
        sub = [None] * len(header)
        sub[1] = f"Cộng năm {year}"
        sub[header.index("members_total")] = f"=SUM({letter}{first}:{letter}{out_row - 1})"
        ws.append(sub)
        expect.append(Expect(WARNING, "totals_row", BOOK, ORG_SHEET, out_row, "",
                             "Dòng tổng cộng, không tính"))
        out_row += 1
        first = out_row
    total = [None] * len(header)
    total[0] = "TỔNG CỘNG"
    total[header.index("members_total")] = f"=SUM({letter}2:{letter}{out_row - 1})/2"
    ws.append(total)
    expect.append(Expect(WARNING, "totals_row", BOOK, ORG_SHEET, out_row, "",
                         "Dòng tổng cộng, không tính"))
    wb.save(tmp / BOOK)
    return Built(tmp / BOOK, expect, numbers=inp)


@CASES.add("title_rows_shift_error_rows")
def _(inp: Input, tmp: Path) -> Built:
    i = 10
    inp.cells[("organizations", i, "members_total")] = "abc"
    titles = {ORG_SHEET: [["ĐẢNG BỘ HUYỆN VIỆT YÊN"],
                          ["BIỂU TỔNG HỢP CHẤT LƯỢNG TCCSĐ NĂM 2019–2020"], []]}
    path = inp.xlsx(tmp / BOOK, titles={"organizations": titles[ORG_SHEET]})
    return Built(path, [Expect(ERROR, "not_a_number", BOOK, ORG_SHEET, inp.excel_row(i, 3),
                               "Tổng số đảng viên", "«abc» không phải là số")], allow=MISMATCH)


@CASES.add("merged_two_level_header")
def _(inp: Input, tmp: Path) -> Built:
    """Group header «Đảng viên theo mức xếp loại» merged over five columns, the other headers
    merged down over two rows: data start at row 3."""
    header = inp.header["organizations"]
    group = ["members_not_rated", "members_excellent", "members_good", "members_completed",
             "members_failed"]
    wb = inp.workbook()
    ws = wb[ORG_SHEET]
    ws.insert_rows(2)
    first = header.index(group[0]) + 1
    for j, name in enumerate(header, start=1):
        if name in group:
            ws.cell(row=2, column=j, value=ws.cell(row=1, column=j).value)
            ws.cell(row=1, column=j, value=None)
        else:
            ws.merge_cells(start_row=1, end_row=2, start_column=j, end_column=j)
    ws.cell(row=1, column=first, value="Đảng viên theo mức xếp loại")
    ws.merge_cells(start_row=1, end_row=1, start_column=first, end_column=first + len(group) - 1)
    wb.save(tmp / BOOK)
    return Built(tmp / BOOK, [], numbers=inp)


@CASES.add("data_start_in_column_b")
def _(inp: Input, tmp: Path) -> Built:
    wb = inp.workbook()
    for ws in wb.worksheets:
        ws.insert_cols(1)
    wb.save(tmp / BOOK)
    return Built(tmp / BOOK, [], numbers=inp)


@CASES.add("blank_rows_keep_excel_row_numbers")
def _(inp: Input, tmp: Path) -> Built:
    n = len(inp.rows["organizations"])
    inp.cells[("organizations", n - 1, "admissions")] = "mười"
    wb = inp.workbook()
    ws = wb[ORG_SHEET]
    for at in (40, 30, 20, 10):  # from the bottom, so earlier positions stay put
        ws.insert_rows(at, amount=2)
    wb.save(tmp / BOOK)
    return Built(tmp / BOOK, [Expect(ERROR, "not_a_number", BOOK, ORG_SHEET,
                                     inp.excel_row(n - 1) + 8, "Số kết nạp",
                                     "«mười» không phải là số")], allow=MISMATCH)


@CASES.add("repeated_header_rows")
def _(inp: Input, tmp: Path) -> Built:
    """Two blocks pasted one under the other, the second with its own header and code rows:
    both are skipped with a warning, and nothing is lost or counted twice."""
    wb = inp.workbook()
    ws = wb[ORG_SHEET]
    ws.insert_rows(32, amount=2)
    for j, (vi, code) in enumerate(zip(inp.headers_vi("organizations"),
                                       inp.header["organizations"], strict=True), start=1):
        ws.cell(row=32, column=j, value=vi)
        ws.cell(row=33, column=j, value=code)
    wb.save(tmp / BOOK)
    return Built(tmp / BOOK, [
        Expect(WARNING, "repeated_header", BOOK, ORG_SHEET, row, "",
               "Dòng này lặp lại dòng tiêu đề cột (thường do dán nhiều bảng nối tiếp nhau), "
               "không tính.") for row in (32, 33)], numbers=inp)


@CASES.add("header_below_row_ten")
def _(inp: Input, tmp: Path) -> Built:
    titles = [[f"Dòng tiêu đề {k}"] for k in range(1, 11)]
    path = inp.xlsx(tmp / BOOK, titles={"organizations": titles})
    return Built(path, [Expect(ERROR, "header_not_found", BOOK, ORG_SHEET, None, "",
                               "Không tìm thấy dòng tiêu đề trong 10 dòng đầu của bảng "
                               "«TCCSĐ»")])


# --- sheets -----------------------------------------------------------------------------------
@CASES.add("hidden_sheet_with_real_data")
def _(inp: Input, tmp: Path) -> Built:
    wb = inp.workbook()
    wb[ORG_SHEET].sheet_state = "hidden"
    wb.save(tmp / BOOK)
    return Built(tmp / BOOK, [Expect(WARNING, "hidden_sheet", BOOK, ORG_SHEET, None, "",
                                     "Bảng «TCCSĐ» đang bị ẩn nhưng vẫn được đọc")],
                 numbers=inp)


@CASES.add("hidden_stale_copy_double_counts")
def _(inp: Input, tmp: Path) -> Built:
    """A hidden old copy of the 2019 rows: every copied row is a duplicate key error."""
    wb = inp.workbook()
    ws = wb.create_sheet("TCCSĐ (bản cũ)")
    ws.append(inp.headers_vi("organizations"))
    recs = inp.records("organizations", workbook=True)
    n19 = sum(r["year"] == "2019" for r in inp.rows["organizations"])
    for rec in recs[:n19]:
        ws.append(rec)
    ws.sheet_state = "hidden"
    wb.save(tmp / BOOK)
    stale = "TCCSĐ (bản cũ)"
    return Built(tmp / BOOK, [
        Expect(WARNING, "hidden_sheet", BOOK, stale, None, "", "đang bị ẩn nhưng vẫn được đọc"),
        Expect(WARNING, "sheet_matched_by_columns", BOOK, stale, None, "",
               "được đọc như bảng «TCCSĐ»"),
        Expect(WARNING, "table_multiple_sheets", BOOK, ORG_SHEET, None, "",
               "Bảng «TCCSĐ» được ghép từ 2 nơi"),
        Expect(ERROR, "duplicate_key", BOOK, stale, 2, "Năm, Mã TCCSĐ",
               "Trùng khóa với dòng 2 của bảng «TCCSĐ»"),
        # 50 listed (analysis.data.reading.sheets.FINDINGS_CAP), then one finding counts the rest
        Expect(ERROR, "duplicate_key", BOOK, stale, ANY, "Năm, Mã TCCSĐ", "Trùng khóa",
               count=min(n19, 50)),
        Expect(ERROR, "duplicate_key", BOOK, stale, None, "Năm, Mã TCCSĐ",
               f"… và {n19 - 50} dòng khác có cùng vấn đề ở cột «Năm, Mã TCCSĐ»"),
    ], allow=MISMATCH)  # the doubled 2019 detail no longer equals the summary sheet


@CASES.add("renamed_sheet_matched_by_columns")
def _(inp: Input, tmp: Path) -> Built:
    path = inp.xlsx(tmp / BOOK, sheet_names={"organizations": "Sheet1"})
    return Built(path, [Expect(WARNING, "sheet_matched_by_columns", BOOK, "Sheet1", None, "",
                               "«Sheet1» được đọc như bảng «TCCSĐ»")], numbers=inp)


@CASES.add("one_sheet_per_year")
def _(inp: Input, tmp: Path) -> Built:
    wb = inp.workbook()
    del wb[ORG_SHEET]
    recs = inp.records("organizations", workbook=True)
    for year in ("2019", "2020"):
        ws = wb.create_sheet(f"TCCSĐ năm {year}")
        ws.append(inp.headers_vi("organizations"))
        for r, rec in zip(inp.rows["organizations"], recs, strict=True):
            if r["year"] == year:
                ws.append(rec)
    wb.save(tmp / BOOK)
    return Built(tmp / BOOK, [
        Expect(WARNING, "sheet_matched_by_columns", BOOK, "TCCSĐ năm 2019", None, "",
               "được đọc như bảng «TCCSĐ»"),
        Expect(WARNING, "sheet_matched_by_columns", BOOK, "TCCSĐ năm 2020", None, "",
               "được đọc như bảng «TCCSĐ»"),
        Expect(WARNING, "table_multiple_sheets", BOOK, "TCCSĐ năm 2019", None, "",
               "được ghép từ 2 nơi"),
    ], numbers=inp)


# --- numbers stored as text -------------------------------------------------------------------
def _text_count(inp: Input, written: str, meant: int) -> None:
    """Organization 5 gets ``meant`` members (the difference goes to «miễn, chưa đánh giá»),
    written as the text ``written``."""
    i = 5
    delta = meant - int(inp.rows["organizations"][i]["members_total"])
    inp.bump(i, "members_total", delta)
    inp.bump(i, "members_not_rated", delta)
    inp.cells[("organizations", i, "members_total")] = written


@CASES.add("text_thousands_dot")
def _(inp: Input, tmp: Path) -> Built:
    _text_count(inp, "1.234", 1234)
    return Built(inp.xlsx(tmp / BOOK), [], numbers=inp)


@CASES.add("text_thousands_comma")
def _(inp: Input, tmp: Path) -> Built:
    _text_count(inp, "1,234", 1234)
    return Built(inp.xlsx(tmp / BOOK), [], numbers=inp)


@CASES.add("text_thousands_nbsp")
def _(inp: Input, tmp: Path) -> Built:
    _text_count(inp, "1\u00a0234", 1234)
    return Built(inp.xlsx(tmp / BOOK), [], numbers=inp)


@CASES.add("text_trailing_space")
def _(inp: Input, tmp: Path) -> Built:
    i = _org_with(inp, "admissions")
    inp.cells[("organizations", i, "admissions")] = inp.rows["organizations"][i]["admissions"] + " "
    return Built(inp.xlsx(tmp / BOOK), [], numbers=inp)


@CASES.add("year_with_thousands_dot")
def _(inp: Input, tmp: Path) -> Built:
    """«2.019»: a year shown with the #,##0 format and pasted as text."""
    inp.cells[("organizations", 0, "year")] = "2.019"
    return Built(inp.xlsx(tmp / BOOK), [], numbers=inp)


@CASES.add("percent_in_count")
def _(inp: Input, tmp: Path) -> Built:
    i = 7
    inp.cells[("organizations", i, "members_good")] = "90%"
    return Built(inp.xlsx(tmp / BOOK), [Expect(
        ERROR, "percent_in_count", BOOK, ORG_SHEET, inp.excel_row(i),
        "ĐV hoàn thành tốt nhiệm vụ",
        "«90%» là tỷ lệ phần trăm; cột này cần số lượng (số nguyên), không phải tỷ lệ.")],
        allow=MISMATCH)


@CASES.add("decimal_comma_in_count")
def _(inp: Input, tmp: Path) -> Built:
    i = 8
    inp.cells[("organizations", i, "admissions")] = "2,5"
    return Built(inp.xlsx(tmp / BOOK), [Expect(
        ERROR, "not_integer", BOOK, ORG_SHEET, inp.excel_row(i), "Số kết nạp",
        "«2,5» không phải số nguyên")], allow=MISMATCH)


@CASES.add("unicode_minus_negative")
def _(inp: Input, tmp: Path) -> Built:
    i = 9
    inp.cells[("organizations", i, "admissions")] = "\u22123"
    return Built(inp.xlsx(tmp / BOOK), [Expect(
        ERROR, "negative", BOOK, ORG_SHEET, inp.excel_row(i), "Số kết nạp",
        "là số âm; số lượng không được âm")], allow=MISMATCH)


@CASES.add("negative_zero")
def _(inp: Input, tmp: Path) -> Built:
    """-0 (a float from a formula, or typed as text) is zero: no finding, no change."""
    a = _org_with(inp, "admissions_women", "0")
    b = inp.first("organizations", lambda r: r["admissions_women"] == "0" and r is not
                  inp.rows["organizations"][a])
    inp.cells[("organizations", a, "admissions_women")] = -0.0
    inp.cells[("organizations", b, "admissions_women")] = "-0"
    return Built(inp.xlsx(tmp / BOOK), [], numbers=inp)


@CASES.add("huge_count")
def _(inp: Input, tmp: Path) -> Built:
    i = 11
    inp.cells[("organizations", i, "inspections")] = 1e12
    return Built(inp.xlsx(tmp / BOOK), [Expect(
        ERROR, "number_too_large", BOOK, ORG_SHEET, inp.excel_row(i),
        "Cuộc kiểm tra, giám sát", "là số quá lớn")], allow=MISMATCH)


@CASES.add("na_markers")
def _(inp: Input, tmp: Path) -> Built:
    """«N/A» in a required count is an empty required cell; «-» in an optional count and «x»
    in a yes/no column are what they look like (not applicable; Có)."""
    i, j = 3, 4
    inp.cells[("organizations", i, "members_failed")] = "N/A"
    inp.cells[("organizations", j, "members_disciplined")] = "-"
    inp.cells[("organizations", j, "dialogue_held")] = "x"
    return Built(inp.xlsx(tmp / BOOK), [Expect(
        ERROR, "required_empty", BOOK, ORG_SHEET, inp.excel_row(i),
        "ĐV không hoàn thành nhiệm vụ", "Ô bắt buộc bị trống")], allow=MISMATCH)


# --- Excel values that are not numbers --------------------------------------------------------
@CASES.add("date_in_count")
def _(inp: Input, tmp: Path) -> Built:
    i = 12
    inp.cells[("organizations", i, "admissions")] = datetime(2020, 1, 5)
    return Built(inp.xlsx(tmp / BOOK), [Expect(
        ERROR, "date_in_number", BOOK, ORG_SHEET, inp.excel_row(i), "Số kết nạp",
        "Ô chứa ngày tháng («05/01/2020»), cần một số")], allow=MISMATCH)


@CASES.add("bool_in_count")
def _(inp: Input, tmp: Path) -> Built:
    i = 13
    inp.cells[("organizations", i, "admissions")] = True
    return Built(inp.xlsx(tmp / BOOK), [Expect(
        ERROR, "bool_in_number", BOOK, ORG_SHEET, inp.excel_row(i), "Số kết nạp",
        "Ô chứa giá trị đúng/sai («TRUE»), cần một số")], allow=MISMATCH)


@CASES.add("excel_error_value")
def _(inp: Input, tmp: Path) -> Built:
    i = 14
    inp.cells[("organizations", i, "admissions")] = "#DIV/0!"
    return Built(inp.xlsx(tmp / BOOK), [Expect(
        ERROR, "excel_error", BOOK, ORG_SHEET, inp.excel_row(i), "Số kết nạp",
        "Ô chứa lỗi công thức Excel «#DIV/0!»")], allow=MISMATCH)


@CASES.add("formula_with_cached_value")
def _(inp: Input, tmp: Path) -> Built:
    i = _org_with(inp, "admissions")
    v = inp.rows["organizations"][i]["admissions"]
    inp.cells[("organizations", i, "admissions")] = f"={v}*1"
    path = inp.xlsx(tmp / BOOK)
    _cache_formulas(path, {f"{v}*1": v})
    return Built(path, [], numbers=inp)


@CASES.add("formula_without_cached_value")
def _(inp: Input, tmp: Path) -> Built:
    i = 15
    row = inp.excel_row(i)
    first, last = _col(inp, "members_not_rated"), _col(inp, "members_failed")
    formula = f"=SUM({first}{row}:{last}{row})"
    inp.cells[("organizations", i, "members_total")] = formula
    return Built(inp.xlsx(tmp / BOOK), [Expect(
        ERROR, "formula_no_value", BOOK, ORG_SHEET, row, "Tổng số đảng viên",
        f"Ô có công thức «{formula}» nhưng công thức chưa có giá trị (chưa được tính)")],
        allow=MISMATCH)


# --- other files ------------------------------------------------------------------------------
@CASES.add("xlsm_with_macros")
def _(inp: Input, tmp: Path) -> Built:
    """Values are read, the VBA project is never run (openpyxl does not even load it)."""
    src = inp.xlsx(tmp / "src.xlsx")
    path = tmp / "so_lieu.xlsm"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
                    b"</Types>", b'<Default Extension="bin" ContentType="application/'
                    b'vnd.ms-office.vbaProject"/></Types>')
            zout.writestr(info, data)
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"Attribute VB_Name" * 64)
    return Built(path, [], numbers=inp)


@CASES.add("xlsx_saved_as_xls")
def _(inp: Input, tmp: Path) -> Built:
    path = tmp / "so_lieu.xls"
    inp.xlsx(tmp / BOOK).rename(path)
    return Built(path, [Expect(ERROR, "unreadable_format", "so_lieu.xls", "", None, "",
                               "hãy mở bằng Excel và lưu lại dạng .xlsx (Excel Workbook)")])


@CASES.add("ods_file")
def _(inp: Input, tmp: Path) -> Built:
    path = tmp / "so_lieu.ods"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    return Built(path, [Expect(ERROR, "unreadable_format", "so_lieu.ods", "", None, "",
                               "Tệp «so_lieu.ods» có định dạng OpenDocument (.ods) không đọc "
                               "được; hãy mở bằng Excel và lưu lại dạng .xlsx")])


@CASES.add("html_table_saved_as_xls")
def _(inp: Input, tmp: Path) -> Built:
    """What web systems export as «Excel»: an HTML table with an .xls name."""
    path = tmp / "xuat_tu_phan_mem.xls"
    path.write_text("<html><body><table><tr><td>Năm</td></tr></table></body></html>",
                    encoding="utf-8")
    return Built(path, [Expect(ERROR, "unreadable_format", path.name, "", None, "",
                               "lưu lại dạng .xlsx")])


@CASES.add("csv_text_named_xlsx")
def _(inp: Input, tmp: Path) -> Built:
    path = tmp / BOOK
    path.write_text("year,org_code\n2020,a\n", encoding="utf-8")
    return Built(path, [Expect(ERROR, "corrupt_file", BOOK, "", None, "",
                               "không phải bảng tính Excel")])


@CASES.add("empty_xlsx_file")
def _(inp: Input, tmp: Path) -> Built:
    path = tmp / BOOK
    path.write_bytes(b"")
    return Built(path, [Expect(ERROR, "corrupt_file", BOOK, "", None, "",
                               "bị hỏng hoặc không phải bảng tính Excel")])


@CASES.add("template_header_only")
def _(inp: Input, tmp: Path) -> Built:
    path = write_template(tmp / "mau.xlsx")
    return Built(path, [Expect(WARNING, "no_data", "mau.xlsx", "", None, "",
                               "Chưa có dòng số liệu nào")])


@pytest.mark.parametrize("case_id", CASES.ids())
def test_workbook_case(case_id, tmp_path):
    built = CASES.build(case_id, tmp_path)
    result = check(built)
    if case_id == "na_markers":
        orgs = result.data.tables["organizations"]
        assert orgs["members_disciplined"].isna().iat[4]
        assert bool(orgs["dialogue_held"].iat[4]) is True
    if case_id == "xlsm_with_macros":
        assert re.fullmatch(r"[0-9a-f]{12}", result.data.fingerprint)
