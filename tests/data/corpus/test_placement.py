"""Data where the reader does not expect it (issue 14, classes 3 and 4): rows pasted into the
template's instructions sheet, a table under a name the reader does not know, CSV files in a
folder per year. Nothing is lost without a word: what is not read is named in a finding, and
"no data for unit X" says where the reader looked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.data.findings import ERROR, WARNING

from .build import DISTRICT, LIGHT, Built, Expect, Input, Registry, check

CASES = Registry(LIGHT)
BOOK = "so_lieu.xlsx"
#: The slice holds 2019 and 2020: without any data, the plan's other years are missing too.
PLAN_YEARS = range(2015, 2021)
NOT_FOUND = ("có số liệu (bảng có thể bị đặt tên khác, hoặc số liệu nằm ở bảng khác: xem các "
             "cảnh báo về bảng không được đọc).")


def _missing(file: str, year: int, text: str, sheet: str = "Tổng hợp") -> Expect:
    return Expect(WARNING, "missing_unit_year", file, sheet, None, "",
                  f"Đơn vị Huyện Việt Yên ({DISTRICT}) không có số liệu năm {year}: không có số "
                  f"liệu chi tiết, cũng không có dòng trong bảng Tổng hợp. {text}")


# --- class 3: a known table in an unexpected place --------------------------------------------
@CASES.add("tccsd_rows_pasted_into_instructions")
def _(inp: Input, tmp: Path) -> Built:
    """The TCCSĐ rows, with their header, pasted under three lines of the instructions sheet;
    the TCCSĐ sheet itself is gone. The summary sheet still gives the district's counts."""
    wb = inp.workbook(tables=["units", "crosswalk", "unit_summary"])
    ws = wb.create_sheet("Hướng dẫn", 0)
    for line in (["MẪU NHẬP LIỆU — RÀ SOÁT"], ["Nhập số liệu vào các bảng theo mẫu."], []):
        ws.append(line)
    ws.append(inp.headers_vi("organizations"))
    for rec in inp.records("organizations", workbook=True):
        ws.append(rec)
    wb.save(tmp / BOOK)
    n = len(inp.rows["organizations"])
    assert n == 119  # counted in the demo's CSV: viet_yen, 2019 and 2020
    looked = (f"Đã tìm trong: bảng «Tổng hợp» của tệp «{BOOK}». Không tìm thấy bảng «TCCSĐ» "
              + NOT_FOUND)
    return Built(tmp / BOOK, [
        Expect(ERROR, "data_in_template_sheet", BOOK, "Hướng dẫn", 4, "",
               "Bảng «Hướng dẫn» là bảng của mẫu (không chứa số liệu) nên không được đọc, "
               f"nhưng từ dòng 4 có tiêu đề các cột của bảng «TCCSĐ» và {n} dòng số liệu bên "
               "dưới. Hãy chép các dòng này sang bảng «TCCSĐ» (dưới dòng tiêu đề của bảng đó) "
               "rồi xóa khỏi bảng «Hướng dẫn»."),
        *(_missing(BOOK, y, looked) for y in PLAN_YEARS if y < 2019),
    ])


@CASES.add("summary_rows_in_the_lists_sheet_below_the_lists")
def _(inp: Input, tmp: Path) -> Built:
    """The summary sheet's rows pasted at row 40 of «Danh mục» (under the lists), with a
    blank row and a repeated header among them: counted are the two data rows."""
    wb = inp.workbook(tables=["units", "crosswalk", "organizations"])
    ws = wb.create_sheet("Danh mục")
    for k in range(1, 40):
        ws.cell(row=k, column=1, value=f"mục {k}")
    ws.cell(row=40, column=1, value=None)
    header = inp.headers_vi("unit_summary")
    recs = inp.records("unit_summary", workbook=True)
    assert len(recs) == 2
    ws.append(header)        # row 41
    ws.append(recs[0])       # 42
    ws.append([])            # 43
    ws.append(header)        # 44: repeated
    ws.append(recs[1])       # 45
    wb.save(tmp / BOOK)
    return Built(tmp / BOOK, [Expect(
        ERROR, "data_in_template_sheet", BOOK, "Danh mục", 41, "",
        "từ dòng 41 có tiêu đề các cột của bảng «Tổng hợp» và 2 dòng số liệu bên dưới")],
        numbers=inp)


@CASES.add("tccsd_sheet_renamed_and_a_column_lost")
def _(inp: Input, tmp: Path) -> Built:
    """The TCCSĐ sheet named «Sheet1» and without «Mã TCCSĐ», no summary sheet: the sheet is
    named as looking like TCCSĐ, and each missing year says where the reader looked."""
    inp.header["organizations"].remove("org_code")
    path = inp.xlsx(tmp / BOOK, tables=["units", "crosswalk", "organizations"],
                    sheet_names={"organizations": "Sheet1"})
    n = len(inp.header["organizations"])
    assert n == 36  # the 37 columns of tables.yaml but one
    looked = "Không tìm thấy bảng «TCCSĐ» hay «Tổng hợp» " + NOT_FOUND
    return Built(path, [
        Expect(WARNING, "unknown_sheet", BOOK, "Sheet1", 1, "",
               f"Bảng (sheet) «Sheet1» không thuộc mẫu nhập liệu nên không được đọc. Dòng 1 có "
               f"{n} cột của bảng «TCCSĐ» nhưng thiếu các cột bắt buộc «Mã TCCSĐ». Nếu đây là "
               "số liệu của bảng «TCCSĐ», hãy đặt tên bảng là «TCCSĐ» và bổ sung các cột còn "
               "thiếu."),
        *(_missing("", y, looked) for y in PLAN_YEARS),
    ])


@CASES.add("organizations_csv_under_another_name_lacking_a_column")
def _(inp: Input, tmp: Path) -> Built:
    """«to_chuc_2020.csv» without the year column; the summary file is there, but says
    nothing of 2015–2018: each missing year names the file that was read."""
    inp.header["organizations"].remove("year")
    folder = inp.csv_folder(tmp / "csv")
    (folder / "organizations.csv").rename(folder / "to_chuc_2020.csv")
    looked = ("Đã tìm trong: tệp «unit_summary.csv». Không tìm thấy bảng «TCCSĐ» " + NOT_FOUND)
    return Built(folder, [
        Expect(WARNING, "unknown_sheet", "to_chuc_2020.csv", "to_chuc_2020", 1, "",
               "Tệp «to_chuc_2020» không thuộc mẫu nhập liệu nên không được đọc. Dòng 1 có 36 "
               "cột của bảng «TCCSĐ» nhưng thiếu các cột bắt buộc «Năm». Nếu đây là số liệu "
               "của bảng «TCCSĐ», hãy đặt tên tệp là «organizations.csv» và bổ sung các cột "
               "còn thiếu."),
        *(_missing("unit_summary.csv", y, looked, "unit_summary")
          for y in PLAN_YEARS if y < 2019),
    ])


# --- the tests --------------------------------------------------------------------------------
@pytest.mark.parametrize("case_id", CASES.ids())
def test_placement_case(case_id, tmp_path):
    built = CASES.build(case_id, tmp_path)
    result = check(built)
    if case_id == "tccsd_rows_pasted_into_instructions":
        # the district's 2019 and 2020 come from the summary sheet, as typed there
        inp = Input(LIGHT)
        summ = result.summary[result.summary["unit_code"] == DISTRICT].set_index("year")
        for r in inp.rows["unit_summary"]:
            row = summ.loc[int(r["year"])]
            assert row["source"] == "summary"
            for col in ("orgs_total", "members_total", "admissions"):
                assert int(row[col]) == int(r[col]), (r["year"], col)


def test_the_template_and_its_instructions_are_not_data(tmp_path):
    """The instructions sheet lists every column as a row (header, code, kind): not a
    header row, so a blank template has no data_in_template_sheet."""
    from analysis.data.template import write_template
    from analysis.data.validate import validate_input

    path = write_template(tmp_path / "mau.xlsx")
    rules = {f.rule for f in validate_input(path).findings}
    assert "data_in_template_sheet" not in rules and "unknown_sheet" not in rules, rules
